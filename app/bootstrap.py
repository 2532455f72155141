"""Process entry: parse arguments, then run a headless command or the desktop app.

Only the GUI branch imports Qt, and only inside run_gui(), so `--version`, `--help`
and `snapshot ...` never load PySide6. Nothing on the way to the first window imports
the heavy SDKs (paramiko, docker, kubernetes); panels load them lazily off the GUI
thread when they first need them.
"""
from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from app.cli import EXIT_USAGE, build_parser, run_snapshot
from app.version import __version__

log = logging.getLogger(__name__)

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
APP_ICON = RESOURCES / "cluster-lab.svg"
SCREENSHOT_TIMEOUT_S = 30.0
FIRST_PAINT_ENV = "CLUSTER_LAB_EXIT_ON_FIRST_PAINT"
HEAVY_PACKAGES = ("kubernetes", "docker", "paramiko")


def main(argv: list[str] | None = None) -> int:
    """Run Cluster Lab with argv (default sys.argv[1:]) and return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors end parsing
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.command == "snapshot":
        return run_snapshot(args)
    return run_gui(screenshot=Path(args.screenshot) if args.screenshot else None)


def heavy_modules() -> list[str]:
    """Names of loaded modules from the heavy SDKs; empty on a lean startup."""
    return sorted(n for n in sys.modules if n.split(".", 1)[0] in HEAVY_PACKAGES)


def _no_display() -> bool:
    """True on a Linux machine where Qt would find no display and abort."""
    return (
        sys.platform.startswith("linux")
        and "QT_QPA_PLATFORM" not in os.environ
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    )


def close_on_sigint(window) -> tuple:
    """Make Ctrl+C close the window as the user would; returns what must stay alive.

    Python's default handler raises KeyboardInterrupt into whatever code the GUI thread
    runs next, possibly between taking and releasing a lock, which once left the app
    hanging at shutdown. Here the handler only schedules window.close(), and a wakeup
    socket watched by the event loop makes it run even while the loop is idle.
    """
    import signal
    import socket

    from PySide6.QtCore import QSocketNotifier, QTimer

    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    signal.signal(signal.SIGINT, lambda *_: QTimer.singleShot(0, window.close))
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, window)
    notifier.activated.connect(lambda: reader.recv(4096))
    return reader, writer, notifier


def run_gui(screenshot: Path | None = None) -> int:
    """Open the main window and run the event loop; with `screenshot`, save a PNG and exit."""
    if _no_display():
        if screenshot is None:
            print("cluster-lab: no display (DISPLAY and WAYLAND_DISPLAY are unset); "
                  "the snapshot commands work without one", file=sys.stderr)
            return 1
        # A screenshot is often taken on a build machine without a display; the
        # offscreen platform renders the same pixels.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    started = time.monotonic()
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from app.context import AppContext
    from app.crash_dialog import CrashReporter
    from app.logging_setup import setup_logging
    from app.main_window import MainWindow
    from app.navigation import Navigator, route_to_hardware_panel
    from app.panels import default_panels
    from app.poller import Poller
    from app.settings import AppSettings
    from app.ssh_manager import SshManager
    from app.startup_probes import FirstPaintProbe, ScreenshotTaker
    from services.hardware.sources import HardwareSources

    log_path = setup_logging()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("cluster-lab")
    app.setApplicationDisplayName("Cluster Lab")
    app.setOrganizationName("cluster-lab")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("cluster-lab")
    app.setWindowIcon(QIcon(str(APP_ICON)))
    reporter = CrashReporter(app)
    reporter.install()
    log.info("Cluster Lab %s starting; log file %s", __version__, log_path)

    # Owned by the application on the C++ side: a worker thread dropping the last Python
    # reference to one of them must not be what destroys it (Qt objects die on their
    # own thread).
    poller = Poller(parent=app)
    hardware = HardwareSources()
    ssh = SshManager(hardware, poller, parent=app)
    context = AppContext(poller=poller, hardware=hardware, ssh=ssh, navigation=Navigator())
    window = None
    try:
        # A documentation screenshot shows the default layout and leaves the user's alone.
        settings = AppSettings() if screenshot is None else None
        window = MainWindow(context, default_panels(), settings)
        window.closed.connect(app.quit)
        route_to_hardware_panel(context.navigation, window)
        ssh.start_after_first_paint(window)
        if os.environ.get(FIRST_PAINT_ENV) == "1":
            FirstPaintProbe(window, heavy_modules)
        if screenshot is not None:
            ScreenshotTaker(window, screenshot, SCREENSHOT_TIMEOUT_S)
        window.show()
        sigint = close_on_sigint(window)  # noqa: F841 - kept alive while the loop runs
        # Logged from inside the event loop: from here on Ctrl+C and a window close
        # end the app through closeEvent, which saves the layout.
        QTimer.singleShot(0, lambda: log.info(
            "main window up after %.1f s", time.monotonic() - started))
        code = app.exec()
    except Exception:  # noqa: BLE001 - a failed start is logged, then exits 1
        log.exception("Cluster Lab failed to start")
        code = 1
    finally:
        if window is not None:
            window.shutdown_panels()
        ssh.shutdown()
        poller.shutdown()
        reporter.uninstall()
        log.info("Cluster Lab stopped")
    return code
