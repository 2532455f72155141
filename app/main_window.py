"""The main window: one dock per registered panel, a View menu, layout persistence.

A panel is any QWidget built by its PanelSpec's factory. It may also offer:
    save_state() -> dict        JSON-able preferences, stored under panels/<objectName>
    restore_state(dict) -> None called once after construction with what it saved
    shutdown() -> None          stop its topics and threads; called once on close
The window calls these if present and never looks inside a panel otherwise.
"""
from __future__ import annotations

import logging
import sys
from typing import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from app.about import show_about
from app.context import AppContext
from app.panel_registry import PanelSpec
from app.settings import AppSettings

log = logging.getLogger(__name__)

# Bump when panels are renamed or removed so an incompatible saved layout is ignored.
LAYOUT_VERSION = 1
LEFT_WIDTH = 380  # default width of the left dock column, in pixels
STATUS_MESSAGE_MS = 10_000
DOCK_FEATURES = (
    QDockWidget.DockWidgetFeature.DockWidgetMovable
    | QDockWidget.DockWidgetFeature.DockWidgetFloatable
    | QDockWidget.DockWidgetFeature.DockWidgetClosable
)


class MainWindow(QMainWindow):
    """Docks every panel of `panel_specs`; restores and saves layout through settings."""

    closed = Signal()

    def __init__(
        self,
        context: AppContext,
        panel_specs: Iterable[PanelSpec],
        settings: AppSettings | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("Cluster Lab")
        self.setDockNestingEnabled(True)
        self._context = context
        self._settings = settings
        self._docks: dict[str, QDockWidget] = {}
        self._shut_down = False
        self._build_menus()
        for spec in panel_specs:
            self._add_panel(spec)
        self.statusBar().showMessage("Ready")
        context.poller.error_raised.connect(self._show_error)
        self.resize(1280, 800)
        self._share_width()
        # Captured before the user's layout is applied: "Reset layout" returns here.
        self._default_state = self.saveState(LAYOUT_VERSION)
        if settings is not None:
            self._restore(settings)

    # -- construction --------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self)
        quit_action.setObjectName("quitAction")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        if quit_action.shortcut().isEmpty():  # some platforms define no Quit key
            quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        self.view_menu = self.menuBar().addMenu("&View")
        self._panels_end = self.view_menu.addSeparator()  # panel toggles go above it
        reset_action = QAction("&Reset layout", self)
        reset_action.setObjectName("resetLayoutAction")
        reset_action.triggered.connect(self.reset_layout)
        self.view_menu.addAction(reset_action)

        help_menu = self.menuBar().addMenu("&Help")
        about_action = QAction("&About Cluster Lab", self)
        about_action.setObjectName("aboutAction")
        about_action.triggered.connect(lambda: show_about(self))
        help_menu.addAction(about_action)

    def _add_panel(self, spec: PanelSpec) -> None:
        if spec.object_name in self._docks:
            raise ValueError(f"two panels share the objectName {spec.object_name!r}")
        taken = {a.shortcut() for a in self.view_menu.actions() if not a.shortcut().isEmpty()}
        if spec.shortcut and QKeySequence(spec.shortcut) in taken:
            # Qt would silently make both ambiguous and trigger neither.
            raise ValueError(f"panel {spec.object_name!r} reuses the shortcut {spec.shortcut}")
        try:
            widget = spec.factory(self._context)
        except Exception:  # noqa: BLE001 - one broken panel must not stop the app
            log.error("panel %s could not be created; it is left out", spec.object_name)
            sys.excepthook(*sys.exc_info())  # logs the traceback and shows the crash dialog
            return
        dock = QDockWidget(spec.title, self)
        dock.setObjectName(spec.object_name)
        dock.setFeatures(DOCK_FEATURES)
        dock.setWidget(widget)
        self.addDockWidget(spec.area, dock)
        beside = self._docks.get(spec.tab_with or "")
        if beside is not None:
            # The dock moved last is the visible tab: keep the earlier panel in front.
            self.tabifyDockWidget(dock, beside)
        toggle = dock.toggleViewAction()
        if spec.shortcut:
            toggle.setShortcut(QKeySequence(spec.shortcut))
        self.view_menu.insertAction(self._panels_end, toggle)
        self._docks[spec.object_name] = dock

    def _share_width(self) -> None:
        # With no central widget the left and right areas split the window evenly;
        # the plots need the width more than the hosts table and overview cards.
        by_area = {self.dockWidgetArea(d): d for d in reversed(self._docks.values())}
        left = by_area.get(Qt.DockWidgetArea.LeftDockWidgetArea)
        right = by_area.get(Qt.DockWidgetArea.RightDockWidgetArea)
        if left is not None and right is not None:
            self.resizeDocks([left, right], [LEFT_WIDTH, self.width() - LEFT_WIDTH],
                             Qt.Orientation.Horizontal)

    # -- access --------------------------------------------------------------
    def dock(self, object_name: str) -> QDockWidget:
        """The dock of the panel with this objectName."""
        return self._docks[object_name]

    def panel(self, object_name: str) -> QWidget:
        """The panel widget with this objectName."""
        return self._docks[object_name].widget()

    def panels(self) -> dict[str, QWidget]:
        """Every panel widget by objectName, in registration order."""
        return {name: dock.widget() for name, dock in self._docks.items()}

    # -- layout --------------------------------------------------------------
    def reset_layout(self) -> None:
        """Put every dock back where it was before any saved layout was applied."""
        self.restoreState(self._default_state, LAYOUT_VERSION)
        for dock in self._docks.values():
            if dock.isFloating():
                dock.setFloating(False)
            dock.show()
        self.statusBar().showMessage("Layout reset", STATUS_MESSAGE_MS)

    def _restore(self, settings: AppSettings) -> None:
        geometry = settings.window_geometry()
        if geometry is not None and not self.restoreGeometry(geometry):
            log.warning("ignoring unreadable saved window geometry")
        state = settings.window_state()
        if state is not None and not self.restoreState(state, LAYOUT_VERSION):
            log.warning("ignoring saved dock layout of another version")
        for name, panel in self.panels().items():
            restore = getattr(panel, "restore_state", None)
            saved = settings.panel_state(name)
            if restore is None or saved is None:
                continue
            try:
                restore(saved)
            except Exception:  # noqa: BLE001 - one bad saved state must not block startup
                log.exception("could not restore the state of panel %s", name)

    def save_layout(self) -> None:
        """Write geometry, dock layout and every panel's state to the settings file."""
        if self._settings is None:
            return
        self._settings.save_window(self.saveGeometry(), self.saveState(LAYOUT_VERSION))
        for name, panel in self.panels().items():
            save = getattr(panel, "save_state", None)
            if save is None:
                continue
            try:
                self._settings.save_panel_state(name, save())
            except Exception:  # noqa: BLE001 - the layout and other panels still get saved
                log.exception("could not save the state of panel %s", name)
        self._settings.sync()

    # -- lifecycle -----------------------------------------------------------
    def shutdown_panels(self) -> None:
        """Call every panel's shutdown() once."""
        if self._shut_down:
            return
        self._shut_down = True
        for name, panel in self.panels().items():
            shutdown = getattr(panel, "shutdown", None)
            if shutdown is not None:
                try:
                    shutdown()
                except Exception:  # noqa: BLE001 - the others must still stop
                    log.exception("panel %s failed to shut down", name)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Save the layout, stop the panels and announce the window is gone."""
        if not self._shut_down:
            self.save_layout()
            self.shutdown_panels()
            self.closed.emit()
        event.accept()

    def _show_error(self, topic: str, error: object) -> None:
        self.statusBar().showMessage(f"{topic}: {error}", STATUS_MESSAGE_MS)

