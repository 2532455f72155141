"""Uncaught exceptions are logged and shown in a dialog; the app keeps running."""
from __future__ import annotations

import logging
import sys
import threading

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QPushButton

from app.crash_dialog import CrashReporter
from app.logging_setup import log_file_path, setup_logging

# pytest-qt would otherwise catch slot exceptions itself and fail the test.
pytestmark = pytest.mark.qt_no_exception_capture


@pytest.fixture
def reporter(qtbot):
    setup_logging()
    reporter = CrashReporter()
    reporter.install()
    yield reporter
    reporter.uninstall()
    if reporter.dialog is not None:
        reporter.dialog.close()
    for handler in list(logging.getLogger().handlers):
        if getattr(handler, "cluster_lab_owned", False):
            logging.getLogger().removeHandler(handler)
            handler.close()


def test_exception_in_a_slot_is_logged_and_shown_and_the_app_lives_on(qtbot, reporter):
    button = QPushButton("crash")
    qtbot.addWidget(button)
    clicks = []

    def explode():
        clicks.append(1)
        raise RuntimeError("boom from a slot")

    button.clicked.connect(explode)
    button.click()
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    dialog = reporter.dialog
    assert "RuntimeError: boom from a slot" in dialog.text()
    assert "Traceback" in dialog.detailedText()
    assert not dialog.isModal()

    # Still alive: the event loop runs timers and the same slot can fail again.
    fired = []
    QTimer.singleShot(10, lambda: fired.append(True))
    qtbot.waitUntil(lambda: bool(fired))
    button.click()
    qtbot.waitUntil(lambda: "2 errors" in dialog.text())
    assert reporter.dialog is dialog  # one dialog, not one per error
    assert clicks == [1, 1]

    log_text = log_file_path().read_text()
    assert "Uncaught exception in main thread" in log_text
    assert "Traceback (most recent call last)" in log_text
    assert 'raise RuntimeError("boom from a slot")' in log_text


def test_exception_in_a_worker_thread_reaches_the_gui_thread(qtbot, reporter):
    def work():
        raise ValueError("bad value in worker")

    worker = threading.Thread(target=work, name="collector-1")
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    assert "ValueError: bad value in worker" in reporter.dialog.text()
    assert "Uncaught exception in thread collector-1" in log_file_path().read_text()
    assert reporter.dialog.thread() is QApplication.instance().thread()


def test_uninstall_restores_previous_hooks(qtbot):
    before_sys, before_thread = sys.excepthook, threading.excepthook
    reporter = CrashReporter()
    reporter.install()
    assert sys.excepthook is not before_sys
    reporter.uninstall()
    assert sys.excepthook is before_sys
    assert threading.excepthook is before_thread
