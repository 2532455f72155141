"""Docker networks panel: per-engine network table, details, and a live topology graph.

The panel listens to one poller stream per engine, "docker.networks:<engine>", fed by
DockerEventStream: a resync snapshot when it connects and one after each relevant
engine event. There is no polling loop, so the age label does not go stale by time;
the panel turns stale when the stream reports an error (engine stopped, socket gone)
and fresh again with the resync after the poller reopens the stream with backoff.

Engines are the local ones (given, or discovered off the GUI thread) plus one per SSH
host of the app's inventory, refreshed on SshManager.hosts_changed. A remote engine is
reached through the app's pool (the same transport, host-key policy and prompts as the
host's hardware stream); the pool getter is only called on the engine stream's thread.
Only a local engine is chosen automatically: an SSH host is contacted when picked.
"""
from __future__ import annotations

import threading
from typing import Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.context import AppContext
from app.panel_registry import PanelSpec
from services.docker.engines import EngineTarget
from services.docker.model import DockerNetworksSnapshot
from views.data_age import DataAgeLabel
from views.docker_engines_table import EnginesTableModel
from views.docker_networks_table import NetworkDetails, NetworksTableModel
from views.docker_topology import (
    CONTAINER_PREFIX,
    NETWORK_PREFIX,
    bus_layout,
    network_node_id,
    topology_graph,
)
from views.graph_view import GraphView

RETRY_BASE = 0.5
TICK_MS = 1000
# Events, not a timer, drive updates: the age label must never go stale on a quiet engine.
QUIET_IS_FINE = 10 ** 9


def networks_topic(engine: str) -> str:
    """Poller topic of one engine's network snapshots."""
    return f"docker.networks:{engine}"


def _one_line(exc: object) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:300] if lines else type(exc).__name__


