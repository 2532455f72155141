"""Live samples from frames: rates from the difference of two frames' counters.

Time comes from the target's /proc/uptime inside each frame, not from when the frame
arrived, so network jitter on a remote stream does not bend the rates. Each part of a
sample (cpu, memory, load, network, disks, temperatures) is parsed on its own: a
missing or malformed file degrades that part and is named in `unavailable`.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Iterator, Mapping, NamedTuple, TypeVar

from services.errors import ParseError
from services.hardware import parsers_proc as proc
from services.hardware.frames import Frame
from services.hardware.model import HardwareSample, Temperature
from services.streams import Stream

T = TypeVar("T")
NAN = float("nan")
_WRAP_32 = 1 << 32


def counter_delta(previous: int, current: int) -> int | None:
    """Increase of a cumulative counter, or None when it was reset.

    32-bit kernels keep some counters in 32 bits; a drop that is explained by one wrap
    of less than 2**31 is taken as a wrap, any other drop as a reset (device re-created,
    target rebooted) that leaves no usable rate for this interval.
    """
    delta = current - previous
    if delta >= 0:
        return delta
    if previous < _WRAP_32 and current < _WRAP_32 and delta + _WRAP_32 < _WRAP_32 // 2:
        return delta + _WRAP_32
    return None


def _percent(before: proc.CpuTimes, after: proc.CpuTimes) -> float:
    total = after.total - before.total
    if total <= 0:
        return NAN  # no tick elapsed, or the counters were reset
    return min(100.0, max(0.0, 100.0 * (after.busy - before.busy) / total))


def _rates(before: Mapping[str, tuple[int, int]], after: Mapping[str, tuple[int, int]],
           seconds: float) -> tuple[dict[str, float], dict[str, float]]:
    # Devices that appeared or vanished in the interval, or whose counters were reset,
    # get no rate this time instead of a made-up one.
    first: dict[str, float] = {}
    second: dict[str, float] = {}
    for name, (a_now, b_now) in after.items():
        old = before.get(name)
        if old is None:
            continue
        a, b = counter_delta(old[0], a_now), counter_delta(old[1], b_now)
        if a is not None and b is not None:
            first[name] = a / seconds
            second[name] = b / seconds
    return first, second


class _Baseline(NamedTuple):
    """Counters of one part and the time of the frame they came from."""

    time: float
    counters: Any


class HardwareSampler:
    """Turns consecutive frames of one target into HardwareSamples."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last_time: float | None = None
        self._uptime_clock: bool | None = None
        self._previous: dict[str, _Baseline] = {}

    def feed(self, frame: Frame) -> HardwareSample | None:
        """Consume one frame; None for the first one, or after the target rebooted.

        The sample's timestamp is the target's uptime in seconds (arrival time on the
        monotonic clock when a frame lacks /proc/uptime). A value that cannot be
        computed is NaN (CPU) or left out of the rate dicts, and named in `unavailable`.
        """
        unavailable: dict[str, str] = {}
        now, uptime_clock = self._frame_time(frame, unavailable)
        if self._last_time is None or uptime_clock != self._uptime_clock or now <= self._last_time:
            # First frame, a change of clock, or time went backwards (a reboot): restart.
            self._previous.clear()
            self._last_time, self._uptime_clock = now, uptime_clock
            self._counters(frame, now, {})
            return None
        interval = now - self._last_time
        self._last_time = now
        counters = self._counters(frame, now, unavailable)

        cpu_total, cpu_cores = NAN, ()
        if "cpu" in counters:
            before, after = counters["cpu"][0].counters, counters["cpu"][1]
            cpu_total = _percent(before.total, after.total)
            # Indexed by core number: an offline core (hotplug) is a NaN gap, so the
            # cores after it keep their own numbers.
            cpu_cores = tuple(
                _percent(before.cores[n], after.cores[n])
                if n in before.cores and n in after.cores else NAN
                for n in range(max(after.cores, default=-1) + 1)
            )
        net_rx, net_tx = self._part_rates(counters, "net", now)
        disk_read, disk_write = self._part_rates(counters, "disk", now)
        return HardwareSample(
            timestamp=now,
            interval=interval,
            cpu_percent=cpu_total,
            cpu_per_core=cpu_cores,
            memory=_part(unavailable, "memory", proc.parse_meminfo, frame, "/proc/meminfo"),
            load_average=_part(unavailable, "load_average", proc.parse_loadavg, frame,
                               "/proc/loadavg"),
            net_rx_bps=net_rx,
            net_tx_bps=net_tx,
            disk_read_bps=disk_read,
            disk_write_bps=disk_write,
            temperatures=self._temperatures(frame, unavailable),
            unavailable=unavailable,
        )

    def _frame_time(self, frame: Frame, unavailable: dict[str, str]) -> tuple[float, bool]:
        text = frame.get("/proc/uptime")
        try:
            if text is not None:
                return proc.parse_uptime(text), True
            unavailable["uptime"] = "/proc/uptime missing from the frame; using arrival time"
        except ParseError as exc:
            unavailable["uptime"] = f"{exc}; using arrival time"
        return self._clock(), False

    def _counters(self, frame: Frame, now: float, unavailable: dict[str, str]
                  ) -> dict[str, tuple[_Baseline, Any]]:
        """Parse the cumulative counters, returning (previous baseline, current) per part."""
        pairs = {}
        for part, path, parse in (
            ("cpu", "/proc/stat", proc.parse_proc_stat),
            ("net", "/proc/net/dev", proc.parse_net_dev),
            ("disk", "/proc/diskstats", proc.parse_diskstats),
        ):
            current = _part(unavailable, part, parse, frame, path)
            if current is None:
                continue
            previous = self._previous.get(part)
            self._previous[part] = _Baseline(now, current)
            if previous is None:
                unavailable.setdefault(part, "no earlier counters to compare with yet")
            else:
                pairs[part] = (previous, current)
        return pairs

    @staticmethod
    def _part_rates(counters: dict[str, tuple[_Baseline, Any]], part: str, now: float
                    ) -> tuple[dict[str, float], dict[str, float]]:
        if part not in counters:
            return {}, {}
        before, after = counters[part]
        # A part missing from some frames keeps its own baseline time, so the rate
        # spans the real distance between the two frames that had it.
        return _rates(before.counters, after, now - before.time)

    @staticmethod
    def _temperatures(frame: Frame, unavailable: dict[str, str]) -> tuple[Temperature, ...]:
        if not any(path.startswith("/sys/class/hwmon/") for path in frame):
            unavailable["temperatures"] = "no hwmon sensors"
            return ()
        return _part(unavailable, "temperatures", proc.parse_hwmon, frame, None) or ()


def _part(unavailable: dict[str, str], part: str, parse: Callable[..., T], frame: Frame,
          path: str | None) -> T | None:
    """Parse one file of the frame (or the whole frame when path is None), or record why not."""
    if path is not None and path not in frame:
        unavailable[part] = f"{path} missing from the frame"
        return None
    try:
        return parse(frame if path is None else frame[path])
    except ParseError as exc:
        unavailable[part] = str(exc)
        return None


class SampleStream:
    """A Stream of HardwareSamples over a Stream of frames."""

    def __init__(self, frames: Stream[Frame]):
        self._frames = frames
        self._sampler = HardwareSampler()

    def __iter__(self) -> Iterator[HardwareSample]:
        """Yield a sample for every frame after the first."""
        for frame in self._frames:
            sample = self._sampler.feed(frame)
            if sample is not None:
                yield sample

    def close(self) -> None:
        """Close the underlying frame stream."""
        self._frames.close()
