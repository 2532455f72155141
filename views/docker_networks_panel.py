"""Docker networks panel: per-engine network table, details, and a live topology graph.

The panel listens to one poller stream per engine, "docker.networks:<engine>", fed by
DockerEventStream: a resync snapshot when it connects and one after each relevant
engine event. There is no polling loop, so the age label does not go stale by time;
the panel turns stale when the stream reports an error (engine stopped, socket gone)
and fresh again with the resync after the poller reopens the stream with backoff.
"""
from __future__ import annotations

import threading
import time
from typing import Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
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

    def __init__(self, context: AppContext, engines: Sequence[EngineTarget] | None = None, parent=None):
        super().__init__(parent)
        self._poller = context.poller
        self._discover = engines is None
        self._engines = {e.name: e for e in engines or ()}
        self._engine: EngineTarget | None = None
        self._wanted: str | None = next(iter(self._engines), None)
        self._painted = False
        self.snapshot: DockerNetworksSnapshot | None = None
        self.is_stale = False
        self.last_error = ""
        self._build_ui()
        self._poller.snapshot_ready.connect(self._on_snapshot)
        self._poller.error_raised.connect(self._on_error)
        self._engines_found.connect(self.set_engines, Qt.ConnectionType.QueuedConnection)

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
        self.engine_combo = QComboBox(objectName="engineCombo")
        self.engine_combo.addItems(list(self._engines))
        self.engine_label = QLabel("not connected", objectName="engineStateLabel")
        self.age_label = DataAgeLabel(QUIET_IS_FINE)
        self.age_label.setObjectName("dataAgeLabel")
        self.png_button = QPushButton("Export PNG…", objectName="exportPngButton")
        self.svg_button = QPushButton("Export SVG…", objectName="exportSvgButton")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Engine"))
        bar.addWidget(self.engine_combo)
        bar.addWidget(self.engine_label)
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
        splitter.addWidget(self.table)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)

        self.engine_combo.currentTextChanged.connect(self._on_engine_chosen)
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
        """Replace the engines offered (e.g. when SSH hosts come and go); keeps the
        current one if it is still offered, else switches to the first."""
        self._engines = {e.name: e for e in engines}
        self.engine_combo.blockSignals(True)
        self.engine_combo.clear()
        self.engine_combo.addItems(list(self._engines))
        self.engine_combo.blockSignals(False)
        current = self._engine.name if self._engine is not None else None
        if current in self._engines and self._engines[current] == self._engine:
            self._select_combo(current)
            return
        if self._engine is not None:
            self._poller.remove(networks_topic(self._engine.name))
            self._engine = None
        first = next(iter(self._engines), None)
        if self._painted and first is not None:
            self.set_engine(first)
        else:
            self._wanted = first

    def set_engine(self, name: str) -> None:
        """Show another engine: stop listening to the old one, start its stream."""
        target = self._engines.get(name)
        if target is None or target is self._engine:
            return
        self._wanted = None
        if self._engine is not None:
            self._poller.remove(networks_topic(self._engine.name))
        self._engine = target
        self.snapshot = None
        self.model.set_networks(())
        self.details.clear()
        self.engine_label.setText(f"{target.url}: connecting…")
        self._select_combo(name)

        def open_stream(target=target):
            from services.docker.events import DockerEventStream

            return DockerEventStream(target)

        self._poller.add_stream(networks_topic(name), open_stream, retry_base=RETRY_BASE)

    def shutdown(self) -> None:
        """Stop this panel's stream (the main window calls this when it closes)."""
        self._wanted = None
        if self._engine is not None:
            self._poller.remove(networks_topic(self._engine.name))

    def _select_combo(self, name: str) -> None:
        self.engine_combo.blockSignals(True)
        self.engine_combo.setCurrentText(name)
        self.engine_combo.blockSignals(False)

    def _on_engine_chosen(self, name: str) -> None:
        if name:
            self.set_engine(name)

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
        self._describe_engine(snapshot)
        self.graph.set_graph(topology_graph(snapshot))
        row = self.model.row_of(selected) if selected else -1
        if row >= 0:
            self.table.selectRow(row)
        else:
            self.details.clear()
        self.age_label.mark_updated()
        self.snapshot_shown.emit(snapshot)

    def _describe_engine(self, snapshot: DockerNetworksSnapshot) -> None:
        engine = snapshot.engine
        text = f"{engine.url}: {engine.state}, Docker {engine.version or '?'}"
        if engine.last_event_at is not None:
            text += ", last event " + time.strftime("%H:%M:%S", time.localtime(engine.last_event_at))
        if snapshot.host_status != "ok":
            text += f"; host side {snapshot.host_status}"
        self.engine_label.setText(text)

    def _on_error(self, topic: str, exc: object) -> None:
        if self._engine is None or topic != networks_topic(self._engine.name):
            return
        self.is_stale = True
        self.last_error = _one_line(exc)
        self.engine_label.setText(f"{self._engine.url}: unreachable, reconnecting…")
        self.age_label.mark_error(f"STALE: {self.last_error}")

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
    area=Qt.DockWidgetArea.BottomDockWidgetArea, shortcut="Ctrl+4",
)
