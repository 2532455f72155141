"""Docker networks at lab scale: 50 networks, 200 containers, on a private real dockerd.

Figures, each against `docker network ls -q` + `docker network inspect IDS...` (the
CLI, as argv, no shell) timed in the same run, alternately, N times each:
- first paint: a new engine client (SDK connect, networks, containers) + topology
  layout + paint of the panel (table and topology), as the panel does on connect;
- until host side painted: that plus pid lookups, every container's links via
  nsenter, host links and the nat table, painted again (cold caches);
- warm: a full resync with the client's caches, what every event costs;
- engine without inspectable host: no host side at all.
Then the event-to-screen latency of `network connect`: from just before the API call
to the first paint of the panel showing the new endpoint, with the live event stream.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_docker_networks.py [--runs N]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QObject  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.context import AppContext  # noqa: E402
from app.poller import Poller  # noqa: E402
from services.docker.client import DockerEngineClient  # noqa: E402
from services.docker.engines import engine_for_url  # noqa: E402
from services.hardware.sources import HardwareSources  # noqa: E402
from tests.docker.dockerd_bed import IMAGE, DockerdBed  # noqa: E402
from views.docker_networks_panel import DockerNetworksPanel  # noqa: E402

NETWORKS = 50
CONTAINERS = 200
TARGET_RATIO = 1.0


def populate(bed: DockerdBed) -> None:
    """50 bridge networks; 200 containers, every fourth one on a second network."""
    for i in range(NETWORKS):
        bed.docker("network", "create", "--subnet", f"10.77.{100 + i}.0/24", f"bench-net-{i}")
    names = []
    for j in range(CONTAINERS):
        name = f"bench-c-{j}"
        bed.docker("create", "--name", name, "--stop-timeout", "1", "--network",
                   f"bench-net-{j % NETWORKS}", IMAGE, "sleep", "3600")
        if j % 4 == 0:
            bed.docker("network", "connect", f"bench-net-{(j + 1) % NETWORKS}", name)
        names.append(name)
    for start in range(0, len(names), 50):
        bed.docker("start", *names[start:start + 50], timeout=600)


def baseline(bed: DockerdBed) -> float:
    """Seconds for the CLI to list and inspect every network."""
    started = time.perf_counter()
    ids = subprocess.run(bed.docker_argv("network", "ls", "-q"), capture_output=True, text=True,
                         check=True).stdout.split()
    subprocess.run(bed.docker_argv("network", "inspect", *ids), capture_output=True, check=True)
    return time.perf_counter() - started


def load_and_paint(app, panel, client, host_side: bool = True) -> tuple[float, float, float]:
    """(snapshot, layout + scene + model, paint) seconds for one snapshot shown."""
    t0 = time.perf_counter()
    snapshot = client.snapshot(host_side=host_side, previous=panel.snapshot)
    t1 = time.perf_counter()
    panel.show_snapshot(snapshot)
    t2 = time.perf_counter()
    panel.repaint()
    panel.graph.viewport().repaint()
    app.processEvents()
    return t1 - t0, t2 - t1, time.perf_counter() - t2


class PaintAfter(QObject):
    """Records the time of the first paint after arm()."""

    def __init__(self):
        super().__init__()
        self.armed = False
        self.painted_at: float | None = None

    def arm(self) -> None:
        """Wait for the next paint."""
        self.armed, self.painted_at = True, None

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt API
        """Note the first paint once armed."""
        if self.armed and event.type() == QEvent.Type.Paint:
            self.armed, self.painted_at = False, time.perf_counter()
        return False


def connect_latencies(app, bed: DockerdBed, runs: int) -> tuple[list[float], list[float]]:
    """Seconds from the connect call, and from the engine's event, to the panel's paint."""
    import docker

    poller = Poller()
    target = engine_for_url(bed.url)
    panel = DockerNetworksPanel(AppContext(poller, HardwareSources()), [target])
    panel.resize(1400, 900)
    panel.show()
    probe = PaintAfter()
    panel.table.viewport().installEventFilter(probe)
    deadline = time.monotonic() + 120
    # Measure the steady state: the first resync, host side included, is done.
    while (panel.snapshot is None or panel.snapshot.host_status != "ok") and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.005)
    api = docker.APIClient(base_url=bed.url, version="auto")
    latencies, from_event = [], []
    try:
        for k in range(runs):
            container, network = f"bench-c-{k + 1}", f"bench-net-{(k + 10) % NETWORKS}"
            seen = threading.Event()
            event_at: list[float] = []

            def on_shown(snapshot, container=container, network=network):
                net = next((n for n in snapshot.networks if n.name == network), None)
                if net and container in {e.container_name for e in net.endpoints} and not seen.is_set():
                    seen.set()
                    event_at.append(snapshot.engine.last_event_at)
                    probe.arm()

            panel.snapshot_shown.connect(on_shown)
            started = time.perf_counter()
            threading.Thread(target=api.connect_container_to_network, args=(container, network)).start()
            end = time.monotonic() + 10
            while (not seen.is_set() or probe.painted_at is None) and time.monotonic() < end:
                app.processEvents()
                time.sleep(0.001)
            panel.snapshot_shown.disconnect(on_shown)
            if probe.painted_at is None:
                raise RuntimeError(f"connect of {container} to {network} not shown within 10 s")
            latencies.append(probe.painted_at - started)
            # The event carries the engine's wall clock; the paint is converted to it.
            painted_wall = time.time() - (time.perf_counter() - probe.painted_at)
            from_event.append(painted_wall - event_at[0])
            api.disconnect_container_from_network(container, network)
            settle = time.monotonic() + 1.0
            while time.monotonic() < settle:  # let the disconnect's resyncs finish
                app.processEvents()
                time.sleep(0.005)
    finally:
        api.close()
        panel.shutdown()
        poller.shutdown()
        panel.close()
    return latencies, from_event


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    bed = DockerdBed()
    try:
        bed.start()
        bed.build_busybox_image()
        t = time.perf_counter()
        populate(bed)
        print(f"populated {NETWORKS} networks, {CONTAINERS} containers in {time.perf_counter() - t:.0f} s")
        target = engine_for_url(bed.url)
        engine_only = replace(target, host_runner=None)
        idle_poller = Poller()  # show_snapshot() is called directly; no stream is opened
        panel = DockerNetworksPanel(AppContext(idle_poller, HardwareSources()), [])
        panel.resize(1400, 900)
        panel.tabs.setCurrentWidget(panel.graph)
        panel.show()
        app.processEvents()
        base, first, cold, warm, bare = [], [], [], [], []
        warm_client = DockerEngineClient(target)
        load_and_paint(app, panel, warm_client)  # fill its caches
        for _ in range(args.runs):
            base.append(baseline(bed))
            panel.show_snapshot(replace(panel.snapshot, networks=(), containers=()))
            client = DockerEngineClient(target)
            first.append(load_and_paint(app, panel, client, host_side=False))
            full = load_and_paint(app, panel, client)
            cold.append(tuple(a + b for a, b in zip(first[-1], full)))
            client.close()
            warm.append(load_and_paint(app, panel, warm_client))
            client = DockerEngineClient(engine_only)
            bare.append(load_and_paint(app, panel, client))
            client.close()
        snap = warm_client.snapshot()
        warm_client.close()
        endpoints = sum(len(n.endpoints) for n in snap.networks)
        print(f"snapshot: {len(snap.networks)} networks, {len(snap.containers)} containers, "
              f"{endpoints} endpoints, {len(snap.nat.masquerade)} MASQUERADE rules, "
              f"{len(panel.graph.node_items())} graph nodes")
        b = statistics.median(base)
        print(f"baseline docker network ls + inspect: median {b * 1000:.0f} ms")
        for label, rows in (("first paint on connect (engine data; host side follows)", first),
                            ("connect until host side painted (cold caches)", cold),
                            ("warm resync after an event (host side)", warm),
                            ("engine without inspectable host", bare)):
            total = statistics.median(sum(r) for r in rows)
            parts = [statistics.median(r[i] for r in rows) * 1000 for i in range(3)]
            print(f"{label}: median {total * 1000:.0f} ms = snapshot {parts[0]:.0f} + layout/scene/model "
                  f"{parts[1]:.0f} + paint {parts[2]:.0f}; ratio {total / b:.2f} (target <= {TARGET_RATIO})")
        panel.close()
        idle_poller.shutdown()
        latencies, from_event = connect_latencies(app, bed, args.runs)
        print(f"network connect, API call to screen: median {statistics.median(latencies) * 1000:.0f} ms, "
              f"max {max(latencies) * 1000:.0f} ms over {len(latencies)} connects")
        print(f"network connect, engine event to screen: median {statistics.median(from_event) * 1000:.0f} ms, "
              f"max {max(from_event) * 1000:.0f} ms")
    finally:
        problems = bed.stop_and_clean()
        print("cleanup:", "complete" if not problems else f"LEFT BEHIND {problems}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
