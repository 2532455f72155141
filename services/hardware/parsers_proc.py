"""Pure parsers for the /proc and /sys files of one live sample.

Each parser takes the text of one file and returns immutable values, or raises
ParseError. They run on every sample of every target, so they avoid regular
expressions on hot paths and read only the lines they need.
"""
from __future__ import annotations

import functools
import math
import re
from typing import Callable, Mapping, NamedTuple, TypeVar

from services.errors import ParseError
from services.hardware.model import MemorySample, Temperature

R = TypeVar("R")

SECTOR_BYTES = 512  # /proc/diskstats counts 512-byte sectors whatever the device's block size
MAX_CPUS = 8192  # the largest CONFIG_NR_CPUS Linux allows


def guarded(source: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Turn any failure of a parser on malformed input into ParseError(source, ...).

    The parsers index, split and convert text they do not trust; rather than guard each
    step, a malformed file is reported once, as a typed error, at the parser boundary.
    """

    def wrap(parse: Callable[..., R]) -> Callable[..., R]:
        @functools.wraps(parse)
        def guarded_parse(*args, **kwargs) -> R:
            try:
                return parse(*args, **kwargs)
            except ParseError:
                raise
            except (ValueError, IndexError, KeyError, TypeError, AttributeError,
                    OverflowError, RecursionError) as exc:
                raise ParseError(source, f"{type(exc).__name__}: {exc}"[:200]) from None

        return guarded_parse

    return wrap


def counter(token: str) -> int:
    """A kernel counter: a non-negative decimal integer, nothing else."""
    if not (token.isascii() and token.isdigit()):
        raise ValueError(f"not a counter: {token[:40]!r}")
    return int(token)


class CpuTimes(NamedTuple):
    """Cumulative jiffies of one CPU line: busy and total (idle = total - busy)."""

    busy: int
    total: int


class CpuStat(NamedTuple):
    """/proc/stat: all CPUs together and each online core by its number."""

    total: CpuTimes
    cores: Mapping[int, CpuTimes]


def _cpu_times(fields: list[str]) -> CpuTimes:
    # user nice system idle [iowait irq softirq [steal [guest guest_nice]]]: 2.4 kernels
    # stop after idle. guest time is already inside user, so it is not added again.
    if len(fields) < 4:
        raise ValueError("cpu line has fewer than 4 counters")
    values = list(map(int, fields[:8]))  # hot path: one int() per field, checked below
    if min(values) < 0:
        raise ValueError("negative cpu counter")
    total = sum(values)
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return CpuTimes(total - idle, total)


@guarded("/proc/stat")
def parse_proc_stat(text: str) -> CpuStat:
    """Parse the cpu lines of /proc/stat; offline cores are simply absent."""
    total = None
    cores: dict[int, CpuTimes] = {}
    for line in text.split("\n"):
        if not line.startswith("cpu"):
            if total is not None:
                break  # the cpu lines come first; skip the long intr/softirq lines
            continue
        name, *fields = line.split()
        if name == "cpu":
            total = _cpu_times(fields)
        else:
            core = counter(name[3:])
            if core in cores or core >= MAX_CPUS:
                raise ValueError(f"cpu{core} listed twice or out of range")
            cores[core] = _cpu_times(fields)
    if total is None:
        raise ParseError("/proc/stat", "no cpu line")
    return CpuStat(total, cores)


_MEMINFO_KEYS = frozenset({"MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached",
                           "SReclaimable", "SwapTotal", "SwapFree"})


@guarded("/proc/meminfo")
def parse_meminfo(text: str) -> MemorySample:
    """Parse /proc/meminfo into bytes; kernels before 3.14 lack MemAvailable."""
    kb: dict[str, int] = {}
    for line in text.split("\n"):
        key, sep, rest = line.partition(":")
        if key not in _MEMINFO_KEYS:
            continue  # the other ~50 lines are not used, so they are not checked either
        value, *unit = rest.split()
        if not sep or unit != ["kB"] or key in kb:
            raise ValueError(f"malformed line {line[:40]!r}")
        kb[key] = counter(value)
    total, free = kb["MemTotal"], kb["MemFree"]
    buffers, cached = kb.get("Buffers", 0), kb.get("Cached", 0)
    buff_cache = buffers + cached + kb.get("SReclaimable", 0)
    # Without MemAvailable the best estimate is what `free` printed before it existed.
    available = kb.get("MemAvailable", min(total, free + buffers + cached))
    swap_total = kb.get("SwapTotal", 0)
    swap_free = kb.get("SwapFree", swap_total)
    if free > total or available > total or swap_free > swap_total:
        raise ParseError("/proc/meminfo", "free memory exceeds total")
    return MemorySample(
        total=total * 1024,
        used=(total - available) * 1024,
        cached=buff_cache * 1024,
        available=available * 1024,
        swap_total=swap_total * 1024,
        swap_used=(swap_total - swap_free) * 1024,
    )


def _gauge(token: str) -> float:
    value = float(token)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"not a non-negative number: {token[:40]!r}")
    return value


@guarded("/proc/loadavg")
def parse_loadavg(text: str) -> tuple[float, float, float]:
    """Parse the 1, 5 and 15 minute load averages."""
    one, five, fifteen, *_ = text.split()
    return _gauge(one), _gauge(five), _gauge(fifteen)


@guarded("/proc/uptime")
def parse_uptime(text: str) -> float:
    """Seconds since the target booted: the target's own monotonic clock."""
    return _gauge(text.split()[0])


class NetCounters(NamedTuple):
    """Cumulative bytes received and sent by one interface."""

    rx_bytes: int
    tx_bytes: int


@guarded("/proc/net/dev")
def parse_net_dev(text: str) -> dict[str, NetCounters]:
    """Parse /proc/net/dev into counters per interface name."""
    lines = text.split("\n")
    if len(lines) < 2 or "|" not in lines[0] or "|" not in lines[1]:
        raise ParseError("/proc/net/dev", "missing header")
    result: dict[str, NetCounters] = {}
    for line in lines[2:]:
        if not line.strip():
            continue
        # Old kernels glue large counters to the colon ("eth0:123456"); names never hold ':'.
        name, sep, rest = line.rpartition(":")
        name = name.strip()
        fields = rest.split()
        if not sep or not name or len(fields) < 16:
            raise ValueError(f"bad interface line {line[:60]!r}")
        rx, tx = int(fields[0]), int(fields[8])
        if rx < 0 or tx < 0:
            raise ValueError(f"negative counter for {name[:20]!r}")
        result[name] = NetCounters(rx, tx)
    return result


class DiskCounters(NamedTuple):
    """Cumulative bytes read and written by one whole disk."""

    read_bytes: int
    write_bytes: int


def partition_parent(name: str, names: set[str] | frozenset[str]) -> str | None:
    """The disk that `name` is a partition of, if that disk is also listed.

    The kernel names partitions "<disk><n>", or "<disk>p<n>" when the disk name ends
    in a digit (block/partitions/core.c), so nvme0n1p2 belongs to nvme0n1, sda1 to
    sda, while loop10 is not a partition of loop1 and nvme0n1 is a disk of its own.
    """
    base = name.rstrip("0123456789")
    if base == name or not base:
        return None
    if base[-1] == "p" and base[:-1][-1:].isdigit() and base[:-1] in names:
        return base[:-1]
    if not base[-1].isdigit() and base in names:
        return base
    return None


@guarded("/proc/diskstats")
def parse_diskstats(text: str) -> dict[str, DiskCounters]:
    """Parse /proc/diskstats into counters of whole disks, leaving partitions out.

    Kernels before 2.6.25 print partitions with only 4 counters (7 fields); those
    lines are partitions by definition. Whole disks have 14, 18 (4.18+) or 20 (5.5+).
    """
    rows: dict[str, DiskCounters] = {}
    for line in text.split("\n"):
        fields = line.split()
        if not fields:
            continue
        if len(fields) == 7:
            continue  # a partition as kernels before 2.6.25 print it
        if len(fields) < 14:
            raise ValueError(f"short diskstats line {line[:60]!r}")
        read, written = int(fields[5]), int(fields[9])
        if read < 0 or written < 0:
            raise ValueError(f"negative counter for {fields[2][:20]!r}")
        rows[fields[2]] = DiskCounters(read * SECTOR_BYTES, written * SECTOR_BYTES)
    names = frozenset(rows)
    return {name: c for name, c in rows.items() if partition_parent(name, names) is None}


_HWMON_INPUT = re.compile(r"(/sys/class/hwmon/hwmon(\d+))/temp(\d+)_input")


@guarded("hwmon")
def parse_hwmon(frame: Mapping[str, str]) -> tuple[Temperature, ...]:
    """Temperatures from the hwmon files of a frame, per the kernel's sysfs ABI.

    tempN_input is in millidegrees Celsius; the chip is the directory's `name` file
    and the label `tempN_label`, falling back to "hwmonX" and "tempN" when absent.
    """
    found = []
    for path, text in frame.items():
        match = _HWMON_INPUT.fullmatch(path)
        if match is None:
            continue
        directory, chip_no, temp_no = match.group(1), int(match.group(2)), int(match.group(3))
        value = text.strip()
        negative = value[:1] == "-"
        millidegrees = counter(value[1:] if negative else value) * (-1 if negative else 1)
        if not -273150 <= millidegrees <= 1_000_000:
            raise ValueError(f"implausible temperature {value[:20]!r} in {path}")
        chip = frame.get(f"{directory}/name", "").strip() or f"hwmon{chip_no}"
        label = frame.get(f"{directory}/temp{temp_no}_label", "").strip() or f"temp{temp_no}"
        found.append(((chip_no, temp_no), Temperature(chip, label, millidegrees / 1000)))
    found.sort(key=lambda item: item[0])
    return tuple(t for _, t in found)
