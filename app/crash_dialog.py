"""Uncaught exceptions are logged and shown in a dialog; they never end the app.

PySide6 hands an exception raised in a slot or a virtual override to sys.excepthook
and carries on, so replacing that hook is enough to keep the GUI alive. Exceptions of
worker threads arrive through threading.excepthook on their own thread; they are
forwarded to the GUI thread by a queued signal, because widgets may only be created
there.
"""
from __future__ import annotations

import logging
import sys
import threading
import traceback

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

log = logging.getLogger(__name__)


class CrashReporter(QObject):
    """Installs the exception hooks and owns the (single, non-modal) crash dialog."""

    error_reported = Signal(str, str)  # one-line summary, full traceback

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._dialog: QMessageBox | None = None
        self._count = 0
        self._previous_sys = sys.excepthook
        self._previous_threading = threading.excepthook
        self.error_reported.connect(self._show, Qt.ConnectionType.QueuedConnection)

    @property
    def dialog(self) -> QMessageBox | None:
        """The crash dialog, once an exception has been shown."""
        return self._dialog

    def install(self) -> None:
        """Route uncaught exceptions of every thread to the log and the dialog."""
        self._previous_sys = sys.excepthook
        self._previous_threading = threading.excepthook
        sys.excepthook = self._sys_hook
        threading.excepthook = self._thread_hook

    def uninstall(self) -> None:
        """Restore the hooks that were in place before install()."""
        if sys.excepthook == self._sys_hook:
            sys.excepthook = self._previous_sys
        if threading.excepthook == self._thread_hook:
            threading.excepthook = self._previous_threading

    def _sys_hook(self, exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            app = QApplication.instance()
            if app is not None:
                app.quit()
            return
        self._report("main thread", exc_type, exc, tb)

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "unknown thread"
        self._report(f"thread {name}", args.exc_type, args.exc_value, args.exc_traceback)

    def _report(self, where: str, exc_type, exc, tb) -> None:
        log.error("Uncaught exception in %s", where, exc_info=(exc_type, exc, tb))
        summary = "".join(traceback.format_exception_only(exc_type, exc)).strip()
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        self.error_reported.emit(summary, details)

    def _show(self, summary: str, details: str) -> None:
        self._count += 1
        # One dialog at a time: an exception raised on every repaint must not open
        # hundreds of windows; the dialog shows the latest error and a count.
        if self._dialog is None:
            self._dialog = QMessageBox(QMessageBox.Icon.Critical, "Unexpected error", "")
            self._dialog.setWindowModality(Qt.WindowModality.NonModal)
            self._dialog.setStandardButtons(QMessageBox.StandardButton.Close)
            self._dialog.finished.connect(self._reset_count)
        extra = f"\n\n({self._count} errors since this dialog opened)" if self._count > 1 else ""
        self._dialog.setText(
            "Cluster Lab hit an unexpected error and carried on. "
            "The details are in the log file.\n\n" + summary + extra
        )
        self._dialog.setDetailedText(details)
        self._dialog.show()
        self._dialog.raise_()

    def _reset_count(self) -> None:
        self._count = 0
