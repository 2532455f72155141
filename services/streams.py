"""Long-lived sample sources: an iterable that blocks for the next item and can be closed."""
from __future__ import annotations

import threading
from typing import Callable, Iterator, Protocol, TypeVar

T = TypeVar("T")


class Stream(Protocol[T]):
    """Yields one item per interval until closed; close() may come from any thread."""

    def __iter__(self) -> Iterator[T]:
        """Block for and yield the next item, forever or until closed."""

    def close(self) -> None:
        """Stop the stream and unblock a waiting iterator."""


class IntervalStream:
    """Calls read() once per interval on the calling thread; for local sources."""

    def __init__(self, read: Callable[[], T], interval: float):
        self._read = read
        self._interval = interval
        self._closed = threading.Event()

    def __iter__(self) -> Iterator[T]:
        """Yield read() now and then after every interval until closed."""
        while not self._closed.is_set():
            yield self._read()
            if self._closed.wait(self._interval):
                return

    def close(self) -> None:
        """Stop after the current read."""
        self._closed.set()