class DockerNetworksPanel(QWidget):
    """Networks of one engine as a table, the selected network's details, and a topology."""

    snapshot_shown = Signal(object)
    # Engine discovery reads files, so it runs on a thread and reports back here.
    _engines_found = Signal(object)

    def __init__(
        self,
        context: AppContext,
        engines: Sequence[EngineTarget] | None = None,
        parent=None,
        remote_socket: str | None = None,
    ):
        super().__init__(parent)
        self._poller = context.poller
        self._ssh = context.ssh
        # The engine's socket on SSH hosts; None uses the remote docker CLI's default.
        self._remote_socket = remote_socket
        self._discover = engines is None
        self._local: list[EngineTarget] = list(engines or ())
        self._ssh_hosts: dict[str, str] = {}  # engine name -> inventory host name
        self._engine: EngineTarget | None = None
        self._wanted: str | None = self._local[0].name if self._local else None
        self._painted = False
        self._syncing_row = False
        self.snapshot: DockerNetworksSnapshot | None = None
        self.is_stale = False
        self.last_error = ""
        self.engines = EnginesTableModel(self)
        self._build_ui()
        self._refresh_engines()
        self._poller.snapshot_ready.connect(self._on_snapshot)
        self._poller.error_raised.connect(self._on_error)
        self._engines_found.connect(self.set_engines, Qt.ConnectionType.QueuedConnection)
        if self._ssh is not None:
            self._ssh.hosts_changed.connect(self._refresh_engines)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        """Connect on the first paint: the SDK loads after the first window, and a
        panel that was never shown never talks to an engine."""
        super().paintEvent(event)
        self._painted = True
        if self._discover:
            self._discover = False
            threading.Thread(target=self._find_engines, name="docker-engines", daemon=True).start()
        if self._wanted is not None:
            name, self._wanted = self._wanted, None
            QTimer.singleShot(0, lambda: self.set_engine(name))

    def _build_ui(self) -> None:
        self.engines_table = QTableView(objectName="enginesTable")
        self.engines_table.setModel(self.engines)
        self.engines_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.engines_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.engines_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Arrow keys pick an engine; Tab leaves the table instead of walking its cells.
        self.engines_table.setTabKeyNavigation(False)
        self.engines_table.setWordWrap(False)
        self.engines_table.horizontalHeader().setStretchLastSection(True)
        self.engines_table.verticalHeader().hide()
        self.engines_table.setAccessibleName("Docker engines")
        engines_title = QLabel("&Engines")
        engines_title.setBuddy(self.engines_table)
        self._ticker = QTimer(self)
        self._ticker.setInterval(TICK_MS)
        self._ticker.timeout.connect(self.engines.tick)
        self._ticker.start()
        self.age_label = DataAgeLabel(QUIET_IS_FINE)
        self.age_label.setObjectName("dataAgeLabel")
        self.age_label.setTextFormat(Qt.TextFormat.PlainText)  # errors may quote engine data
        self.png_button = QPushButton("Export PNG…", objectName="exportPngButton")
        self.svg_button = QPushButton("Export SVG…", objectName="exportSvgButton")
        bar = QHBoxLayout()
        bar.addWidget(engines_title)
        bar.addWidget(self.age_label, 1)
        bar.addWidget(self.png_button)
        bar.addWidget(self.svg_button)

        self.model = NetworksTableModel(self)
        self.table = QTableView(objectName="networksTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.details = NetworkDetails()
        self.graph = GraphView(bus_layout)
        self.graph.setObjectName("topologyView")
        self.tabs = QTabWidget()
        self.tabs.addTab(self.details, "Details")
        self.tabs.addTab(self.graph, "Topology")
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.engines_table)
        splitter.addWidget(self.table)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 1)
        splitter.setStretchFactor(2, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)

        self.engines_table.selectionModel().currentRowChanged.connect(self._on_engine_row)
        self.table.selectionModel().selectionChanged.connect(self._on_row_selected)
        self.graph.node_selected.connect(self._on_node_selected)
        self.png_button.clicked.connect(lambda: self._export("PNG image (*.png)", self.graph.export_png))
        self.svg_button.clicked.connect(lambda: self._export("SVG image (*.svg)", self.graph.export_svg))

    # -- engines -------------------------------------------------------------
    @property
    def engine(self) -> EngineTarget | None:
        """The engine shown now."""
        return self._engine

    def _find_engines(self) -> None:
        from services.docker.engines import local_engines

        engines = local_engines()
        try:
            self._engines_found.emit(engines)
        except RuntimeError:  # the panel was closed meanwhile
            pass

    def set_engines(self, engines: Sequence[EngineTarget]) -> None:
        """Replace the local engines offered; the current one stays if still offered."""
        self._local = list(engines)
        self._refresh_engines()

    def _inventory_engines(self) -> list[tuple[EngineTarget, str]]:
        """(engine, host name) for each SSH host of the app's inventory; connects nothing."""
        if self._ssh is None:
            return []
        from services.docker.remote import ssh_engine

        engines = []
        for host in self._ssh.hosts():
            target = self._ssh.target(host.name)
            if target is not None:
                engines.append((ssh_engine(self._ssh.pool, target, self._remote_socket), host.name))
        return engines

    def _refresh_engines(self) -> None:
        remote = self._inventory_engines()
        self._ssh_hosts = {engine.name: host for engine, host in remote}
        self.engines.set_engines([(e, e.name) for e in self._local]
                                 + [(e, f"docker on {host}") for e, host in remote])
        current = self._engine
        if current is not None:
            row = self.engines.engine_row(current.name)
            if row is not None and row.target == current:
                self._select_row(current.name)
                return
            if row is not None:  # the same engine with new settings (a host was edited)
                self.set_engine(current.name)
                return
            self._poller.remove(networks_topic(current.name))
            self._engine = None
        first = self._local[0].name if self._local else None
        if self._painted and first is not None:
            self.set_engine(first)
        else:
            self._wanted = first

    def set_engine(self, name: str) -> None:
        """Show another engine: stop listening to the old one, start its stream."""
        row = self.engines.engine_row(name)
        target = row.target if row is not None else None
        if target is None or target is self._engine:
            return
        self._wanted = None
        if self._engine is not None:
            self._poller.remove(networks_topic(self._engine.name))
            self.engines.mark_left(self._engine.name)
        self._engine = target
        self.snapshot = None
        self.is_stale = False
        self.last_error = ""
        self.model.set_networks(())
        self.details.clear()
        self.age_label.reset()
        self.engines.mark_connecting(name)
        self._select_row(name)

        def open_stream(target=target):
            from services.docker.events import DockerEventStream

            return DockerEventStream(target)

        self._poller.add_stream(networks_topic(name), open_stream, retry_base=RETRY_BASE)

    def shutdown(self) -> None:
        """Stop this panel's stream (the main window calls this when it closes)."""
        self._wanted = None
        self._ticker.stop()
        if self._engine is not None:
            self._poller.remove(networks_topic(self._engine.name))

    def _select_row(self, name: str) -> None:
        row = self.engines.row_of(name)
        if row < 0:
            return
        # A flag rather than blocked signals: the view must still repaint the selection.
        self._syncing_row = True
        try:
            self.engines_table.selectRow(row)
        finally:
            self._syncing_row = False

    def _on_engine_row(self, current, _previous) -> None:
        target = self.engines.target_at(current.row()) if current.isValid() else None
        if target is not None and not self._syncing_row:
            self.set_engine(target.name)

    # -- data ----------------------------------------------------------------
    def _on_snapshot(self, topic: str, snapshot: object) -> None:
        if self._engine is None or topic != networks_topic(self._engine.name):
            return
        if isinstance(snapshot, DockerNetworksSnapshot):
            self.show_snapshot(snapshot)

    def show_snapshot(self, snapshot: DockerNetworksSnapshot) -> None:
        """Render a snapshot: table, details of the selected network, topology, age."""
        selected = self.selected_network_id()
        self.snapshot = snapshot
        self.is_stale = False
        self.last_error = ""
        self.model.set_networks(snapshot.networks)
        if self._engine is not None:
            self.engines.mark_snapshot(self._engine.name, snapshot.engine, snapshot.host_status)
        self.graph.set_graph(topology_graph(snapshot))
        row = self.model.row_of(selected) if selected else -1
        if row >= 0:
            self.table.selectRow(row)
        else:
            self.details.clear()
        self.age_label.mark_updated()
        self.snapshot_shown.emit(snapshot)

    def _on_error(self, topic: str, exc: object) -> None:
        if self._engine is None or topic != networks_topic(self._engine.name):
            return
        self.is_stale = True
        self.last_error = _one_line(exc)
        self.engines.mark_error(self._engine.name, self.last_error)
        self.age_label.mark_error(f"STALE: {self.last_error}")
        host = self._ssh_hosts.get(self._engine.name)
        if host is not None and self._ssh is not None:
            from services.ssh.errors import HostKeyChanged

            if isinstance(exc, HostKeyChanged):
                self._ssh.show_changed_key(host, exc)

    # -- selection -----------------------------------------------------------
    def selected_network_id(self) -> str:
        """Id of the network selected in the table, or ''."""
        rows = self.table.selectionModel().selectedRows()
        network = self.model.network_at(rows[0].row()) if rows else None
        return network.id if network else ""

    def select_network(self, network_id: str) -> None:
        """Select a network's row (and its bus in the topology)."""
        row = self.model.row_of(network_id)
        if row >= 0:
            self.table.selectRow(row)

    def _on_row_selected(self, *_args) -> None:
        if self.snapshot is None:
            return
        network_id = self.selected_network_id()
        network = next((n for n in self.snapshot.networks if n.id == network_id), None)
        self.details.show_network(self.snapshot, network)
        if network is not None and self.graph.selected_node() != network_node_id(network.id):
            self.graph.blockSignals(True)
            self.graph.select_node(network_node_id(network.id))
            self.graph.blockSignals(False)

    def _on_node_selected(self, node_id: str) -> None:
        if self.snapshot is None or not node_id:
            return
        if node_id.startswith(NETWORK_PREFIX):
            self.select_network(node_id[len(NETWORK_PREFIX):])
        elif node_id.startswith(CONTAINER_PREFIX):
            self.table.clearSelection()
            self.details.show_container(self.snapshot, node_id[len(CONTAINER_PREFIX):])

    def _export(self, file_filter: str, write) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export topology", "", file_filter)
        if path and not write(path):
            self.age_label.mark_error(f"could not write {path}")


PANEL = PanelSpec(
    "dockerNetworksPanel", "Docker networks", DockerNetworksPanel,
    area=Qt.DockWidgetArea.RightDockWidgetArea, shortcut="Ctrl+4", tab_with="hardwarePanel",
)
