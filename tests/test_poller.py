"""Poller: skip-while-in-flight, backoff, recovery, GUI-thread delivery, streams; stale labels."""
from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel

from app.poller import GIL_SWITCH_INTERVAL, MAX_BACKOFF, Poller, backoff_delay
from views.data_age import STALE_STYLE, DataAgeLabel


@pytest.fixture
def poller():
    poller = Poller()
    yield poller
    poller.shutdown()


class Calls:
    """Records when a call ran, on which thread, and how many ran at once."""

    def __init__(self, duration: float = 0.0, fail_until: int = 0, fail_after: int | None = None):
        self.duration = duration
        self.fail_until = fail_until
        self.fail_after = fail_after
        self.lock = threading.Lock()
        self.running = 0
        self.max_running = 0
        self.times: list[float] = []
        self.threads: list[threading.Thread] = []

    def __call__(self) -> int:
        with self.lock:
            self.running += 1
            self.max_running = max(self.max_running, self.running)
            self.times.append(time.monotonic())
            self.threads.append(threading.current_thread())
            n = len(self.times)
        try:
            time.sleep(self.duration)
            if n <= self.fail_until or (self.fail_after is not None and n > self.fail_after):
                raise ConnectionError(f"call {n} failed")
            return n
        finally:
            with self.lock:
                self.running -= 1


