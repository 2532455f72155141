"""Cost of one local hardware sample, against the baseline of only reading its files.

Run: .venv/bin/python bench/bench_sample_cost.py [rounds]
Prints µs per sample for: reading the frame (baseline), parsing + sampling a frame
already in memory, and the whole read + parse + sample, with ratios to the baseline.
"""
from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.hardware.frames import read_local_frame  # noqa: E402
from services.hardware.sampler import HardwareSampler  # noqa: E402


def per_call_us(call, rounds: int, repeats: int = 5) -> float:
    """Best over repeats of the mean µs per call of `rounds` calls (the least disturbed run)."""
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(rounds):
            call()
        timings.append((time.perf_counter() - start) / rounds * 1e6)
    return min(timings)


def _alternating_feed(frames: list[dict[str, str]]):
    """A call feeding the two frames in turn, with a rising uptime so none is a reboot."""
    sampler = HardwareSampler()
    turn = itertools.cycle(frames)
    clock = itertools.count(1)
    sampler.feed({**next(turn), "/proc/uptime": "0.00 0.00\n"})
    return lambda: sampler.feed({**next(turn), "/proc/uptime": f"{next(clock)}.00 0.00\n"})


def main() -> None:
    """Measure and print the figures."""
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    frames = [read_local_frame(), read_local_frame()]
    parse_and_sample = _alternating_feed(frames)
    data = Path(__file__).resolve().parent.parent / "tests" / "data" / "hardware" / "derived"
    many_cores = [
        {**frames[0], "/proc/stat": (data / name).read_text()}
        for name in ("proc_stat-64cores", "proc_stat-64cores.2")
    ]
    parse_64_cores = _alternating_feed(many_cores)

    full_sampler = HardwareSampler()

    def read_parse_sample():
        full_sampler.feed(read_local_frame())

    for warm in (read_local_frame, parse_and_sample, read_parse_sample, parse_64_cores):
        for _ in range(20):
            warm()

    read_us = per_call_us(read_local_frame, rounds)
    parse_us = per_call_us(parse_and_sample, rounds)
    full_us = per_call_us(read_parse_sample, rounds)
    many_us = per_call_us(parse_64_cores, rounds)
    files = len(frames[0])
    size = sum(len(t) for t in frames[0].values())
    print(f"frame: {files} files, {size} bytes; best of 5 runs of {rounds}")
    print(f"baseline read_local_frame:           {read_us:8.1f} µs  (1.00x)")
    print(f"parse + HardwareSampler.feed:        {parse_us:8.1f} µs  ({parse_us / read_us:.2f}x)")
    print(f"read + parse + feed (one sample):    {full_us:8.1f} µs  ({full_us / read_us:.2f}x)")
    print(f"parse + feed, 64-core /proc/stat:    {many_us:8.1f} µs  ({many_us / read_us:.2f}x)")


if __name__ == "__main__":
    main()
