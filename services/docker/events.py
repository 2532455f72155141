"""A Stream of snapshots driven by the engine's event stream: no polling loop.

Opening the stream subscribes to events first and only then takes the resync
snapshot, so a change made in between is never missed. After that, each relevant
event (or a burst of them, coalesced for a few tens of milliseconds) yields a fresh
snapshot: when the host can be inspected, first one with the engine's data only
(cheap, so the change paints at once) and then one with veths and NAT re-read.
When the engine goes away the event stream ends and iteration raises
TargetUnavailable; the poller reports it (the panel turns stale) and reopens the
stream with backoff, which resyncs.
"""
from __future__ import annotations

import queue
import threading
import time
from typing import Any, Iterator

from services.docker.client import DockerEngineClient
from services.docker.engines import EngineTarget
from services.docker.model import DockerNetworksSnapshot
from services.errors import TargetUnavailable

RELEVANT_ACTIONS = {
    "network": {"create", "destroy", "remove", "connect", "disconnect"},
    "container": {"start", "die", "rename", "destroy"},
}
COALESCE_SECONDS = 0.05
_END = object()


def is_relevant(event: Any) -> bool:
    """True for the network and container events that change the networks view."""
    if not isinstance(event, dict):
        return False
    kind = event.get("Type")
    action = event.get("Action")
    return isinstance(action, str) and action in RELEVANT_ACTIONS.get(kind, ())


def event_time(event: dict) -> float:
    """The event's Unix time from timeNano/time, or now when missing."""
    nano = event.get("timeNano")
    seconds = event.get("time")
    try:
        if isinstance(nano, int) and not isinstance(nano, bool):
            return nano / 1e9
        if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
            return float(seconds)
    except OverflowError:
        pass
    return time.time()


class DockerEventStream:
    """Yields a snapshot on open and after each relevant engine event, until closed."""

    def __init__(self, target: EngineTarget):
        self._client = DockerEngineClient(target)
        self._queue: queue.Queue = queue.Queue()
        self._closed = threading.Event()
        self._events: Any = None
        self.last_event_at: float | None = None

    def __iter__(self) -> Iterator[DockerNetworksSnapshot]:
        """Resync, then one snapshot per burst of relevant events; ends quietly when closed."""
        try:
            yield from self._snapshots()
        except TargetUnavailable:
            # close() makes a snapshot in progress fail fast; that is the end, not an error.
            if not self._closed.is_set():
                raise

    def _snapshots(self) -> Iterator[DockerNetworksSnapshot]:
        # Replaying from a second before now, on the engine's own clock (a remote
        # engine's clock may differ from ours), closes the gap between the engine
        # answering the subscription and registering it; a replayed event only
        # costs one extra resync.
        now = self._client.engine_time()
        self._events = self._client.events(None if now is None else now - 1)
        reader = threading.Thread(target=self._read_events, name="docker-events", daemon=True)
        reader.start()
        if self._closed.is_set():
            return
        last = None
        while not self._closed.is_set():
            if self._client.has_host_side():
                # Engine data first, so a change paints at once; veths and NAT follow.
                yield self._client.snapshot(self.last_event_at, host_side=False, previous=last)
                if self._closed.is_set():
                    return
            last = self._client.snapshot(self.last_event_at)
            yield last
            if not self._wait_for_change():
                break
        if not self._closed.is_set():
            raise TargetUnavailable(f"docker engine {self._client.target.name}: event stream ended")

    def _wait_for_change(self) -> bool:
        """Block until a relevant event (burst) arrives; False when the stream ended."""
        while not self._closed.is_set():
            item = self._queue.get()
            if item is _END or self._closed.is_set():
                return False
            if isinstance(item, BaseException):
                raise TargetUnavailable(f"docker events: {item}") from item
            if is_relevant(item):
                self._note(item)
                self._drain_burst()
                return True
        return False

    def _drain_burst(self) -> None:
        """Swallow relevant events arriving right after the first: one snapshot covers all."""
        deadline = time.monotonic() + COALESCE_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            try:
                item = self._queue.get(timeout=left)
            except queue.Empty:
                return
            if item is _END or isinstance(item, BaseException):
                self._queue.put(item)  # the main loop handles the end after this snapshot
                return
            if is_relevant(item):
                self._note(item)

    def _note(self, event: dict) -> None:
        """Record the event's time; a container that started or stopped has a new pid."""
        self.last_event_at = event_time(event)
        actor = event.get("Actor")
        if event.get("Type") == "container" and isinstance(actor, dict):
            container_id = actor.get("ID")
            if isinstance(container_id, str):
                self._client.forget(container_id)

    def _read_events(self) -> None:
        try:
            for event in self._events:
                self._queue.put(event)
        except Exception as exc:  # noqa: BLE001 - handed to the iterating thread
            if not self._closed.is_set():
                self._queue.put(exc)
        self._queue.put(_END)

    def close(self) -> None:
        """Stop from any thread: cancel the HTTP stream and wake the iterator."""
        self._closed.set()
        self._queue.put(_END)
        events = self._events
        if events is not None:
            try:
                events.close()
            except Exception:  # noqa: BLE001 - the socket may already be gone
                pass
        self._client.close()
