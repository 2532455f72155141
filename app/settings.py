"""Persistent GUI settings: window geometry, dock layout and each panel's own state.

The file is an INI file in services.paths.config_dir(). It holds layout and panel
preferences only, never a secret (passwords and keys live in the system keyring).

Writes are atomic: QSettings saves through QSaveFile. Checked for Qt 6.11 with strace:
sync() writes an O_TMPFILE in the same directory, links it under a temporary name and
rename()s it over the settings file, so a crash mid-save leaves the old file or the
new one (tests/test_settings.py asserts the inode changes on every sync).

Layout of the file, schema version 1:
    schema_version = 1
    window/geometry = QMainWindow.saveGeometry() bytes
    window/state    = QMainWindow.saveState(LAYOUT_VERSION) bytes
    panels/<objectName> = JSON object from the panel's save_state()
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from services.paths import config_dir

log = logging.getLogger(__name__)

SETTINGS_FILE_NAME = "cluster-lab.ini"
SCHEMA_VERSION = 1
VERSION_KEY = "schema_version"
GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
PANELS_GROUP = "panels"

# Files written before the schema was versioned kept the window at the top level.
_UNVERSIONED_KEYS = {"geometry": GEOMETRY_KEY, "windowState": STATE_KEY}


def settings_path() -> Path:
    """Where the settings file lives."""
    return config_dir() / SETTINGS_FILE_NAME


def _migrate_unversioned(settings: QSettings) -> None:
    for old, new in _UNVERSIONED_KEYS.items():
        if settings.contains(old):
            if not settings.contains(new):
                settings.setValue(new, settings.value(old))
            settings.remove(old)


# Each step turns schema version N into N + 1; index N holds the step from version N.
_MIGRATIONS = (_migrate_unversioned,)


def schema_version(settings: QSettings) -> int:
    """The file's schema version; 0 for a file written before versions existed."""
    try:
        return int(settings.value(VERSION_KEY, 0))
    except (TypeError, ValueError):
        return -1


def migrate(settings: QSettings) -> int:
    """Bring settings up to SCHEMA_VERSION in place and return the version found.

    Raises ValueError for a version this app does not know (corrupt, or from a newer
    release); the caller then starts from defaults instead of guessing.
    """
    found = schema_version(settings)
    if not 0 <= found <= SCHEMA_VERSION:
        raise ValueError(f"unknown settings schema version {settings.value(VERSION_KEY)!r}")
    for step in _MIGRATIONS[found:]:
        step(settings)
    if found != SCHEMA_VERSION:  # an unchanged file is not rewritten on every start
        settings.setValue(VERSION_KEY, SCHEMA_VERSION)
    return found


class AppSettings:
    """Typed access to the settings file; opening it migrates or sets aside a bad file."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path is not None else settings_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._settings = self._open()

    def _open(self) -> QSettings:
        settings = QSettings(str(self.path), QSettings.Format.IniFormat)
        try:
            if settings.status() != QSettings.Status.NoError:
                raise ValueError(f"unreadable settings file ({settings.status().name})")
            migrate(settings)
        except ValueError as exc:
            aside = self._set_aside()
            log.warning("%s: %s; starting from defaults (old file kept as %s)",
                        self.path, exc, aside.name)
            settings = QSettings(str(self.path), QSettings.Format.IniFormat)
            settings.setValue(VERSION_KEY, SCHEMA_VERSION)
        settings.sync()
        return settings

    def _set_aside(self) -> Path:
        aside = self.path.with_name(self.path.name + ".bad")
        try:
            os.replace(self.path, aside)
        except FileNotFoundError:
            pass
        return aside

    @property
    def qsettings(self) -> QSettings:
        """The underlying QSettings, for code that needs raw access."""
        return self._settings

    def window_geometry(self) -> QByteArray | None:
        """Saved QMainWindow geometry, or None."""
        return self._bytes(GEOMETRY_KEY)

    def window_state(self) -> QByteArray | None:
        """Saved QMainWindow dock layout, or None."""
        return self._bytes(STATE_KEY)

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        """Store the window geometry and dock layout."""
        self._settings.setValue(GEOMETRY_KEY, geometry)
        self._settings.setValue(STATE_KEY, state)

    def panel_state(self, object_name: str) -> dict | None:
        """A panel's saved state, or None if absent or unreadable."""
        raw = self._settings.value(f"{PANELS_GROUP}/{object_name}")
        if raw is None:
            return None
        try:
            state = json.loads(str(raw))
        except ValueError:
            log.warning("ignoring unreadable saved state of panel %s", object_name)
            return None
        return state if isinstance(state, dict) else None

    def save_panel_state(self, object_name: str, state: dict) -> None:
        """Store a panel's state as JSON under panels/<objectName>."""
        self._settings.setValue(f"{PANELS_GROUP}/{object_name}", json.dumps(state, sort_keys=True))

    def sync(self) -> bool:
        """Write pending changes to disk; False if the file could not be written."""
        self._settings.sync()
        ok = self._settings.status() == QSettings.Status.NoError
        if not ok:
            log.warning("could not write settings to %s: %s", self.path,
                        self._settings.status().name)
        return ok

    def _bytes(self, key: str) -> QByteArray | None:
        value = self._settings.value(key)
        if isinstance(value, QByteArray) and not value.isEmpty():
            return value
        if isinstance(value, bytes) and value:
            return QByteArray(value)
        return None
