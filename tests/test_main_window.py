"""Main window: docks from PanelSpecs, View menu, layout persistence across a restart."""
from __future__ import annotations

import platform
import shutil

import pytest
import PySide6
from PySide6.QtCore import QSize, Qt, qVersion
from PySide6.QtWidgets import QMessageBox, QSpinBox, QVBoxLayout, QWidget

from app.about import about_text
from app.context import AppContext
from app.main_window import MainWindow
from app.panel_registry import PanelSpec
from app.poller import Poller
from app.settings import AppSettings
from app.version import __version__
from services.hardware.sources import HardwareSources

Left = Qt.DockWidgetArea.LeftDockWidgetArea
Right = Qt.DockWidgetArea.RightDockWidgetArea
Bottom = Qt.DockWidgetArea.BottomDockWidgetArea


class CounterPanel(QWidget):
    """A tiny real panel: one spin box whose value is the panel's saved state."""

    def __init__(self, ctx: AppContext):
        super().__init__()
        self.ctx = ctx
        self.spin = QSpinBox()
        self.spin.setRange(0, 100)
        layout = QVBoxLayout(self)
        layout.addWidget(self.spin)
        self.shutdown_calls = 0

    def save_state(self) -> dict:
        return {"value": self.spin.value()}

    def restore_state(self, state: dict) -> None:
        self.spin.setValue(int(state["value"]))

    def shutdown(self) -> None:
        self.shutdown_calls += 1


SPECS = [
    PanelSpec("alphaPanel", "Alpha", CounterPanel, Right, "Ctrl+1"),
    PanelSpec("betaPanel", "Beta", CounterPanel, Right, "Ctrl+2"),
    PanelSpec("gammaPanel", "Gamma", CounterPanel, Bottom),
]


@pytest.fixture
def context():
    poller = Poller()
    yield AppContext(poller=poller, hardware=HardwareSources())
    poller.shutdown()


def open_window(qtbot, context, settings=None) -> MainWindow:
    window = MainWindow(context, SPECS, settings)
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    return window


def test_docks_have_stable_object_names_and_features(qtbot, context):
    window = open_window(qtbot, context)
    for spec in SPECS:
        dock = window.dock(spec.object_name)
        assert dock.objectName() == spec.object_name
        assert dock.windowTitle() == spec.title
        assert window.dockWidgetArea(dock) == spec.area
        features = dock.features()
        for feature in ("DockWidgetMovable", "DockWidgetFloatable", "DockWidgetClosable"):
            assert features & getattr(dock.DockWidgetFeature, feature)
        assert isinstance(window.panel(spec.object_name), CounterPanel)


def test_duplicate_object_name_or_shortcut_is_rejected(qtbot, context):
    with pytest.raises(ValueError, match="objectName 'alphaPanel'"):
        MainWindow(context, [SPECS[0], SPECS[0]])
    clash = PanelSpec("deltaPanel", "Delta", CounterPanel, Right, "Ctrl+1")
    with pytest.raises(ValueError, match="deltaPanel.*Ctrl\\+1"):
        MainWindow(context, [SPECS[0], clash])


def test_a_panel_that_fails_to_build_is_skipped_and_reported(qtbot, context, monkeypatch):
    reported = []
    monkeypatch.setattr("sys.excepthook", lambda *exc: reported.append(exc[1]))

    def broken(ctx):
        raise RuntimeError("panel exploded")

    spec = PanelSpec("brokenPanel", "Broken", broken, Right, "Ctrl+9")
    window = MainWindow(context, [spec, SPECS[0]])
    qtbot.addWidget(window)
    assert list(window.panels()) == ["alphaPanel"]
    assert [str(e) for e in reported] == ["panel exploded"]


def test_layout_and_panel_state_survive_a_restart(qtbot, context):
    first = MainWindow(context, SPECS, AppSettings())
    with qtbot.waitExposed(first):
        first.show()
    alpha, beta, gamma = (first.dock(s.object_name) for s in SPECS)
    first.addDockWidget(Left, alpha)
    beta.setFloating(True)
    beta.resize(333, 222)
    gamma.hide()
    # Smaller than the offscreen screen (800x600), which restoreGeometry clamps to.
    first.resize(640, 480)
    first.panel("alphaPanel").spin.setValue(42)
    qtbot.waitUntil(lambda: first.size() == QSize(640, 480))
    first.close()
    assert first.panel("alphaPanel").shutdown_calls == 1
    with qtbot.waitSignal(first.destroyed):
        first.deleteLater()

    # Qt caches an open settings file per process; reading a copy proves the layout
    # really reached the disk.
    saved = AppSettings().path
    copy = saved.with_name("copy.ini")
    shutil.copyfile(saved, copy)
    second = open_window(qtbot, context, AppSettings(copy))
    assert second.size() == QSize(640, 480)
    assert second.dockWidgetArea(second.dock("alphaPanel")) == Left
    assert second.dock("betaPanel").isFloating()
    assert second.dock("betaPanel").size() == QSize(333, 222)
    assert second.dock("gammaPanel").isHidden()
    assert not second.dock("alphaPanel").isHidden()
    assert second.panel("alphaPanel").spin.value() == 42
    assert second.panel("betaPanel").spin.value() == 0


