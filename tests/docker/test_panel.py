"""The Docker networks panel against a real dockerd, with the real poller and event stream."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from PySide6.QtCore import Qt

from app.context import AppContext
from app.poller import Poller
from services.hardware.sources import HardwareSources
from tests.docker.conftest import run_container
from views.docker_engines_table import LAST_EVENT, STATE, URL, VERSION
from views.docker_networks_panel import PANEL, DockerNetworksPanel, networks_topic
from views.docker_networks_table import COLUMNS
from views.docker_topology import container_node_id, network_node_id

PWNED = Path("/tmp/cluster-lab-docker-panel-pwned")


@pytest.fixture
def panel(qtbot, engine):
    poller = Poller()
    widget = DockerNetworksPanel(AppContext(poller, HardwareSources()), [engine])
    qtbot.addWidget(widget)
    assert widget.engine is None  # nothing connects before the panel is painted
    widget.show()
    qtbot.waitUntil(lambda: widget.engine is not None, timeout=5000)
    yield widget
    widget.shutdown()
    poller.shutdown()


def _endpoints(panel, network_name):
    snap = panel.snapshot
    if snap is None:
        return set()
    net = next((n for n in snap.networks if n.name == network_name), None)
    return {e.container_name for e in net.endpoints} if net else set()


def _cell(panel, network_name, column_title):
    column = [title for title, _ in COLUMNS].index(column_title)
    row = next(r for r in range(panel.model.rowCount())
               if panel.model.network_at(r).name == network_name)
    return panel.model.index(row, column).data()


def test_panel_spec():
    assert PANEL.object_name == "dockerNetworksPanel" and PANEL.shortcut == "Ctrl+4"


def test_connect_and_disconnect_show_up_from_events_within_2s(panel, dockerd, qtbot):
    dockerd.docker("network", "create", "--subnet", "10.77.30.0/24", "live-net")
    run_container(dockerd, "live-box")
    qtbot.waitUntil(lambda: panel.snapshot is not None and panel.snapshot.host_status == "ok"
                    and "live-net" in {n.name for n in panel.snapshot.networks}, timeout=5000)
    assert _cell(panel, "live-net", "Endpoints") == "0"
    panel.select_network(next(n.id for n in panel.snapshot.networks if n.name == "live-net"))

    dockerd.docker("network", "connect", "--ip", "10.77.30.9", "live-net", "live-box")
    started = time.monotonic()
    qtbot.waitUntil(lambda: _endpoints(panel, "live-net") == {"live-box"}, timeout=2000)
    assert time.monotonic() - started < 2.0
    assert _cell(panel, "live-net", "Endpoints") == "1"
    assert "10.77.30.9" in panel.details.texts()  # the selection survived the refresh
    edge_labels = {e.edge.label for e in panel.graph.edge_items()}
    assert "10.77.30.9" in edge_labels

    dockerd.docker("network", "disconnect", "live-net", "live-box")
    qtbot.waitUntil(lambda: _endpoints(panel, "live-net") == set(), timeout=2000)
    assert _cell(panel, "live-net", "Endpoints") == "0"


def test_details_topology_kind_and_verbatim_names(panel, dockerd, qtbot):
    evil = f"$(touch {PWNED});`touch {PWNED}`<b>bold</b>"
    dockerd.docker("network", "create", "--subnet", "10.77.31.0/24", "--label", f"note={evil}", "kind")
    run_container(dockerd, "lab-worker", "--network", "kind", "-p", "127.0.0.1::8080",
                  "--label", "io.x-k8s.kind.cluster=lab", "--label", "io.x-k8s.kind.role=worker",
                  "--label", f"note={evil}")
    qtbot.waitUntil(lambda: _endpoints(panel, "kind") == {"lab-worker"}
                    and panel.snapshot.host_status == "ok", timeout=5000)
    assert _cell(panel, "kind", "Notes") == "kind cluster network"
    assert _cell(panel, "kind", "Labels") == f"note={evil}"
    kind = next(n for n in panel.snapshot.networks if n.name == "kind")
    panel.select_network(kind.id)
    texts = panel.details.texts()
    assert "kind cluster lab, node lab-worker (worker)" in texts
    assert evil in texts
    assert any(t.startswith("lab-worker 8080/tcp") for t in texts)
    assert any("-j DNAT" in t and "127.0.0.1/32" in t for t in texts)
    assert any("MASQUERADE" in t and "10.77.31.0/24" in t for t in texts)
    host_side = texts[texts.index("Host side") + 1]
    assert host_side.startswith("veth") and kind.bridge_name in host_side
    # Topology: the bus is selected with the row; the container node shows its name verbatim.
    assert panel.graph.selected_node() == network_node_id(kind.id)
    worker = panel.snapshot.container(kind.endpoints[0].container_id)
    node = panel.graph.node_items()[container_node_id(worker.id)]
    assert node.node.label == "lab-worker"
    # Clicking the container in the graph shows its details.
    panel.graph.select_node(container_node_id(worker.id))
    assert "Container lab-worker" in panel.details.texts()
    assert not PWNED.exists()


def _server_version(dockerd) -> str:
    """What the engine's own /version reports, asked by the docker CLI."""
    return dockerd.docker("version", "--format", "{{.Server.Version}}").strip()


