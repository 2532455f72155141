"""Runs service calls off the GUI thread and delivers results as Qt signals.

Two kinds of topic:
- a poll calls a function every interval on a worker thread; a tick is skipped while
  the previous call of that topic is still running, and failures back off exponentially;
- a stream runs a long-lived iterable on its own thread and emits each item; when the
  stream fails it is reopened after a jittered exponential backoff.

Workers never touch state: they emit the private relay's ``finished`` signal, which Qt
queues to the GUI thread, where the bookkeeping happens and the public signals are
emitted. Call shutdown() before dropping a Poller.

Workers are daemon threads, at most max_workers of them calling at once: a call stuck
on a dead host when the app quits must not keep the process alive (a thread pool's
workers are joined at interpreter exit).
"""
from __future__ import annotations

import logging
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from PySide6.QtCore import QObject, QTimer, Signal

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0

# Workers compete with the GUI thread for the GIL. At CPython's default 5 ms switch
# interval a burst of frames from many hosts queues the GUI thread behind one worker
# after another: bench_ssh_hosts saw event-loop stalls of 95-130 ms with 20 hosts, and
# 50-70 ms with 1 ms.
GIL_SWITCH_INTERVAL = 0.001


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


class _Relay(QObject):
    """Carries worker results to the GUI thread; a C++ child of its poller."""

    finished = Signal(str, int, bool, object)


class _Outbox:
    """What worker threads hold instead of the poller.

    A worker holding the poller could drop the last reference to it, and then the
    poller and its timers would be destroyed on that worker thread (it crashed). The
    relay is owned by the poller on the C++ side, so a worker's reference never
    deletes anything; close(), called by Poller.shutdown(), takes the same lock as
    emit(), so once shutdown returns no thread emits on a relay that may be dying.
    """

    def __init__(self, relay: _Relay):
        self._relay = relay
        self._lock = threading.Lock()
        self._closed = False

    @property
    def closed(self) -> bool:
        """True once the poller was shut down."""
        return self._closed

    def emit(self, topic: str, generation: int, ok: bool, payload: Any) -> None:
        """Queue one result to the GUI thread, unless the poller was shut down."""
        with self._lock:  # emit() only posts an event: the lock is held briefly
            if not self._closed:
                self._relay.finished.emit(topic, generation, ok, payload)

    def close(self) -> None:
        """Stop every later emit()."""
        with self._lock:
            self._closed = True


def _run_call(slots: threading.BoundedSemaphore, outbox: _Outbox, topic: str,
              generation: int, call: Callable[[], Any]) -> None:
    with slots:
        if outbox.closed:
            return  # waited for a slot past shutdown: nobody wants the result
        try:
            result = call()
        except Exception as exc:  # noqa: BLE001 - every failure is reported as data
            outbox.emit(topic, generation, False, exc)
        else:
            outbox.emit(topic, generation, True, result)


def _stream_loop(outbox: _Outbox, topic: str, entry: _StreamTopic, open_stream, retry_base):
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
                outbox.emit(topic, entry.generation, True, item)
            else:
                if not entry.stop.is_set():
                    raise EOFError("stream ended")
        except Exception as exc:  # noqa: BLE001 - reported, then retried
            if entry.stop.is_set():
                break
            failures += 1
            outbox.emit(topic, entry.generation, False, exc)
            entry.stop.wait(backoff_delay(failures, retry_base, jitter=0.3))
        finally:
            _close_current(entry)


def _close_current(entry: _StreamTopic) -> None:
    for stream in entry.current:
        close = getattr(stream, "close", None)
        if close:
            try:
                close()
            except Exception:  # noqa: BLE001 - closing is best effort
                log.debug("closing stream failed", exc_info=True)
    entry.current.clear()


