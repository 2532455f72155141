"""Runs service calls off the GUI thread and delivers results as Qt signals.

Two kinds of topic:
- a poll calls a function every interval on a worker pool; a tick is skipped while the
  previous call of that topic is still running, and failures back off exponentially;
- a stream runs a long-lived iterable on its own thread and emits each item; when the
  stream fails it is reopened after a jittered exponential backoff.

Workers never touch state: they emit the private ``_finished`` signal, which Qt queues
to the GUI thread, where the bookkeeping happens and the public signals are emitted.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from PySide6.QtCore import QObject, QTimer, Signal

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0


def backoff_delay(failures: int, base: float, jitter: float = 0.0) -> float:
    """Return the wait after `failures` consecutive failures, capped at MAX_BACKOFF."""
    if failures <= 0:
        return 0.0
    delay = min(base * 2 ** (failures - 1), MAX_BACKOFF)
    return delay * (1 - jitter * random.random())


@dataclass
class _Poll:
    call: Callable[[], Any]
    interval: float
    timer: QTimer
    generation: int
    in_flight: bool = False
    failures: int = 0
    not_before: float = 0.0
    skipped: int = 0


@dataclass
class _StreamTopic:
    stop: threading.Event
    generation: int
    current: list = field(default_factory=list)  # the open stream, for close()


class Poller(QObject):
    """Schedules polls and streams by topic and emits their results on the GUI thread."""

    snapshot_ready = Signal(str, object)
    error_raised = Signal(str, object)
    _finished = Signal(str, int, bool, object)

    def __init__(self, max_workers: int = 8, parent: QObject | None = None):
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="poll")
        self._polls: dict[str, _Poll] = {}
        self._streams: dict[str, _StreamTopic] = {}
        self._generation = 0
        self._finished.connect(self._on_finished)

    # -- polls ---------------------------------------------------------------
    def add_poll(self, topic: str, call: Callable[[], Any], interval: float) -> None:
        """Call `call` now and every `interval` seconds, replacing any same-named topic."""
        self.remove(topic)
        self._generation += 1
        timer = QTimer(self)
        timer.setInterval(int(interval * 1000))
        poll = _Poll(call, interval, timer, self._generation)
        timer.timeout.connect(lambda: self._tick(topic))
        self._polls[topic] = poll
        timer.start()
        self._tick(topic)

    def set_interval(self, topic: str, interval: float) -> None:
        """Change a poll's interval without losing its state."""
        poll = self._polls.get(topic)
        if poll:
            poll.interval = interval
            poll.timer.setInterval(int(interval * 1000))

    def skipped_ticks(self, topic: str) -> int:
        """How many ticks of a poll were skipped because its call was still running."""
        return self._polls[topic].skipped

    def _tick(self, topic: str) -> None:
        poll = self._polls.get(topic)
        if poll is None:
            return
        if poll.in_flight:
            poll.skipped += 1
            return
        if time.monotonic() < poll.not_before:
            return
        poll.in_flight = True
        self._pool.submit(self._run_call, topic, poll.generation, poll.call)

    def _run_call(self, topic: str, generation: int, call: Callable[[], Any]) -> None:
        try:
            result = call()
        except Exception as exc:  # noqa: BLE001 - every failure is reported as data
            self._finished.emit(topic, generation, False, exc)
        else:
            self._finished.emit(topic, generation, True, result)

    # -- streams -------------------------------------------------------------
    def add_stream(
        self, topic: str, open_stream: Callable[[], Iterable[Any]], retry_base: float = 1.0
    ) -> None:
        """Run open_stream() on its own thread, emitting each item; reopen on failure."""
        self.remove(topic)
        self._generation += 1
        entry = _StreamTopic(threading.Event(), self._generation)
        self._streams[topic] = entry
        thread = threading.Thread(
            target=self._stream_loop,
            args=(topic, entry, open_stream, retry_base),
            name=f"stream:{topic}",
            daemon=True,
        )
        thread.start()

    def ensure_stream(
        self, topic: str, open_stream: Callable[[], Iterable[Any]], retry_base: float = 1.0
    ) -> None:
        """Start a stream unless one with this topic already runs; panels share streams."""
        if topic not in self._streams:
            self.add_stream(topic, open_stream, retry_base)

    def _stream_loop(self, topic, entry: _StreamTopic, open_stream, retry_base) -> None:
        failures = 0
        while not entry.stop.is_set():
            try:
                stream = open_stream()
                entry.current[:] = [stream]
                if entry.stop.is_set():
                    break
                for item in stream:
                    if entry.stop.is_set():
                        break
                    failures = 0
                    self._finished.emit(topic, entry.generation, True, item)
                else:
                    if not entry.stop.is_set():
                        raise EOFError("stream ended")
            except Exception as exc:  # noqa: BLE001 - reported, then retried
                if entry.stop.is_set():
                    break
                failures += 1
                self._finished.emit(topic, entry.generation, False, exc)
                entry.stop.wait(backoff_delay(failures, retry_base, jitter=0.3))
            finally:
                self._close_current(entry)

    @staticmethod
    def _close_current(entry: _StreamTopic) -> None:
        for stream in entry.current:
            close = getattr(stream, "close", None)
            if close:
                try:
                    close()
                except Exception:  # noqa: BLE001 - closing is best effort
                    log.debug("closing stream failed", exc_info=True)
        entry.current.clear()

    # -- common --------------------------------------------------------------
    def topics(self) -> list[str]:
        """Names of every scheduled poll and stream."""
        return [*self._polls, *self._streams]

    def remove(self, topic: str) -> None:
        """Stop a poll or stream; a result still in flight is dropped."""
        poll = self._polls.pop(topic, None)
        if poll:
            poll.timer.stop()
            poll.timer.deleteLater()
        entry = self._streams.pop(topic, None)
        if entry:
            entry.stop.set()
            self._close_current(entry)

    def shutdown(self) -> None:
        """Stop everything; workers still running are abandoned, not waited for."""
        for topic in self.topics():
            self.remove(topic)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _on_finished(self, topic: str, generation: int, ok: bool, payload: Any) -> None:
        poll = self._polls.get(topic)
        if poll is not None:
            if poll.generation != generation:
                return
            poll.in_flight = False
            if ok:
                poll.failures, poll.not_before = 0, 0.0
            else:
                poll.failures += 1
                poll.not_before = time.monotonic() + backoff_delay(poll.failures, poll.interval)
        else:
            entry = self._streams.get(topic)
            if entry is None or entry.generation != generation:
                return
        if ok:
            self.snapshot_ready.emit(topic, payload)
        else:
            log.warning("%s failed: %s", topic, payload)
            self.error_raised.emit(topic, payload)
