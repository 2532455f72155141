"""Hosts panel: every SSH host, grouped, with its live connection state and data age."""
from __future__ import annotations

import weakref

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer
from PySide6.QtGui import QAction, QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLabel,
    QMessageBox,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.context import AppContext
from app.panel_registry import PanelSpec
from services.hosts_inventory import HostEntry, InvalidHost

STATE_LABELS = {
    "CONNECTING": "connecting",
    "CONNECTED": "connected",
    "AUTH_FAILED": "auth failed",
    "UNREACHABLE": "unreachable",
    "HOSTKEY_UNKNOWN": "host key unknown",
    "HOSTKEY_CHANGED": "host key changed",
    "DISCONNECTED": "not connected",
}
STATE_COLOURS = {
    "CONNECTED": "#1e8449",
    "CONNECTING": "#b7950b",
    "AUTH_FAILED": "#c0392b",
    "UNREACHABLE": "#c0392b",
    "HOSTKEY_UNKNOWN": "#ca6f1e",
    "HOSTKEY_CHANGED": "#c0392b",
}
COLUMNS = ("Name", "Address", "Group", "State", "Last error", "Last sample")
NAME, ADDRESS, GROUP, STATE, ERROR, AGE = range(len(COLUMNS))
UNGROUPED = "Ungrouped"


def format_age(age: float | None) -> str:
    """'3 s ago', '2 min ago', or an em dash before the first sample."""
    if age is None:
        return "—"
    if age < 120:
        return f"{age:.0f} s ago"
    return f"{age / 60:.0f} min ago"


