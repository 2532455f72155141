"""The real app started as a process: first paint, --screenshot (offscreen and X11), log file,
and a restart that restores the layout."""
from __future__ import annotations

import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

from app.main_window import LAYOUT_VERSION
from app.panels import default_panels
from app.settings import AppSettings

ROOT = Path(__file__).resolve().parent.parent


def start_app(*argv: str, extra_env: dict[str, str] | None = None, timeout: float = 90,
              display: bool = True):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(extra_env or {})}
    if not display:
        for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
            env.pop(name, None)
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *argv],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env,
    )


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_first_paint_probe_reports_no_heavy_modules(lab_home):
    proc = start_app(extra_env={"CLUSTER_LAB_EXIT_ON_FIRST_PAINT": "1"})
    assert proc.returncode == 0, proc.stderr
    line = json.loads(proc.stdout.strip().splitlines()[-1])
    assert isinstance(line["first_paint_wall"], float)
    assert line["heavy_modules"] == []
    log_text = (lab_home / "log" / "cluster-lab.log").read_text()
    assert "Cluster Lab 0.1.0 starting" in log_text
    assert "Cluster Lab stopped" in log_text


def test_screenshot_waits_for_live_data_and_writes_a_png(tmp_path, lab_home):
    out = tmp_path / "window.png"
    proc = start_app("--screenshot", str(out), display=False)  # renders offscreen by itself
    assert proc.returncode == 0, proc.stderr
    width, height = png_size(out)
    assert width >= 640 and height >= 400
    # A documentation screenshot leaves the user's saved layout alone.
    assert not (lab_home / "config" / "cluster-lab.ini").exists()


def test_screenshot_on_a_real_x_display(tmp_path, lab_home):
    # Qt's xcb platform, as on a desktop: it needs X11 libraries the PySide6 wheel does
    # not bundle (README command 1 installs them) and aborts without them.
    out = tmp_path / "x11.png"
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    proc = subprocess.Popen(
        ["xvfb-run", "--auto-servernum", "--server-args=-screen 0 1280x800x24",
         sys.executable, str(ROOT / "main.py"), "--screenshot", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env,
        start_new_session=True,  # a hung run is killed together with its Xvfb
    )
    try:
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 0, stderr
    width, height = png_size(out)
    assert width >= 640 and height >= 400


def test_without_a_display_the_gui_explains_instead_of_aborting():
    proc = start_app(display=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "cluster-lab: no display (DISPLAY and WAYLAND_DISPLAY are unset); "
        "the snapshot commands work without one"
    ]


def run_until_interrupted(lab_home: Path) -> None:
    """Start the app, wait until its event loop runs, then quit it with Ctrl+C (SIGINT)."""
    log = lab_home / "log" / "cluster-lab.log"
    runs_before = log.read_text().count("main window up") if log.exists() else 0
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    app = subprocess.Popen([sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (log.exists() and log.read_text().count("main window up") > runs_before):
            assert app.poll() is None, app.communicate()[1]
            assert time.monotonic() < deadline, "the main window never came up"
            time.sleep(0.2)
        app.send_signal(signal.SIGINT)
        _, stderr = app.communicate(timeout=30)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    assert app.returncode == 0, stderr


def dock_window(qtbot) -> QMainWindow:
    """A bare window with a dock per real panel, to read and write their saved layout."""
    window = QMainWindow()
    qtbot.addWidget(window)
    for spec in default_panels():
        dock = QDockWidget(spec.title, window)
        dock.setObjectName(spec.object_name)
        window.addDockWidget(spec.area, dock)
    return window


def saved_settings(lab_home: Path, name: str) -> AppSettings:
    """The settings as the app left them on disk (a copy: Qt caches an open file)."""
    copy = lab_home / name
    shutil.copyfile(lab_home / "config" / "cluster-lab.ini", copy)
    return AppSettings(copy)


def test_layout_geometry_and_panel_state_survive_a_restart(qtbot, lab_home):
    run_until_interrupted(lab_home)
    first = saved_settings(lab_home, "first.ini")
    assert first.panel_state("hardwarePanel") == {
        "target": "local", "interval": 1, "window_seconds": 300}

    # What a user's session leaves behind: a smaller window, the overview dock closed,
    # the hardware panel showing 15 minutes sampled every 4 s.
    layout = dock_window(qtbot)
    assert layout.restoreState(first.window_state(), LAYOUT_VERSION)
    layout.findChild(QDockWidget, "overviewPanel").hide()
    layout.resize(700, 500)
    settings = AppSettings()
    settings.save_window(layout.saveGeometry(), layout.saveState(LAYOUT_VERSION))
    # A key the panel does not know: it is gone once the next run saved its own state.
    settings.save_panel_state("hardwarePanel", {
        "target": "local", "interval": 4, "window_seconds": 900, "retired_option": True})
    assert settings.sync()

    # The next run restores all of it and, on quit, saves what it restored.
    run_until_interrupted(lab_home)
    second = saved_settings(lab_home, "second.ini")
    assert second.panel_state("hardwarePanel") == {
        "target": "local", "interval": 4, "window_seconds": 900}
    restored = dock_window(qtbot)
    assert restored.restoreGeometry(second.window_geometry())
    assert restored.size() == QSize(700, 500)
    assert restored.restoreState(second.window_state(), LAYOUT_VERSION)
    assert restored.findChild(QDockWidget, "overviewPanel").isHidden()
    hardware = restored.findChild(QDockWidget, "hardwarePanel")
    assert not hardware.isHidden()
    assert restored.dockWidgetArea(hardware) == Qt.DockWidgetArea.RightDockWidgetArea