def test_engines_table_shows_state_version_and_ticking_last_event(panel, engine, dockerd, qtbot):
    state = lambda: panel.engines.text(engine.name, STATE)  # noqa: E731
    qtbot.waitUntil(lambda: state() == "connected", timeout=5000)
    assert panel.engines.text(engine.name, URL) == dockerd.url
    assert panel.engines.text(engine.name, VERSION) == _server_version(dockerd)
    before = panel.engines.engine_row(engine.name).last_event_at
    created_at = time.time()
    dockerd.docker("network", "create", "--subnet", "10.77.33.0/24", "event-net")
    qtbot.waitUntil(lambda: (panel.engines.engine_row(engine.name).last_event_at or 0) > (before or 0)
                    and "event-net" in {n.name for n in panel.snapshot.networks}, timeout=5000)
    last = panel.engines.engine_row(engine.name).last_event_at
    assert abs(last - created_at) < 5  # the create event's own time, from the engine
    first_text = panel.engines.text(engine.name, LAST_EVENT)
    assert first_text.endswith(" s ago")
    # No further event: only the clock moves the text on.
    qtbot.waitUntil(lambda: panel.engines.text(engine.name, LAST_EVENT) != first_text, timeout=5000)
    assert panel.engines.engine_row(engine.name).last_event_at == last
    assert panel.engines.text(engine.name, LAST_EVENT).endswith(" s ago")


def test_dockerd_restart_marks_stale_then_recovers(panel, dockerd, qtbot):
    dockerd.docker("network", "create", "--subnet", "10.77.32.0/24", "survivor")
    qtbot.waitUntil(lambda: _endpoints(panel, "survivor") == set() and panel.snapshot is not None
                    and "survivor" in {n.name for n in panel.snapshot.networks}, timeout=5000)
    name = panel.engine.name
    qtbot.waitUntil(lambda: panel.engines.text(name, STATE) == "connected", timeout=5000)
    version = panel.engines.text(name, VERSION)
    dockerd.stop()
    qtbot.waitUntil(lambda: panel.is_stale, timeout=10000)
    assert "STALE" in panel.age_label.text()
    assert panel.engines.text(name, STATE) == "unreachable"
    assert panel.engines.text(name, VERSION) == version  # the last known version stays
    assert panel.engines.index(panel.engines.row_of(name), STATE).data(Qt.ItemDataRole.ToolTipRole)
    dockerd.start()
    qtbot.waitUntil(lambda: not panel.is_stale, timeout=40000)
    assert "survivor" in {n.name for n in panel.snapshot.networks}
    assert "STALE" not in panel.age_label.text()
    assert panel.engines.text(name, STATE) == "connected"
    assert panel.engines.text(name, VERSION) == _server_version(dockerd)
    assert networks_topic(panel.engine.name) in panel._poller.topics()


