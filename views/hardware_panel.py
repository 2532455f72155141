"""Hardware panel: inventory and live plots of one target (the local machine or a host).

Topics and ownership: for target T the panel uses "hardware.inventory:T" (a slow poll)
and "hardware.sample:T" (a stream), and claims each as one of its owners. A stream the
SSH manager or another panel already runs is shared, not restarted; switching target or
closing only releases the panel's claims, and the poller stops a topic once its last
owner let go. Refresh reads the inventory at once but never beside a read still running;
a new interval re-opens the stream, so it applies to everyone listening to it.
"""
from __future__ import annotations

import weakref

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QSplitter, QVBoxLayout, QWidget,
)

from app.context import AppContext
from app.panel_registry import PanelSpec
from app.topics import inventory_topic, sample_topic
from services.hardware.model import HardwareInventory, HardwareSample
from services.hardware.sources import LOCAL
from views.data_age import DataAgeLabel
from views.hardware_charts import HardwareCharts
from views.inventory_view import InventoryView

WINDOWS = {60: "1 min", 300: "5 min", 900: "15 min"}
DEFAULT_WINDOW = 300
MIN_INTERVAL, MAX_INTERVAL, DEFAULT_INTERVAL = 1, 10, 1
# The inventory barely changes; Refresh (F5) reads it again on demand.
INVENTORY_INTERVAL = 300.0


