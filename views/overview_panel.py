"""Overview panel: one card per host with its status and CPU, memory and network sparklines.

Each card listens to the host's shared "hardware.sample:<name>" stream, the same topic
the hardware panel uses, so a host is streamed once however many panels show it.
Curves are created once per card and only get new data; a click opens the host in the
hardware panel.
"""
from __future__ import annotations

import html
import time
import weakref

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame, QGridLayout, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget,
)

from app.context import AppContext
from app.panel_registry import PanelSpec
from app.topics import sample_target, sample_topic
from services.hardware.model import HardwareSample
from services.hardware.sources import LOCAL
from services.timeseries import RingBuffer
from views.hosts_panel import STATE_COLOURS, STATE_LABELS

SAMPLE_INTERVAL = 1.0
HISTORY = 120  # samples per sparkline
CARD_WIDTH = 260
STALE_AFTER = 3 * SAMPLE_INTERVAL
SERIES = (("cpu", "CPU %", "#1f77b4", (0, 100)), ("mem", "Memory %", "#2ca02c", (0, 100)),
          ("net", "Network", "#ff7f0e", None))


def summarise(sample: HardwareSample) -> dict[str, float]:
    """CPU %, memory used % and total network bytes/s (loopback excluded) of a sample."""
    memory = sample.memory
    mem = 100.0 * memory.used / memory.total if memory and memory.total else 0.0
    net = sum(v for k, v in sample.net_rx_bps.items() if k != "lo")
    net += sum(v for k, v in sample.net_tx_bps.items() if k != "lo")
    return {"cpu": sample.cpu_percent, "mem": mem, "net": net}


def format_rate(bps: float) -> str:
    """Bytes per second with a binary unit."""
    for unit in ("B/s", "KiB/s", "MiB/s", "GiB/s"):
        if bps < 1024 or unit == "GiB/s":
            return f"{bps:.0f} {unit}" if unit == "B/s" else f"{bps:.1f} {unit}"
        bps /= 1024
    return ""


