"""The Docker engines table: every engine offered, with its state, version and last event.

Only the engine shown in the panel has a live stream, so only its row is live; an
engine the panel left keeps what was last known about it, marked stale.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

from services.docker.engines import EngineTarget
from services.docker.model import EngineInfo
from views.graph_view import plain_tooltip

NOT_CONNECTED = "not connected"
CONNECTING = "connecting"
CONNECTED = "connected"
UNREACHABLE = "unreachable"
STALE = "stale"

ENGINE, URL, STATE, VERSION, LAST_EVENT, HOST_SIDE = range(6)
ENGINE_COLUMNS = ("Engine", "URL", "State", "Version", "Last event", "Host side")
NO_VALUE = "—"


def format_since(seconds: float | None) -> str:
    """'12 s ago', '3 min ago', '2 h ago', or a dash when there was no event yet."""
    if seconds is None:
        return NO_VALUE
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s ago"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min ago"
    return f"{seconds // 3600:.0f} h ago"


@dataclass
class EngineRow:
    """What the table knows about one engine."""

    target: EngineTarget
    title: str
    state: str = NOT_CONNECTED
    version: str = ""
    last_event_at: float | None = None  # Unix time of the engine's last relevant event
    host_side: str = ""
    error: str = ""


class EnginesTableModel(QAbstractTableModel):
    """Rows of engines; keeps each engine's state across list refreshes."""

    def __init__(self, parent=None, clock=time.time):
        super().__init__(parent)
        self._rows: list[EngineRow] = []
        self._clock = clock

    # -- structure -----------------------------------------------------------
    def set_engines(self, engines: Sequence[tuple[EngineTarget, str]]) -> None:
        """Offer these (engine, title) pairs; an engine still offered unchanged keeps its state."""
        old = {row.target.name: row for row in self._rows}
        rows = []
        for target, title in engines:
            row = old.get(target.name)
            if row is None or row.target != target:
                row = EngineRow(target, title)
            row.title = title
            rows.append(row)
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def target_at(self, row: int) -> EngineTarget | None:
        """The engine of a row, or None."""
        return self._rows[row].target if 0 <= row < len(self._rows) else None

    def row_of(self, name: str) -> int:
        """Row of an engine by name, or -1."""
        return next((i for i, row in enumerate(self._rows) if row.target.name == name), -1)

    def engine_row(self, name: str) -> EngineRow | None:
        """The state kept for an engine, or None."""
        row = self.row_of(name)
        return self._rows[row] if row >= 0 else None

    def text(self, name: str, column: int) -> str:
        """The cell text shown for an engine and column ('' for an unknown engine)."""
        row = self.row_of(name)
        return "" if row < 0 else str(self.index(row, column).data())

    # -- state changes (GUI thread) ------------------------------------------
    def mark_connecting(self, name: str) -> None:
        """The panel opened the engine's stream."""
        self._update(name, state=CONNECTING, error="")

    def mark_snapshot(self, name: str, info: EngineInfo, host_side: str) -> None:
        """A snapshot arrived: connected, with the engine's version and last event."""
        row = self.engine_row(name)
        last = info.last_event_at if info.last_event_at is not None else (row.last_event_at if row else None)
        self._update(name, state=CONNECTED, version=info.version, last_event_at=last,
                     host_side=host_side, error="")

    def mark_error(self, name: str, message: str) -> None:
        """The stream failed; the poller retries with backoff."""
        self._update(name, state=UNREACHABLE, error=message)

    def mark_left(self, name: str) -> None:
        """The panel stopped watching the engine: what was known about it is now stale."""
        row = self.engine_row(name)
        if row is not None:
            self._update(name, state=STALE if row.version else NOT_CONNECTED)

    def tick(self) -> None:
        """Repaint the 'Last event' column, whose text depends on the time."""
        if any(row.last_event_at is not None for row in self._rows):
            self.dataChanged.emit(self.index(0, LAST_EVENT), self.index(len(self._rows) - 1, LAST_EVENT),
                                  [Qt.ItemDataRole.DisplayRole])

    def _update(self, name: str, **changes) -> None:
        row = self.row_of(name)
        if row < 0:
            return
        for key, value in changes.items():
            setattr(self._rows[row], key, value)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(ENGINE_COLUMNS) - 1))

    # -- Qt model API --------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        """Number of engines."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        """Number of columns."""
        return 0 if parent.isValid() else len(ENGINE_COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        """Column titles."""
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return ENGINE_COLUMNS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        """Cell text; the state's tooltip carries the last error."""
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == STATE and row.error:
                return plain_tooltip(row.error)  # the message may quote engine or host data
            if column == LAST_EVENT and row.last_event_at is not None:
                return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row.last_event_at))
            return None
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == ENGINE:
            return row.title
        if column == URL:
            return row.target.url
        if column == STATE:
            return row.state
        if column == VERSION:
            return row.version or NO_VALUE
        if column == LAST_EVENT:
            at = row.last_event_at
            return format_since(None if at is None else self._clock() - at)
        return row.host_side or NO_VALUE
