"""Startup modes that watch the main window: the first-paint probe and --screenshot."""
from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

from app.cli import EXIT_UNREADABLE

log = logging.getLogger(__name__)

# After the last panel has shown its first data the grab waits a few more seconds:
# a plot with one sample is a dot, with a few it is a curve worth documenting.
SETTLE_MS = 4000


class FirstPaintProbe(QObject):
    """On the window's first Paint event prints one JSON line and exits 0 (benchmarks)."""

    def __init__(self, window: QMainWindow, heavy_modules: Callable[[], list[str]]):
        super().__init__(window)
        self._heavy_modules = heavy_modules
        self._done = False
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Report the first paint; never consumes the event."""
        if event.type() == QEvent.Type.Paint and not self._done:
            self._done = True
            line = {"first_paint_wall": time.time(), "heavy_modules": self._heavy_modules()}
            print(json.dumps(line), flush=True)
            QTimer.singleShot(0, lambda: QApplication.exit(0))
        return False


class ScreenshotTaker(QObject):
    """Saves a PNG of the window once every live-data panel has shown data, then exits.

    A panel takes part by offering ``has_live_data() -> bool`` and a
    ``live_data_shown`` signal. Exit 0 when saved, 1 if the file cannot be written,
    3 if some panel shows no live data within the timeout.
    """

    def __init__(self, window: QMainWindow, path: Path, timeout_s: float):
        super().__init__(window)
        self._window = window
        self._path = Path(path)
        self._timeout_s = timeout_s
        self._taken = False
        self._panels = {
            name: panel
            for name, panel in window.panels().items()
            if hasattr(panel, "has_live_data") and hasattr(panel, "live_data_shown")
        }
        for panel in self._panels.values():
            panel.live_data_shown.connect(self._check)
        QTimer.singleShot(0, self._check)
        QTimer.singleShot(int(timeout_s * 1000), self._give_up)

    def _pending(self) -> list[str]:
        return [name for name, panel in self._panels.items() if not panel.has_live_data()]

    def _check(self) -> None:
        if not self._taken and not self._pending():
            self._taken = True
            QTimer.singleShot(SETTLE_MS, self._grab)

    def _grab(self) -> None:
        if self._window.grab().save(str(self._path), "PNG"):
            log.info("screenshot saved to %s", self._path)
            QApplication.exit(0)
        else:
            print(f"cluster-lab: cannot write screenshot to {self._path}", file=sys.stderr)
            QApplication.exit(1)

    def _give_up(self) -> None:
        if self._taken:
            return
        print(
            f"cluster-lab: no live data within {self._timeout_s:g} s "
            f"(waiting for {', '.join(self._pending())})",
            file=sys.stderr,
        )
        QApplication.exit(EXIT_UNREADABLE)