def describe_error(exc: object) -> str:
    """One line for an error from the poller: its message, or its type if it has none."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _as_int(value: object) -> int | None:
    """A whole number from settings (which may hold it as text), else None."""
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


class HardwarePanel(QWidget):
    """Inventory summary and live CPU, memory, load, network, disk and temperature plots."""

    live_data_shown = Signal()
    # Target registry callbacks may come from any thread; this queues them to ours.
    _targets_changed = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self._context = context
        self._poller = context.poller
        self._target: str | None = None
        # A restored target that is not registered yet: SSH hosts are read after the
        # first paint, so the saved host is shown once it appears, unless the user
        # picked another target first.
        self._restored_target: str | None = None
        self._interval = DEFAULT_INTERVAL
        self._window = DEFAULT_WINDOW
        self._owned: set[str] = set()
        self._live = False
        self._closed = False
        self._build_ui()
        self._poller.snapshot_ready.connect(self._on_snapshot)
        self._poller.error_raised.connect(self._on_error)
        self._targets_changed.connect(self._reload_targets, Qt.ConnectionType.QueuedConnection)
        this = weakref.ref(self)
        context.hardware.on_change(lambda: (panel := this()) is not None and panel._notify())
        self._reload_targets()

    def _build_ui(self) -> None:
        self.target_combo = QComboBox(objectName="targetCombo")
        self.window_combo = QComboBox(objectName="windowCombo")
        for seconds, label in WINDOWS.items():
            self.window_combo.addItem(label, seconds)
        self.window_combo.setCurrentIndex(list(WINDOWS).index(DEFAULT_WINDOW))
        self.interval_spin = QSpinBox(objectName="intervalSpin")
        self.interval_spin.setRange(MIN_INTERVAL, MAX_INTERVAL)
        self.interval_spin.setSuffix(" s")
        self.interval_spin.setValue(self._interval)
        # Only whole edits re-open the stream, not every keystroke.
        self.interval_spin.setKeyboardTracking(False)
        self.refresh_button = QPushButton("Refresh", objectName="refreshButton")
        self.refresh_button.setToolTip("Read the inventory again (F5)")
        self.age_label = DataAgeLabel(self._interval)
        self.age_label.setObjectName("dataAgeLabel")

        bar = QHBoxLayout()
        for label, widget in (("Target", self.target_combo), ("Window", self.window_combo),
                              ("Interval", self.interval_spin)):
            bar.addWidget(QLabel(label))
            bar.addWidget(widget)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.age_label, 1)

        self.inventory = InventoryView()
        self.charts = HardwareCharts(self._window)
        self.unavailable_label = QLabel(objectName="sampleUnavailableLabel")
        self.unavailable_label.setWordWrap(True)
        self.unavailable_label.hide()
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.charts, 1)
        right_layout.addWidget(self.unavailable_label)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.inventory)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([300, 900])

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)

        self.target_combo.currentTextChanged.connect(self._on_target_chosen)
        self.window_combo.currentIndexChanged.connect(self._on_window_chosen)
        self.interval_spin.valueChanged.connect(self.set_interval)
        self.refresh_button.clicked.connect(self.refresh_inventory)
        shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.refresh_inventory)

    # -- public ----------------------------------------------------------------
    @property
    def target(self) -> str | None:
        """The target shown now."""
        return self._target

    @property
    def interval(self) -> int:
        """Seconds between live samples."""
        return self._interval

    @property
    def window_seconds(self) -> int:
        """Width of the plotted time window in seconds."""
        return self._window

    def has_live_data(self) -> bool:
        """True once a live sample has been plotted."""
        return self._live

    def owned_topics(self) -> set[str]:
        """Poller topics this panel holds and will release on switch or shutdown."""
        return set(self._owned)

    def set_target(self, name: str) -> None:
        """Show another target, releasing the old target's topics."""
        self._restored_target = None
        self._show_target(name)

    def _show_target(self, name: str) -> None:
        if name == self._target or name not in self._context.hardware.targets():
            return
        self._stop_topics()
        self._target = name
        self._live = False
        self.charts.clear()
        self.inventory.show_waiting()
        self.unavailable_label.hide()
        self.age_label.reset()
        self._select_combo_text(name)
        self._start_topics()

    def set_interval(self, seconds: int) -> None:
        """Sample every `seconds` (1–10); the stream is re-opened at the new rate."""
        seconds = max(MIN_INTERVAL, min(MAX_INTERVAL, int(seconds)))
        if self.interval_spin.value() != seconds:
            self.interval_spin.setValue(seconds)  # re-enters through valueChanged
            return
        if seconds == self._interval:
            return
        self._interval = seconds
        self.age_label.set_interval(seconds)
        if self._target is not None:
            self._start_stream(replace=True)

    def set_window(self, seconds: int) -> None:
        """Plot the last `seconds` (60, 300 or 900)."""
        if seconds not in WINDOWS:
            return
        self._window = seconds
        self.window_combo.setCurrentIndex(list(WINDOWS).index(seconds))
        self.charts.set_window(seconds)

    def refresh_inventory(self) -> None:
        """Read the inventory of the current target again now, unless a read is running."""
        if self._target is None or self._closed:
            return
        topic = inventory_topic(self._target)
        if topic in self._poller.topics():
            self._poller.poll_now(topic)
            return
        self._poller.add_poll(topic, self._context.hardware.inventory_call(self._target),
                              INVENTORY_INTERVAL, owner=self)
        self._owned.add(topic)

    def save_state(self) -> dict:
        """Target, interval and time window, for the settings file."""
        return {"target": self._target, "interval": self._interval,
                "window_seconds": self._window}

    def restore_state(self, state: dict) -> None:
        """Apply a saved state; a target not registered yet is shown once it is."""
        if not isinstance(state, dict):
            return
        window = _as_int(state.get("window_seconds"))
        if window is not None:
            self.set_window(window)
        interval = _as_int(state.get("interval"))
        if interval is not None:
            self.set_interval(interval)
        target = state.get("target")
        if isinstance(target, str):
            self.set_target(target)
            if self._target != target:
                self._restored_target = target

    def shutdown(self) -> None:
        """Stop the topics this panel started and stop listening to the poller."""
        if self._closed:
            return
        self._closed = True
        self._stop_topics()
        self._poller.snapshot_ready.disconnect(self._on_snapshot)
        self._poller.error_raised.disconnect(self._on_error)

    # -- topics ----------------------------------------------------------------
    def _start_topics(self) -> None:
        if not self._target_wanted():
            return
        self.refresh_inventory()
        self._start_stream(replace=False)

    def _target_wanted(self) -> bool:
        # A host the user disconnected stays disconnected (only an explicit Refresh
        # reaches it); a closed panel starts nothing.
        ssh = self._context.ssh
        remote_ok = ssh is None or ssh.wants_stream(self._target)
        return not self._closed and (self._target == LOCAL or remote_ok)

    def _start_stream(self, replace: bool) -> None:
        if not self._target_wanted():
            return
        topic = sample_topic(self._target)
        opener = self._context.hardware.sample_stream(self._target, float(self._interval))
        if replace:
            self._poller.add_stream(topic, opener, owner=self)  # replaces a running stream
        else:
            self._poller.ensure_stream(topic, opener, owner=self)
        self._owned.add(topic)

    def _stop_topics(self) -> None:
        for topic in sorted(self._owned):
            self._poller.release(topic, self)
        self._owned.clear()

    # -- poller results (GUI thread) ----------------------------------------------
    def _on_snapshot(self, topic: str, payload: object) -> None:
        if self._target is None:
            return
        if topic == sample_topic(self._target) and isinstance(payload, HardwareSample):
            self._show_sample(payload)
        elif topic == inventory_topic(self._target) and isinstance(payload, HardwareInventory):
            self.inventory.show_inventory(payload)

    def _show_sample(self, sample: HardwareSample) -> None:
        self.charts.add_sample(sample)
        self.age_label.mark_updated()
        if sample.unavailable:
            reasons = "; ".join(f"{k}: {v}" for k, v in sorted(sample.unavailable.items()))
            self.unavailable_label.setText(f"not available: {reasons}")
        self.unavailable_label.setVisible(bool(sample.unavailable))
        if not self._live:
            self._live = True
            self.live_data_shown.emit()

    def _on_error(self, topic: str, exc: object) -> None:
        if self._target is None:
            return
        if topic == sample_topic(self._target):
            self.age_label.mark_error(f"live samples failed: {describe_error(exc)}")
        elif topic == inventory_topic(self._target):
            self.inventory.show_message(f"could not read inventory: {describe_error(exc)}")

    # -- controls ------------------------------------------------------------------
    def _notify(self) -> None:
        if not self._closed:
            self._targets_changed.emit()

    def _reload_targets(self) -> None:
        if self._closed:
            return
        targets = self._context.hardware.targets()
        self.target_combo.blockSignals(True)
        self.target_combo.clear()
        self.target_combo.addItems(targets)
        self.target_combo.blockSignals(False)
        if self._restored_target in targets:
            self.set_target(self._restored_target)
        elif self._target in targets:
            self._select_combo_text(self._target)
        else:
            self._show_target(LOCAL if LOCAL in targets else targets[0])

    def _select_combo_text(self, name: str) -> None:
        self.target_combo.blockSignals(True)
        self.target_combo.setCurrentText(name)
        self.target_combo.blockSignals(False)

    def _on_target_chosen(self, name: str) -> None:
        if name:
            self.set_target(name)

    def _on_window_chosen(self, index: int) -> None:
        self.set_window(self.window_combo.itemData(index))


PANEL = PanelSpec("hardwarePanel", "Hardware", HardwarePanel, shortcut="Ctrl+1")