class Poller(QObject):
    """Schedules polls and streams by topic and emits their results on the GUI thread."""

    snapshot_ready = Signal(str, object)
    error_raised = Signal(str, object)

    def __init__(self, max_workers: int = 8, parent: QObject | None = None):
        super().__init__(parent)
        sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_INTERVAL))
        self._slots = threading.BoundedSemaphore(max_workers)
        self._polls: dict[str, _Poll] = {}
        self._streams: dict[str, _StreamTopic] = {}
        self._owners: dict[str, set[object]] = {}
        self._generation = 0
        relay = _Relay(self)
        relay.finished.connect(self._on_finished)
        self._outbox = _Outbox(relay)

    # -- polls ---------------------------------------------------------------
    def add_poll(
        self, topic: str, call: Callable[[], Any], interval: float, owner: object = None
    ) -> None:
        """Call `call` now and every `interval` seconds, replacing any same-named topic."""
        self._claim(topic, owner)
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

    def poll_now(self, topic: str) -> None:
        """Run a poll at once, backoff or not, unless its previous call is still running."""
        poll = self._polls.get(topic)
        if poll is not None:
            poll.not_before = 0.0
            self._tick(topic)

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
        threading.Thread(
            target=_run_call,
            args=(self._slots, self._outbox, topic, poll.generation, poll.call),
            name=f"poll:{topic}",
            daemon=True,
        ).start()

    # -- streams -------------------------------------------------------------
    def add_stream(
        self,
        topic: str,
        open_stream: Callable[[], Iterable[Any]],
        retry_base: float = 1.0,
        owner: object = None,
    ) -> None:
        """Run open_stream() on its own thread, emitting each item; reopen on failure."""
        self._claim(topic, owner)
        self.remove(topic)
        self._generation += 1
        entry = _StreamTopic(threading.Event(), self._generation)
        self._streams[topic] = entry
        thread = threading.Thread(
            target=_stream_loop,
            args=(self._outbox, topic, entry, open_stream, retry_base),
            name=f"stream:{topic}",
            daemon=True,
        )
        thread.start()

    def ensure_stream(
        self,
        topic: str,
        open_stream: Callable[[], Iterable[Any]],
        retry_base: float = 1.0,
        owner: object = None,
    ) -> None:
        """Start a stream unless one with this topic already runs; panels share streams."""
        self._claim(topic, owner)
        if topic not in self._streams:
            self.add_stream(topic, open_stream, retry_base)

    # -- ownership -----------------------------------------------------------
    # Several panels show the same host, and one SSH channel per host must serve them
    # all: a topic started with an owner runs until its last owner releases it, so a
    # panel switching away never stops a stream another panel still draws from.
    def _claim(self, topic: str, owner: object) -> None:
        if owner is not None:
            self._owners.setdefault(topic, set()).add(owner)

    def release(self, topic: str, owner: object) -> None:
        """Drop owner's claim on a topic; the topic stops once no owner is left."""
        owners = self._owners.get(topic)
        if owners is None or owner not in owners:
            return
        owners.discard(owner)
        if not owners:
            del self._owners[topic]
            self.remove(topic)

    def owners(self, topic: str) -> int:
        """How many owners keep a topic alive."""
        return len(self._owners.get(topic, ()))

    # -- common --------------------------------------------------------------
    def topics(self) -> list[str]:
        """Names of every scheduled poll and stream."""
        return [*self._polls, *self._streams]

    def remove(self, topic: str) -> None:
        """Stop a poll or stream now, whoever owns it; a result in flight is dropped.

        A stream stops emitting at once; its close() completes on another thread.
        """
        poll = self._polls.pop(topic, None)
        if poll:
            poll.timer.stop()
            # The timeout lambda holds the poller; dropping it now keeps the deferred
            # delete of the timer from being what frees the poller (a double delete).
            poll.timer.timeout.disconnect()
            poll.timer.deleteLater()
        entry = self._streams.pop(topic, None)
        if entry:
            entry.stop.set()
            # Closing an SSH channel sends a message and may wait out a rekey on a dead
            # link; the GUI thread must not, so the close runs on a thread of its own.
            threading.Thread(
                target=_close_current, args=(entry,), name=f"close:{topic}", daemon=True
            ).start()

    def shutdown(self) -> None:
        """Stop everything; workers still running are abandoned, not waited for."""
        self._outbox.close()
        self._owners.clear()
        for topic in self.topics():
            self.remove(topic)

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
