"""Benchmark: 20 namespace SSH hosts streaming at 1 Hz into the app's overview, offscreen.

Runs the real app pieces (SshManager, Poller, OverviewPanel) against real sshd hosts
from the test bed, and measures in the same run:
  - a baseline: the same window with only the local machine, idle of SSH hosts;
  - the load: 20 SSH hosts streaming one sample per second each.
Prints app CPU %, GUI event-loop stall p99/max (a 5 ms timer recording the gaps between
its ticks), SSH transports per host (the pool's count and the established TCP
connections seen inside each host's namespace), and ratios against the baseline.

Usage (root): .venv/bin/python bench/bench_ssh_hosts.py [--hosts 20] [--seconds 60]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(stat: str = "/proc/self/stat") -> float:
    """User + system CPU time of this process (or of one thread's stat file)."""
    fields = Path(stat).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def gui_thread_cpu_seconds() -> float:
    """CPU time of the GUI (main) thread alone."""
    import threading

    return process_cpu_seconds(f"/proc/self/task/{threading.main_thread().native_id}/stat")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


class Phase:
    """CPU time, wall time and event-loop gaps over one measured period."""

    def __init__(self, seconds: float):
        from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer

        self.gaps: list[float] = []
        clock = QElapsedTimer()
        clock.start()
        last = [clock.nsecsElapsed()]

        def tick():
            now = clock.nsecsElapsed()
            self.gaps.append((now - last[0]) / 1e6)
            last[0] = now

        timer = QTimer()
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.setInterval(5)
        timer.timeout.connect(tick)
        cpu0, gui0, wall0 = process_cpu_seconds(), gui_thread_cpu_seconds(), time.monotonic()
        timer.start()
        loop = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()  # the real event loop, as in the app
        timer.stop()
        self.cpu = process_cpu_seconds() - cpu0
        self.gui_cpu = gui_thread_cpu_seconds() - gui0
        self.wall = time.monotonic() - wall0

    @property
    def cpu_percent(self) -> float:
        """Average CPU use of the process over the phase (100 = one core)."""
        return 100.0 * self.cpu / self.wall

    @property
    def gui_cpu_percent(self) -> float:
        """Average CPU use of the GUI thread alone."""
        return 100.0 * self.gui_cpu / self.wall

    def stall(self, q: float) -> float:
        """Gap percentile in ms (the timer asks for 5 ms)."""
        return percentile(self.gaps, q)


def established_ssh_connections(host) -> int:
    """TCP connections established to the host's sshd, counted inside its namespace."""
    out = host.exec(["ss", "-Htn", "state", "established", "( sport = :22 )"], check=False)
    return len([line for line in out.stdout.splitlines() if line.strip()])


def main() -> int:
    """Run the baseline and the 20-host phase and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--baseline-seconds", type=float, default=20.0)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="cluster-lab-bench-"))
    os.environ["CLUSTER_LAB_HOME"] = str(home / "lab")
    os.environ["HOME"] = str(home)
    os.environ.pop("SSH_AUTH_SOCK", None)

    from PySide6.QtWidgets import QApplication

    from app.context import AppContext
    from app.navigation import Navigator
    from app.poller import Poller
    from app.ssh_manager import SshManager
    from services.hardware.sources import HardwareSources
    from services.hosts_inventory import HostsInventory
    from tests.ssh.testbed import SshTestbed
    from views.overview_panel import OverviewPanel

    app = QApplication([])
    bed = SshTestbed()
    poller = manager = panel = None
    try:
        hosts = bed.main_hosts()
        while len(hosts) < args.hosts:
            hosts.append(bed.add_host(None))
        poller, hardware = Poller(max_workers=4), HardwareSources()
        manager = SshManager(hardware, poller,
                             HostsInventory(ssh_config_path=home / ".ssh" / "config"),
                             user_known_hosts=home / ".ssh" / "known_hosts")
        context = AppContext(poller, hardware, manager, Navigator())
        panel = OverviewPanel(context)
        panel.resize(1600, 1000)
        panel.show()

        print(f"baseline: overview with the local machine only, {args.baseline_seconds:.0f} s")
        baseline = Phase(args.baseline_seconds)

        bed.write_ssh_config(home, hosts, known=True)
        manager.start()
        setup_deadline = time.monotonic() + 60
        names = [h.name for h in hosts]
        while not all(manager.last_sample_age(n) is not None for n in names):
            if time.monotonic() > setup_deadline:
                missing = [n for n in names if manager.last_sample_age(n) is None]
                raise SystemExit(f"hosts never streamed: {missing} {[manager.state(n) for n in missing]}")
            app.processEvents()
            time.sleep(0.01)
        for name in names:  # ring buffers hold 120 samples: count arrivals from here on
            panel.cards[name].buffers["cpu"].clear()

        print(f"load: {len(hosts)} SSH hosts streaming at 1 Hz, {args.seconds:.0f} s")
        load = Phase(args.seconds)
        samples = {n: len(panel.cards[n].buffers["cpu"]) for n in names}
        pool_counts = {n: manager.transport_count(n) for n in names}
        tcp_counts = {h.name: established_ssh_connections(h) for h in hosts}
        total = sum(samples.values())

        print()
        print(f"{'':28}{'baseline':>12}{f'{len(hosts)} hosts':>12}{'ratio':>10}")
        for label, base, value in (
            ("app CPU %", baseline.cpu_percent, load.cpu_percent),
            ("  of which GUI thread %", baseline.gui_cpu_percent, load.gui_cpu_percent),
            ("GUI stall p99 (ms)", baseline.stall(99), load.stall(99)),
            ("GUI stall max (ms)", baseline.stall(100), load.stall(100)),
            ("GUI stall p50 (ms)", baseline.stall(50), load.stall(50)),
        ):
            print(f"{label:28}{base:12.2f}{value:12.2f}{value / base if base else float('nan'):10.2f}")
        extra_cpu_ms = 1000 * (load.cpu - baseline.cpu / baseline.wall * load.wall)
        print()
        print(f"host-samples received: {total} ({total / load.wall:.1f}/s, expected "
              f"{len(hosts)}/s; per host min {min(samples.values())} max {max(samples.values())})")
        print(f"app CPU per host-sample above baseline: {extra_cpu_ms / max(total, 1):.2f} ms")
        print(f"SSH transports per host (pool): {sorted(set(pool_counts.values()))}")
        print(f"established TCP connections per host (sshd side): {sorted(set(tcp_counts.values()))}")
        print(f"targets: stall p99 <= 20 ms: {'OK' if load.stall(99) <= 20 else 'MISSED'}; "
              f"max <= 100 ms: {'OK' if load.stall(100) <= 100 else 'MISSED'}; "
              f"1 transport per host: "
              f"{'OK' if set(pool_counts.values()) == {1} == set(tcp_counts.values()) else 'MISSED'}")
        return 0
    finally:
        if panel is not None:
            panel.shutdown()
        if manager is not None:
            manager.shutdown()
            if manager._pool is not None:
                manager._pool.close_all()
        if poller is not None:
            poller.shutdown()
        bed.close()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
