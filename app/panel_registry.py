"""The panels the main window can dock, each with a stable objectName."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import Qt

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from app.context import AppContext


@dataclass(frozen=True)
class PanelSpec:
    """How to build one dockable panel; object_name must never change (saved layouts)."""

    object_name: str
    title: str
    factory: Callable[["AppContext"], "QWidget"]
    area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea
    shortcut: str | None = None
    tab_with: str | None = None  # default layout: a tab beside this panel, not a split
