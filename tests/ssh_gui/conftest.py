"""Fixtures for the SSH GUI tests: the app's SSH glue over the shared namespace test bed."""
from __future__ import annotations

import time

import pytest


class StallMeter:
    """Measures GUI event-loop stalls: a 5 ms QTimer records the gaps between its ticks."""

    INTERVAL_MS = 5

    def __init__(self):
        from PySide6.QtCore import Qt, QTimer

        self.gaps: list[float] = []
        self._last = None
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(self.INTERVAL_MS)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.gaps.append((now - self._last) * 1000.0)
        self._last = now

    def start(self) -> None:
        """Start measuring."""
        self._last = None
        self.gaps.clear()
        self._timer.start()

    def stop(self) -> None:
        """Stop measuring."""
        self._timer.stop()

    @property
    def longest_ms(self) -> float:
        """The longest gap between two ticks, in milliseconds."""
        return max(self.gaps, default=0.0)


@pytest.fixture
def stall_meter(qapp):
    """A StallMeter, stopped after the test."""
    meter = StallMeter()
    yield meter
    meter.stop()


@pytest.fixture
def app_parts(qapp, ssh_home):
    """Poller, HardwareSources, Navigator and an SshManager using the test's HOME files."""
    from app.context import AppContext
    from app.navigation import Navigator
    from app.poller import Poller
    from app.ssh_manager import SshManager
    from services.hardware.sources import HardwareSources
    from services.hosts_inventory import HostsInventory

    poller = Poller()
    hardware = HardwareSources()
    inventory = HostsInventory(ssh_config_path=ssh_home / ".ssh" / "config")
    manager = SshManager(hardware, poller, inventory,
                         user_known_hosts=ssh_home / ".ssh" / "known_hosts")
    context = AppContext(poller=poller, hardware=hardware, ssh=manager, navigation=Navigator())
    yield context
    manager.shutdown()
    poller.shutdown()
    pool = manager._pool
    if pool is not None:
        pool.close_all()  # in the test, wait: no transport may outlive it