def test_backoff_delay_doubles_and_is_capped():
    assert backoff_delay(0, 1.0) == 0.0
    assert [backoff_delay(n, 0.5) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert backoff_delay(50, 1.0) == MAX_BACKOFF
    for _ in range(50):
        assert 0.7 * 4.0 <= backoff_delay(3, 1.0, jitter=0.3) <= 4.0


def test_a_slow_call_is_never_run_twice_at_once(qtbot, poller):
    calls = Calls(duration=0.3)
    poller.add_poll("slow", calls, interval=0.05)
    qtbot.wait(1200)
    assert poller.skipped_ticks("slow") > 0
    assert calls.max_running == 1
    assert 2 <= len(calls.times) <= 5  # bounded by duration, not by the 50 ms interval


def test_poll_now_skips_backoff_but_never_overlaps_a_running_call(qtbot, poller):
    calls = Calls(duration=0.3, fail_until=1)
    errors = []
    poller.error_raised.connect(lambda topic, exc: errors.append(exc))
    poller.add_poll("inventory", calls, interval=60)
    poller.poll_now("inventory")  # the first call is still running: skipped
    qtbot.waitUntil(lambda: len(errors) == 1)
    assert len(calls.times) == 1 and poller.skipped_ticks("inventory") == 1
    poller.poll_now("inventory")  # after a failure: runs at once despite the backoff
    qtbot.waitUntil(lambda: len(calls.times) == 2, timeout=2000)
    assert calls.max_running == 1


def test_failures_back_off(qtbot, poller):
    calls = Calls(fail_until=10_000)
    errors = []
    poller.error_raised.connect(lambda topic, exc: errors.append(exc))
    poller.add_poll("down", calls, interval=0.05)
    qtbot.wait(1500)
    # Without backoff ~30 calls fit in 1.5 s; with 0.05 * 2**n waits at most 6 do.
    assert 3 <= len(calls.times) <= 7
    # Each wait is at least the backoff of the failures before it (load only adds).
    gaps = [b - a for a, b in zip(calls.times, calls.times[1:])]
    for failures, gap in enumerate(gaps, start=1):
        assert gap >= 0.9 * backoff_delay(failures, 0.05)
    assert all(isinstance(e, ConnectionError) for e in errors)
    qtbot.waitUntil(lambda: len(errors) == len(calls.times))


def test_recovery_resets_the_backoff(qtbot, poller):
    # Four failures (backoff grows to 0.1 * 2**3 = 0.8 s), one success, then failures
    # again: the first failure after the success waits one interval, not 1.6 s.
    calls = Calls(fail_until=4, fail_after=5)
    results = []
    poller.snapshot_ready.connect(lambda topic, value: results.append(value))
    poller.add_poll("flaky", calls, interval=0.1)
    qtbot.waitUntil(lambda: len(calls.times) >= 7, timeout=10_000)
    assert results == [5]
    gaps = [b - a for a, b in zip(calls.times, calls.times[1:])]
    assert gaps[3] >= 0.7  # 4th failure -> 5th call: 0.8 s backoff
    assert gaps[5] < 1.0  # one failure after recovery: ~0.1 s, not the 1.6 s of six


def test_signals_arrive_on_the_gui_thread(qtbot, poller):
    calls = Calls(fail_after=1)
    seen = []
    poller.snapshot_ready.connect(lambda t, v: seen.append(("ok", threading.current_thread())))
    poller.error_raised.connect(lambda t, e: seen.append(("error", threading.current_thread())))
    poller.add_poll("threads", calls, interval=0.05)
    qtbot.waitUntil(lambda: {kind for kind, _ in seen} == {"ok", "error"})
    assert all(thread is threading.main_thread() for _, thread in seen)
    assert all(thread is not threading.main_thread() for thread in calls.threads)


class ListStream:
    """A real Stream: yields its items, then blocks until closed or fails if told to."""

    def __init__(self, items, fail_at_end: bool = False):
        self.items = list(items)
        self.fail_at_end = fail_at_end
        self.closed = threading.Event()

    def __iter__(self):
        for item in self.items:
            if self.closed.is_set():
                return
            yield item
        if self.fail_at_end:
            raise BrokenPipeError("connection lost")
        self.closed.wait()

    def close(self):
        self.closed.set()


def test_stream_items_are_emitted_in_order(qtbot, poller):
    stream = ListStream([1, 2, 3])
    got = []
    poller.snapshot_ready.connect(lambda topic, item: got.append((topic, item)))
    poller.add_stream("numbers", lambda: stream)
    qtbot.waitUntil(lambda: len(got) == 3)
    assert got == [("numbers", 1), ("numbers", 2), ("numbers", 3)]


def test_a_failing_stream_is_reopened_with_backoff(qtbot, poller):
    opened: list[float] = []
    errors = []

    def open_stream():
        opened.append(time.monotonic())
        if len(opened) <= 3:
            raise ConnectionRefusedError(f"attempt {len(opened)} refused")
        return ListStream(["live"])

    got = []
    poller.snapshot_ready.connect(lambda topic, item: got.append(item))
    poller.error_raised.connect(lambda topic, exc: errors.append(exc))
    poller.add_stream("flaky", open_stream, retry_base=0.1)
    qtbot.waitUntil(lambda: got == ["live"], timeout=5000)
    assert len(opened) == 4
    assert [str(e) for e in errors] == [f"attempt {n} refused" for n in (1, 2, 3)]
    gaps = [b - a for a, b in zip(opened, opened[1:])]
    # jittered waits: [0.07, 0.1], [0.14, 0.2], [0.28, 0.4] seconds
    assert gaps[0] >= 0.07 and gaps[1] >= 0.14 and gaps[2] >= 0.28


def test_a_stream_that_ends_is_reported_and_reopened(qtbot, poller):
    streams = []

    def open_stream():
        streams.append(ListStream([len(streams)], fail_at_end=len(streams) == 0))
        return streams[-1]

    got, errors = [], []
    poller.snapshot_ready.connect(lambda topic, item: got.append(item))
    poller.error_raised.connect(lambda topic, exc: errors.append(exc))
    poller.add_stream("reconnect", open_stream, retry_base=0.05)
    qtbot.waitUntil(lambda: got == [0, 1], timeout=5000)
    assert [type(e) for e in errors] == [BrokenPipeError]
    assert streams[0].closed.is_set()  # the broken stream was closed before reopening


def test_remove_closes_the_stream_and_stops_its_thread(qtbot, poller):
    stream = ListStream(["first"])
    got = []
    poller.snapshot_ready.connect(lambda topic, item: got.append(item))
    poller.add_stream("host", lambda: stream)
    qtbot.waitUntil(lambda: got == ["first"])
    poller.remove("host")
    assert "host" not in poller.topics()
    qtbot.waitUntil(stream.closed.is_set, timeout=3000)
    qtbot.waitUntil(
        lambda: not any(t.name == "stream:host" for t in threading.enumerate()), timeout=3000
    )


class StuckCloseStream(ListStream):
    """A stream whose close() hangs, as an SSH channel close does on a dead link."""

    def __init__(self, items):
        super().__init__(items)
        self.may_close = threading.Event()

    def close(self):
        self.may_close.wait(10)
        super().close()


def test_remove_never_waits_for_a_hanging_close(qtbot, poller):
    stream = StuckCloseStream(["first", "second"])
    got = []
    poller.snapshot_ready.connect(lambda topic, item: got.append(item))
    poller.add_stream("dead-link", lambda: stream)
    qtbot.waitUntil(lambda: got == ["first", "second"])
    poller.remove("dead-link")
    # Had remove() closed the stream itself, it would have returned only after close().
    assert not stream.closed.is_set()
    assert "dead-link" not in poller.topics()
    stream.may_close.set()
    qtbot.waitUntil(stream.closed.is_set, timeout=3000)
    qtbot.waitUntil(
        lambda: not any(t.name.endswith(":dead-link") for t in threading.enumerate()),
        timeout=3000,
    )


def test_a_shared_stream_runs_until_its_last_owner_releases_it(qtbot, poller):
    opened = []

    def open_stream():
        opened.append(ListStream(["sample"]))
        return opened[-1]

    overview, hardware = object(), object()
    poller.ensure_stream("host", open_stream, owner=overview)
    poller.ensure_stream("host", open_stream, owner=hardware)
    qtbot.waitUntil(lambda: len(opened) == 1)
    assert poller.owners("host") == 2
    poller.release("host", hardware)
    assert "host" in poller.topics() and not opened[0].closed.is_set()
    poller.release("host", hardware)  # a second release by the same owner changes nothing
    assert "host" in poller.topics()
    poller.release("host", overview)
    assert "host" not in poller.topics()
    qtbot.waitUntil(opened[0].closed.is_set, timeout=3000)
    assert len(opened) == 1  # the second ensure_stream shared the running stream


def test_a_removed_poll_leaves_nothing_behind(qtbot):
    # Regression: the timer's callback kept the poller alive, so the timer's deferred
    # delete freed the poller from inside the timer's destructor and crashed later.
    poller = Poller()
    got = []
    poller.snapshot_ready.connect(lambda topic, value: got.append(value))
    poller.add_poll("once", lambda: 1, interval=60)
    qtbot.waitUntil(lambda: got == [1])
    poller.shutdown()
    del poller
    gc.collect()
    label = QLabel("still alive")
    qtbot.addWidget(label)
    with qtbot.waitExposed(label):
        label.show()
    qtbot.wait(50)


def test_a_poller_deleted_with_calls_in_flight_stays_silent(qtbot):
    # Regression: a worker finishing after shutdown() emitted on a poller whose C++
    # object was being deleted, which segfaulted the process now and then.
    late = []
    for _ in range(20):
        release = threading.Event()
        poller = Poller()
        poller.snapshot_ready.connect(lambda topic, value: late.append(value))
        poller.add_poll("busy", lambda: release.wait(5) and "late", interval=60)
        qtbot.wait(5)
        poller.shutdown()
        release.set()  # the worker now finishes and would emit while the poller dies
        del poller
        gc.collect()
        qtbot.wait(5)
    qtbot.wait(100)
    assert late == []


def test_data_age_label_marks_stale_after_three_intervals(qtbot):
    now = [100.0]
    label = DataAgeLabel(interval=1.0, clock=lambda: now[0])
    qtbot.addWidget(label)
    assert label.text().startswith("waiting")
    assert label.age is None and not label.is_stale
    label.mark_updated()
    now[0] = 102.4
    label.refresh()
    assert label.text() == "updated 2 s ago"
    assert not label.is_stale and label.property("stale") is False
    now[0] = 103.5
    label.refresh()
    assert label.is_stale and label.property("stale") is True
    assert label.text().startswith("STALE") and label.styleSheet() == STALE_STYLE
    label.mark_error("connection refused")
    assert "connection refused" in label.text()
    label.set_interval(2.0)  # 3.5 s is fresh for a 2 s interval
    assert not label.is_stale and label.styleSheet() == ""
    label.mark_updated()
    assert label.text() == "updated 0 s ago"


_QUIT_WITH_A_STUCK_CALL = """
import sys, threading, time
sys.path.insert(0, {root!r})
from PySide6.QtCore import QCoreApplication
from app.poller import Poller
app = QCoreApplication([])
poller = Poller()
started = threading.Event()
poller.add_poll("dead-host", lambda: (started.set(), time.sleep(600)), interval=60)
assert started.wait(10)
poller.shutdown()
print("quitting", flush=True)
"""


def test_a_stuck_call_does_not_keep_the_process_alive_after_shutdown():
    # A call blocked on a dead host when the user quits: the process must still end.
    code = _QUIT_WITH_A_STUCK_CALL.format(root=str(Path(__file__).resolve().parent.parent))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert (proc.returncode, proc.stdout) == (0, "quitting\n"), proc.stderr


def test_a_poller_keeps_the_gil_switch_interval_short():
    previous = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    try:
        poller = Poller()
        assert sys.getswitchinterval() <= GIL_SWITCH_INTERVAL
        poller.shutdown()
    finally:
        sys.setswitchinterval(previous)