class HostCard(QFrame):
    """Status line and three sparklines of one host; clicking it emits `clicked`."""

    clicked = Signal(str)

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.name = name
        self.setObjectName(f"hostCard:{name}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFixedWidth(CARD_WIDTH)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Maximum)
        self.buffers = {key: RingBuffer(HISTORY) for key, *_ in SERIES}
        self.last_sample_at: float | None = None
        self.status_state = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.title_label = QLabel(f"<b>{html.escape(name, quote=False)}</b>")
        self.status_label = QLabel("waiting for data…")
        self.values_label = QLabel("")
        self.status_label.setWordWrap(True)
        for label in (self.status_label, self.values_label):
            label.setTextFormat(Qt.TextFormat.PlainText)  # errors quote names from hosts
        for label in (self.title_label, self.status_label, self.values_label):
            layout.addWidget(label)
        self.graphs = pg.GraphicsLayoutWidget()
        self.graphs.setFixedHeight(54)
        self.graphs.setBackground(None)
        # The card, not the plots, takes the clicks.
        self.graphs.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.curves: dict[str, pg.PlotDataItem] = {}
        for column, (key, title, colour, y_range) in enumerate(SERIES):
            # Bare view boxes: no axes to re-lay out on every sample.
            view = self.graphs.addViewBox(row=0, col=column)
            view.setMouseEnabled(x=False, y=False)
            view.setMenuEnabled(False)
            view.setToolTip(title)
            if y_range:
                view.setYRange(*y_range, padding=0)
            curve = pg.PlotDataItem(pen=pg.mkPen(colour, width=1), skipFiniteCheck=True)
            view.addItem(curve)
            self.curves[key] = curve
        layout.addWidget(self.graphs)

    def add_sample(self, sample: HardwareSample) -> None:
        """Append one sample to the sparklines."""
        values = summarise(sample)
        for key, value in values.items():
            buffer = self.buffers[key]
            buffer.append(sample.timestamp, value)
            self.curves[key].setData(*buffer.arrays(), skipFiniteCheck=True)
        self.last_sample_at = time.monotonic()
        self.values_label.setText(
            f"CPU {values['cpu']:.0f}% · Mem {values['mem']:.0f}% · "
            f"Net {format_rate(values['net'])}"
        )

    def set_status(self, state: str, error: str = "") -> None:
        """Show the connection state (a ConnectionState name, or 'local')."""
        age = None if self.last_sample_at is None else time.monotonic() - self.last_sample_at
        text = STATE_LABELS.get(state, state.lower())
        if age is not None:
            text += f" · updated {age:.0f} s ago"
            if age > STALE_AFTER:
                text += " (stale)"
        if error and state != "CONNECTED":
            text += f" — {error.splitlines()[0][:80]}"
        self.status_label.setText(text)
        self.status_label.setToolTip(error)
        if state != self.status_state:  # re-styling re-polishes the widget: only on change
            colour = STATE_COLOURS.get(state, "")
            self.status_label.setStyleSheet(f"color: {colour};" if colour else "")
            self.status_state = state

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt API
        """A left click opens the host in the hardware panel."""
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self.clicked.emit(self.name)
        super().mouseReleaseEvent(event)


class OverviewPanel(QWidget):
    """Cards for the local machine and every SSH host, laid out in a scrolling grid."""

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("overviewPanelWidget")
        self._context = context
        self._poller = context.poller
        self._ssh = context.ssh
        self.cards: dict[str, HostCard] = {}
        self._columns = 0
        self._closed = False
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        self._grid_host = QWidget()
        self._grid = QGridLayout(self._grid_host)
        self._grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        scroll.setWidget(self._grid_host)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self._poller.snapshot_ready.connect(self._on_snapshot)
        this = weakref.ref(self)
        context.hardware.on_change(lambda: (panel := this()) is not None and panel._schedule_sync())
        if self._ssh is not None:
            self._ssh.host_state_changed.connect(self._on_state)
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._refresh_status)
        self._ticker.start()
        self._sync_pending = False
        self.sync_cards()

    # -- cards -------------------------------------------------------------------
    def _schedule_sync(self) -> None:
        # Registering a whole inventory notifies once per host: rebuild once.
        if not self._sync_pending and not self._closed:
            self._sync_pending = True
            QTimer.singleShot(0, self.sync_cards)

    def sync_cards(self) -> None:
        """Create cards for new targets, drop cards of removed ones, start their streams."""
        self._sync_pending = False
        if self._closed:
            return
        targets = self._context.hardware.targets()
        for name in list(self.cards):
            if name not in targets:
                card = self.cards.pop(name)
                self._poller.release(sample_topic(name), self)
                self._grid.removeWidget(card)
                card.deleteLater()
        for name in targets:
            if name not in self.cards:
                card = HostCard(name)
                card.clicked.connect(self._open_host)
                self.cards[name] = card
        self._layout_cards(force=True)
        self._ensure_streams()
        self._refresh_status()

    def _layout_cards(self, force: bool = False) -> None:
        columns = max(1, (self.width() - 20) // (CARD_WIDTH + 8))
        if columns == self._columns and not force:
            return
        self._columns = columns
        for index, card in enumerate(self.cards.values()):
            self._grid.addWidget(card, index // columns, index % columns)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        """Reflow the cards into as many columns as fit."""
        super().resizeEvent(event)
        self._layout_cards()

    def _ensure_streams(self) -> None:
        for name in self.cards:
            if self._ssh is not None and name != LOCAL and not self._ssh.wants_stream(name):
                continue  # the user disconnected this host
            opener = self._context.hardware.sample_stream(name, SAMPLE_INTERVAL)
            self._poller.ensure_stream(sample_topic(name), opener, owner=self)

    # -- updates (GUI thread) ----------------------------------------------------------
    def _on_snapshot(self, topic: str, payload: object) -> None:
        name = sample_target(topic)
        if name is None or not isinstance(payload, HardwareSample):
            return
        card = self.cards.get(name)
        if card is not None:
            card.add_sample(payload)

    def _on_state(self, name: str, state: str, error: str) -> None:
        card = self.cards.get(name)
        if card is not None:
            card.set_status(state, error)

    def _refresh_status(self) -> None:
        for name, card in self.cards.items():
            if name == LOCAL or self._ssh is None:
                card.set_status("local" if name == LOCAL else "DISCONNECTED")
            else:
                card.set_status(*self._ssh.state(name))

    def _open_host(self, name: str) -> None:
        if self._context.navigation is not None:
            self._context.navigation.show_host(name)

    def shutdown(self) -> None:
        """Stop listening and release the streams; others' claims keep them running."""
        if self._closed:
            return
        self._closed = True
        self._ticker.stop()
        for name in self.cards:
            self._poller.release(sample_topic(name), self)
        self._poller.snapshot_ready.disconnect(self._on_snapshot)


PANEL = PanelSpec(
    object_name="overviewPanel",
    title="Overview",
    factory=OverviewPanel,
    area=Qt.DockWidgetArea.LeftDockWidgetArea,
    shortcut="Ctrl+3",
)