class HostsTableModel(QAbstractTableModel):
    """Rows are group headers followed by their hosts; state comes from the SshManager."""

    def __init__(self, manager, parent=None):
        super().__init__(parent)
        self._manager = manager
        self._rows: list[tuple[str, object]] = []  # ("group", name) or ("host", HostEntry)
        self.reload()

    def reload(self) -> None:
        """Rebuild rows from the manager's inventory."""
        self.beginResetModel()
        self._rows = []
        group = None
        for host in self._manager.hosts():
            if host.group != group:
                group = host.group
                self._rows.append(("group", group or UNGROUPED))
            self._rows.append(("host", host))
        self.endResetModel()

    def host_at(self, row: int) -> HostEntry | None:
        """The host on a row, or None for a group header."""
        if 0 <= row < len(self._rows) and self._rows[row][0] == "host":
            return self._rows[row][1]
        return None

    def row_of(self, name: str) -> int:
        """Row of the named host, or -1."""
        for row, (kind, item) in enumerate(self._rows):
            if kind == "host" and item.name == name:
                return row
        return -1

    def is_group_row(self, row: int) -> bool:
        """True for group header rows."""
        return self._rows[row][0] == "group"

    def refresh_host(self, name: str) -> None:
        """Repaint one host's state cells."""
        row = self.row_of(name)
        if row >= 0:
            self.dataChanged.emit(self.index(row, STATE), self.index(row, AGE))

    def refresh_ages(self) -> None:
        """Repaint the ticking age column."""
        if self._rows:
            self.dataChanged.emit(self.index(0, AGE), self.index(len(self._rows) - 1, AGE))

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        """Group headers plus hosts."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        """One column per entry of COLUMNS."""
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        """Column titles."""
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def flags(self, index):
        """Group headers cannot be selected."""
        if self.is_group_row(index.row()):
            return Qt.ItemFlag.ItemIsEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        """Text, colour and tooltips of one cell."""
        kind, item = self._rows[index.row()]
        col = index.column()
        if kind == "group":
            if role == Qt.ItemDataRole.DisplayRole and col == NAME:
                return item
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setBold(True)
                return font
            return None
        state, error = self._manager.state(item.name)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(item, col, state, error)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == ERROR and error:
                return error
            if col == NAME and item.read_only:
                return "From ~/.ssh/config (read-only; edit it there)"
        if role == Qt.ItemDataRole.ForegroundRole and col == STATE and state in STATE_COLOURS:
            return QBrush(QColor(STATE_COLOURS[state]))
        if role == Qt.ItemDataRole.UserRole:
            return item.name
        return None

    def _text(self, host: HostEntry, col: int, state: str, error: str) -> str:
        if col == NAME:
            return host.name
        if col == ADDRESS:
            via = f" via {', '.join(host.proxy_jump)}" if host.proxy_jump else ""
            return host.address + via
        if col == GROUP:
            return host.group
        if col == STATE:
            return STATE_LABELS.get(state, state.lower())
        if col == ERROR:
            return error.splitlines()[0] if error else ""
        return format_age(self._manager.last_sample_age(host.name))


class HostsPanel(QWidget):
    """Table of hosts with Add/Edit/Remove, Connect/Disconnect and ssh_config import."""

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("hostsPanelWidget")
        self._context = context
        self._manager = context.ssh
        layout = QVBoxLayout(self)
        self.error_label = QLabel(objectName="inventoryError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c0392b;")
        self.error_label.hide()
        layout.addWidget(self.error_label)
        if self._manager is None:
            layout.addWidget(QLabel("SSH hosts are not available in this session."))
            return
        self.toolbar = QToolBar()
        layout.addWidget(self.toolbar)
        self.actions_by_name: dict[str, QAction] = {}
        for key, text, slot in (
            ("add", "Add…", self.add_host),
            ("edit", "Edit…", self.edit_selected),
            ("remove", "Remove", self.remove_selected),
            ("connect", "Connect", self.connect_selected),
            ("disconnect", "Disconnect", self.disconnect_selected),
            ("import", "Import from ~/.ssh/config", self._manager.import_ssh_config),
        ):
            action = QAction(text, self, objectName=f"{key}HostAction")
            action.triggered.connect(slot)
            self.toolbar.addAction(action)
            self.actions_by_name[key] = action
        self.model = HostsTableModel(self._manager, self)
        self.table = QTableView(objectName="hostsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        for column in (NAME, ADDRESS, GROUP, STATE, AGE):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(ERROR, QHeaderView.ResizeMode.Stretch)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.table.addActions(list(self.actions_by_name.values()))
        self.table.doubleClicked.connect(self._open_in_hardware)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        layout.addWidget(self.table)
        this = weakref.ref(self)
        self._manager.hosts_changed.connect(self._reload)
        self._manager.host_state_changed.connect(
            lambda name, *_: (panel := this()) is not None and panel.model.refresh_host(name))
        self._manager.inventory_error.connect(self._show_inventory_error)
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self.model.refresh_ages)
        self._ticker.start()
        self._reload()

    # -- selection ---------------------------------------------------------------
    def selected_host(self) -> HostEntry | None:
        """The selected host, or None."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.host_at(rows[0].row()) if rows else None

    def select_host(self, name: str) -> None:
        """Select the named host's row."""
        row = self.model.row_of(name)
        if row >= 0:
            self.table.selectRow(row)

    def _reload(self) -> None:
        selected = self.selected_host()
        self.model.reload()
        self.table.clearSpans()
        for row in range(self.model.rowCount()):
            if self.model.is_group_row(row):
                self.table.setSpan(row, 0, 1, len(COLUMNS))
        if selected is not None:
            self.select_host(selected.name)
        self._update_actions()

    def _update_actions(self) -> None:
        host = self.selected_host()
        for key in ("edit", "remove", "connect", "disconnect"):
            self.actions_by_name[key].setEnabled(host is not None)
        if host is not None and host.read_only:
            self.actions_by_name["remove"].setEnabled(bool(host.group))  # un-adopt only

    def _show_inventory_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    # -- actions -----------------------------------------------------------------
    def add_host(self) -> None:
        """Open the add dialog (non-blocking); the host is saved when it is accepted."""
        self._open_editor(None)

    def edit_selected(self) -> None:
        """Open the edit dialog for the selected host."""
        host = self.selected_host()
        if host is not None:
            self._open_editor(host)

    def _open_editor(self, host: HostEntry | None) -> QDialog:
        from views.host_edit_dialog import HostEditDialog

        taken = [h.name for h in self._manager.hosts()]
        dialog = HostEditDialog(host, self._manager.groups(), taken, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._save_edit(host, dialog.entry()))
        dialog.open()
        return dialog

    def _save_edit(self, original: HostEntry | None, entry: HostEntry) -> None:
        try:
            if original is None:
                self._manager.add_host(entry)
            else:
                self._manager.update_host(original.name, entry)
        except InvalidHost as exc:
            self._show_inventory_error(f"Host not saved: {exc}")

    def remove_selected(self) -> None:
        """Ask for confirmation (non-blocking), then remove the selected host."""
        host = self.selected_host()
        if host is None:
            return
        what = "remove it from its group" if host.read_only else "remove it from the app"
        box = QMessageBox(QMessageBox.Icon.Question, "Remove host",
                          f"Remove {host.name}? This will {what}.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.accepted.connect(lambda: self._manager.remove_host(host.name))
        box.open()

    def connect_selected(self) -> None:
        """Connect the selected host now."""
        host = self.selected_host()
        if host is not None:
            self._manager.connect_host(host.name)

    def disconnect_selected(self) -> None:
        """Disconnect the selected host."""
        host = self.selected_host()
        if host is not None:
            self._manager.disconnect_host(host.name)

    def _open_in_hardware(self, index) -> None:
        host = self.model.host_at(index.row())
        navigation = self._context.navigation
        if host is not None and navigation is not None:
            navigation.show_host(host.name)

    def shutdown(self) -> None:
        """Stop the age ticker."""
        if self._manager is not None:
            self._ticker.stop()


PANEL = PanelSpec(
    object_name="hostsPanel",
    title="Hosts",
    factory=HostsPanel,
    area=Qt.DockWidgetArea.LeftDockWidgetArea,
    shortcut="Ctrl+2",
)