def test_reset_layout_restores_the_default_docks(qtbot, context):
    settings = AppSettings()
    first = open_window(qtbot, context, settings)
    first.addDockWidget(Left, first.dock("alphaPanel"))
    first.dock("gammaPanel").hide()
    first.close()

    window = open_window(qtbot, context, AppSettings())
    assert window.dockWidgetArea(window.dock("alphaPanel")) == Left
    window.dock("betaPanel").setFloating(True)
    reset = next(a for a in window.view_menu.actions() if a.objectName() == "resetLayoutAction")
    reset.trigger()
    for spec in SPECS:
        dock = window.dock(spec.object_name)
        assert window.dockWidgetArea(dock) == spec.area
        assert not dock.isFloating()
        assert dock.isVisible()
    assert "reset" in window.statusBar().currentMessage().lower()


def test_view_menu_toggles_each_dock_with_its_shortcut(qtbot, context):
    window = open_window(qtbot, context)
    texts = [a.text() for a in window.view_menu.actions()]
    assert texts == ["Alpha", "Beta", "Gamma", "", "&Reset layout"]
    actions = {a.text(): a for a in window.view_menu.actions()}
    assert actions["Alpha"].shortcut().toString() == "Ctrl+1"
    assert actions["Beta"].shortcut().toString() == "Ctrl+2"
    assert actions["Gamma"].shortcut().isEmpty()
    alpha = window.dock("alphaPanel")
    actions["Alpha"].trigger()
    assert alpha.isHidden()
    assert not actions["Alpha"].isChecked()
    with qtbot.waitActive(window):
        window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert alpha.isVisible()


def test_quit_action_saves_stops_panels_and_announces_close(qtbot, context):
    window = open_window(qtbot, context, AppSettings())
    window.panel("betaPanel").spin.setValue(9)
    quit_action = window.findChild(type(window.view_menu.menuAction()), "quitAction")
    assert quit_action.shortcut().toString() == "Ctrl+Q"
    with qtbot.waitSignal(window.closed, timeout=2000):
        quit_action.trigger()
    assert all(p.shutdown_calls == 1 for p in window.panels().values())
    window.shutdown_panels()  # bootstrap calls it again after the event loop: no-op
    assert all(p.shutdown_calls == 1 for p in window.panels().values())
    assert AppSettings().panel_state("betaPanel") == {"value": 9}


def test_poller_errors_show_in_the_status_bar(qtbot, context):
    window = open_window(qtbot, context)

    def fail():
        raise OSError("disk on fire")

    context.poller.add_poll("probe", fail, interval=60)
    qtbot.waitUntil(lambda: "disk on fire" in window.statusBar().currentMessage())
    assert window.statusBar().currentMessage().startswith("probe:")


def test_about_lists_app_python_qt_and_pyside_versions(qtbot, context):
    text = about_text()
    for expected in (
        f"Cluster Lab {__version__}",
        f"Python {platform.python_version()}",
        f"Qt {qVersion()}",
        f"PySide6 {PySide6.__version__}",
    ):
        assert expected in text
    window = open_window(qtbot, context)
    about = window.findChild(type(window.view_menu.menuAction()), "aboutAction")
    about.trigger()
    box = window.findChild(QMessageBox, "aboutBox")
    qtbot.waitUntil(box.isVisible)
    assert f"Qt {qVersion()}" in box.informativeText()
    box.close()


def test_saved_layout_of_unknown_format_falls_back_to_defaults(qtbot, context, caplog):
    settings = AppSettings()
    settings.save_window(b"\x00garbage", b"not a dock state")
    settings.sync()
    window = open_window(qtbot, context, AppSettings())
    for spec in SPECS:
        assert window.dockWidgetArea(window.dock(spec.object_name)) == spec.area
    warnings = [r.getMessage() for r in caplog.records if r.name == "app.main_window"]
    assert warnings == ["ignoring unreadable saved window geometry",
                        "ignoring saved dock layout of another version"]


class UnsavablePanel(CounterPanel):
    """A panel whose state is not JSON: saving it must not cost the others theirs."""

    def save_state(self) -> dict:
        return {"when": object()}


def test_a_panel_that_cannot_save_does_not_block_the_others(qtbot, context):
    specs = [PanelSpec("badPanel", "Bad", UnsavablePanel, Right), SPECS[0]]
    window = MainWindow(context, specs, AppSettings())
    qtbot.addWidget(window)
    window.panel("alphaPanel").spin.setValue(5)
    window.close()
    assert window.panel("badPanel").shutdown_calls == 1
    settings = AppSettings()
    assert settings.panel_state("alphaPanel") == {"value": 5}
    assert settings.panel_state("badPanel") is None
    assert settings.window_state() is not None


def test_a_panel_can_open_as_a_tab_beside_another(qtbot, context):
    specs = [*SPECS, PanelSpec("deltaPanel", "Delta", CounterPanel, Right, tab_with="alphaPanel")]
    window = MainWindow(context, specs, None)
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    alpha, delta = window.dock("alphaPanel"), window.dock("deltaPanel")
    assert window.tabifiedDockWidgets(delta) == [alpha]
    # Qt keeps a tabbed dock that is not the current tab "visible" but covered.
    qtbot.waitUntil(lambda: not window.panel("alphaPanel").visibleRegion().isEmpty())
    assert window.panel("deltaPanel").visibleRegion().isEmpty()
