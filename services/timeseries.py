"""Fixed-size time series kept in numpy ring buffers, for live plots.

Every sample is written twice, at slot i and slot i + capacity of a buffer twice the
capacity long. The newest `capacity` samples are then always one contiguous slice, so
reading them is a numpy view: no copy, no concatenation and no allocation per sample,
however often a plot asks.
"""
from __future__ import annotations

from typing import Iterator, Mapping

import numpy as np


class RingBuffer:
    """The last `capacity` (time, value) pairs of one series, oldest first."""

    def __init__(self, capacity: int):
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self._capacity = capacity
        self._times = np.zeros(2 * capacity, dtype=np.float64)
        self._values = np.zeros(2 * capacity, dtype=np.float64)
        self._next = 0  # slot the next sample goes to, in [0, capacity)
        self._size = 0

    @property
    def capacity(self) -> int:
        """How many samples the buffer keeps before it drops the oldest."""
        return self._capacity

    def __len__(self) -> int:
        return self._size

    def append(self, t: float, value: float) -> None:
        """Add one sample, dropping the oldest when the buffer is full."""
        slot = self._next
        self._times[slot] = self._times[slot + self._capacity] = t
        self._values[slot] = self._values[slot + self._capacity] = value
        self._next = (slot + 1) % self._capacity
        self._size = min(self._size + 1, self._capacity)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Times and values, oldest first, as read-only views valid until the next append."""
        start = (self._next - self._size) % self._capacity
        times = self._times[start : start + self._size]
        values = self._values[start : start + self._size]
        times.flags.writeable = False
        values.flags.writeable = False
        return times, values

    def since(self, t_min: float) -> tuple[np.ndarray, np.ndarray]:
        """Like arrays(), restricted to samples at or after t_min (times must not decrease)."""
        times, values = self.arrays()
        first = int(np.searchsorted(times, t_min, side="left"))
        return times[first:], values[first:]

    def clear(self) -> None:
        """Forget every sample."""
        self._next = 0
        self._size = 0


class SeriesSet:
    """Ring buffers keyed by name (per core, per interface); a new name starts a series."""

    def __init__(self, capacity: int):
        self._capacity = capacity
        self._series: dict[str, RingBuffer] = {}

    @property
    def capacity(self) -> int:
        """Capacity of every series in the set."""
        return self._capacity

    def append(self, t: float, values: Mapping[str, float]) -> None:
        """Add one sample per named value at time t."""
        for name, value in values.items():
            series = self._series.get(name)
            if series is None:
                series = self._series[name] = RingBuffer(self._capacity)
            series.append(t, value)

    def __iter__(self) -> Iterator[str]:
        """Series names in the order they first appeared."""
        return iter(self._series)

    def __len__(self) -> int:
        return len(self._series)

    def __getitem__(self, name: str) -> RingBuffer:
        return self._series[name]

    def clear(self) -> None:
        """Forget every series."""
        self._series.clear()
