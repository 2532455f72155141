"""Where hardware data comes from, per target: 'local' now, SSH hosts register later.

Panels ask this registry for calls and stream factories and hand them to the poller;
they never build runners themselves, so the local machine and remote hosts share the
same panels, parsers and sampler.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from services.hardware.frames import Frame, read_local_frame
from services.hardware.model import HardwareInventory, HardwareSample
from services.runner import CommandRunner, LocalRunner
from services.streams import IntervalStream, Stream

LOCAL = "local"


@dataclass(frozen=True)
class HardwareSource:
    """How to reach one target: a runner for inventory and a frame stream for samples."""

    runner: Callable[[], CommandRunner]
    frames: Callable[[float], Stream[Frame]]


class HardwareSources:
    """Registry of targets that hardware panels can show."""

    def __init__(self) -> None:
        self._sources: dict[str, HardwareSource] = {
            LOCAL: HardwareSource(LocalRunner, lambda s: IntervalStream(read_local_frame, s))
        }
        self._listeners: list[Callable[[], None]] = []

    def targets(self) -> list[str]:
        """Names of every known target, local first."""
        return list(self._sources)

    def register(self, name: str, source: HardwareSource) -> None:
        """Add or replace a target and tell listeners."""
        self._sources[name] = source
        self._notify()

    def unregister(self, name: str) -> None:
        """Remove a target (never 'local') and tell listeners."""
        if name != LOCAL and self._sources.pop(name, None) is not None:
            self._notify()

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call listener whenever the set of targets changes."""
        self._listeners.append(listener)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    def inventory_call(self, name: str) -> Callable[[], HardwareInventory]:
        """Return a blocking call that reads the target's inventory (run it off the GUI)."""
        from services.hardware.inventory import collect_inventory

        source = self._sources[name]
        return lambda: collect_inventory(source.runner())

    def sample_stream(self, name: str, interval: float) -> Callable[[], Stream[HardwareSample]]:
        """Return a factory of live sample streams for the target."""
        from services.hardware.sampler import SampleStream

        source = self._sources[name]
        return lambda: SampleStream(source.frames(interval))
