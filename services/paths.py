"""Where Cluster Lab keeps its files; CLUSTER_LAB_HOME overrides all of them (tests)."""
from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "cluster-lab"


def _base(kind: str) -> Path:
    home = os.environ.get("CLUSTER_LAB_HOME")
    if home:
        path = Path(home) / kind
    else:
        import platformdirs

        getter = getattr(platformdirs, f"user_{kind}_dir")
        path = Path(getter(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    """Directory for settings, the host inventory and the app's known_hosts."""
    return _base("config")


def log_dir() -> Path:
    """Directory for the rotating application log."""
    return _base("log")


def data_dir() -> Path:
    """Directory for caches and other regenerable data."""
    return _base("data")
