"""Application logging: a rotating file in the log directory plus stderr."""
from __future__ import annotations

import logging
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

from services.paths import log_dir

LOG_FILE_NAME = "cluster-lab.log"
MAX_LOG_BYTES = 1_000_000
LOG_BACKUPS = 3
_FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"


class _OwnedHandlerMixin:
    """Marks handlers installed here so a second setup replaces them instead of doubling."""

    cluster_lab_owned = True


class _FileHandler(_OwnedHandlerMixin, RotatingFileHandler):
    """The rotating log file handler."""


class _StderrHandler(_OwnedHandlerMixin, logging.StreamHandler):
    """The terminal handler."""


def log_file_path() -> Path:
    """Where the application log is written."""
    return log_dir() / LOG_FILE_NAME


def setup_logging(level: int = logging.INFO, stderr_level: int = logging.WARNING) -> Path:
    """Send log records to the rotating file (level) and to stderr (stderr_level)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "cluster_lab_owned", False):
            root.removeHandler(handler)
            handler.close()
    path = log_file_path()
    formatter = logging.Formatter(_FORMAT)
    file_handler = _FileHandler(
        path, maxBytes=MAX_LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    file_handler.setLevel(level)
    file_handler.setFormatter(formatter)
    stderr_handler = _StderrHandler(sys.stderr)
    stderr_handler.setLevel(stderr_level)
    stderr_handler.setFormatter(formatter)
    root.addHandler(file_handler)
    root.addHandler(stderr_handler)
    root.setLevel(min(level, stderr_level))
    return path