def test_switching_engines_by_keyboard_moves_the_stream(panel, engine, tmp_path, qtbot):
    from services.docker.engines import engine_for_url

    qtbot.waitUntil(lambda: panel.engines.text(engine.name, STATE) == "connected", timeout=5000)
    missing = engine_for_url(f"unix://{tmp_path}/missing.sock")
    panel.set_engines([engine, missing])
    assert panel.engine is engine and panel.engines.rowCount() == 2
    assert panel.engines.text(engine.name, STATE) == "connected"  # kept across the refresh
    assert panel.engines.text(missing.name, STATE) == "not connected"
    table = panel.engines_table
    assert table.selectionModel().selectedRows()[0].row() == 0
    qtbot.keyClick(table, Qt.Key.Key_Down)
    assert panel.engine is missing and panel.snapshot is None
    assert panel.engines.text(engine.name, STATE) == "stale"
    topics = panel._poller.topics()
    assert networks_topic(missing.name) in topics and networks_topic(engine.name) not in topics
    qtbot.waitUntil(lambda: panel.is_stale, timeout=5000)
    assert "missing.sock" in panel.last_error
    assert panel.engines.text(missing.name, STATE) == "unreachable"
    assert panel.engines.text(missing.name, VERSION) == "—"
    qtbot.keyClick(table, Qt.Key.Key_Up)
    assert panel.engine is engine
    qtbot.waitUntil(lambda: panel.engines.text(engine.name, STATE) == "connected", timeout=5000)
    panel.set_engines([engine])
    assert panel.engine is engine and panel.engines.rowCount() == 1
    qtbot.waitUntil(lambda: panel.snapshot is not None and not panel.is_stale, timeout=5000)


def test_without_engines_given_the_panel_discovers_docker_host(dockerd, qtbot, monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", dockerd.url)
    monkeypatch.setenv("HOME", str(tmp_path))
    poller = Poller()
    widget = DockerNetworksPanel(AppContext(poller, HardwareSources()))
    qtbot.addWidget(widget)
    try:
        assert widget.engine is None and widget.engines.rowCount() == 0
        widget.show()
        qtbot.waitUntil(lambda: widget.snapshot is not None, timeout=10000)
        assert widget.engine.name == "local" and widget.engine.url == dockerd.url
        assert widget.snapshot.engine.version
    finally:
        widget.shutdown()
        poller.shutdown()


def test_time_since_last_event_reads_naturally():
    from views.docker_engines_table import format_since

    assert format_since(None) == "—"
    assert format_since(-2.0) == "0 s ago"  # an engine clock slightly ahead of ours
    assert format_since(59.4) == "59 s ago"
    assert format_since(61) == "1 min ago"
    assert format_since(7300) == "2 h ago"


def test_markup_in_a_network_name_is_shown_verbatim(panel, dockerd, qtbot):
    evil = f"<b>net</b><img src=x>;$(touch {PWNED})"
    dockerd.docker("network", "create", "--subnet", "10.77.34.0/24", evil)
    run_container(dockerd, "markup-box")
    dockerd.docker("network", "connect", evil, "markup-box")  # `run --network` would parse the '='
    qtbot.waitUntil(lambda: _endpoints(panel, evil) == {"markup-box"}, timeout=5000)
    assert _cell(panel, evil, "Name") == evil
    net = next(n for n in panel.snapshot.networks if n.name == evil)
    bus = panel.graph.node_items()[network_node_id(net.id)]
    assert bus._label.text().startswith(evil)
    assert "&lt;img src=x&gt;" in bus.toolTip() and "<img" not in bus.toolTip()
    panel.select_network(net.id)
    assert f"Network {evil}" in panel.details.texts()
    # Error texts may quote engine data too: the age label never renders markup.
    assert panel.age_label.textFormat() == Qt.TextFormat.PlainText
    assert not PWNED.exists()


def test_an_engine_error_tooltip_is_escaped():
    from services.docker.engines import engine_for_url
    from views.docker_engines_table import EnginesTableModel

    model = EnginesTableModel()
    target = engine_for_url("unix:///x.sock")
    model.set_engines([(target, "x")])
    model.mark_error(target.name, "<img src=x> $(id)")
    tip = model.index(0, STATE).data(Qt.ItemDataRole.ToolTipRole)
    assert "&lt;img src=x&gt; $(id)" in tip and "<img" not in tip
