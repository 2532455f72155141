"""Settings file: location, schema migration, corrupt files, atomic writes."""
from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow

from app import settings as settings_module
from app.settings import SCHEMA_VERSION, AppSettings, migrate, schema_version, settings_path


def raw(path) -> QSettings:
    return QSettings(str(path), QSettings.Format.IniFormat)


def test_settings_live_in_the_config_dir(lab_home):
    settings = AppSettings()
    assert settings.path == lab_home / "config" / "cluster-lab.ini"
    assert settings.path == settings_path()
    assert settings.path.exists()
    assert schema_version(raw(settings.path)) == SCHEMA_VERSION


def test_unversioned_file_is_migrated_to_version_1(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    window.resize(700, 500)
    geometry, state = window.saveGeometry(), window.saveState(1)
    path = settings_path()
    old = raw(path)  # the layout of files written before schema versions existed
    old.setValue("geometry", geometry)
    old.setValue("windowState", state)
    old.sync()
    del old

    settings = AppSettings()
    assert settings.window_geometry() == geometry
    assert settings.window_state() == state
    on_disk = raw(path)
    assert schema_version(on_disk) == 1
    assert not on_disk.contains("geometry")
    assert not on_disk.contains("windowState")


def test_migrate_reports_the_version_it_found_and_is_idempotent(tmp_path):
    qs = raw(tmp_path / "s.ini")
    qs.setValue("geometry", QByteArray(b"g"))
    assert migrate(qs) == 0
    assert migrate(qs) == SCHEMA_VERSION
    assert qs.value("window/geometry") == QByteArray(b"g")


@pytest.mark.parametrize("version", ["99", "-3", "one"])
def test_unknown_schema_version_is_set_aside(version):
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"[General]\nschema_version={version}\n[panels]\nx=1\n")
    settings = AppSettings()
    assert path.with_name(path.name + ".bad").read_text().count(version) == 1
    assert settings.panel_state("x") is None
    assert schema_version(raw(path)) == SCHEMA_VERSION


def test_corrupt_file_is_set_aside_and_defaults_used():
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    garbage = b"\x00\xff[[[\n=\n[a\nb=c\x00" * 3
    path.write_bytes(garbage)
    settings = AppSettings()
    assert path.with_name(path.name + ".bad").read_bytes() == garbage
    assert settings.window_geometry() is None
    settings.save_panel_state("hardwarePanel", {"interval": 2})
    assert settings.sync()
    assert AppSettings().panel_state("hardwarePanel") == {"interval": 2}


def test_unreadable_panel_state_is_ignored():
    settings = AppSettings()
    settings.qsettings.setValue("panels/brokenPanel", "{not json")
    settings.qsettings.setValue("panels/listPanel", "[1, 2]")
    assert settings.panel_state("brokenPanel") is None
    assert settings.panel_state("listPanel") is None
    assert settings.panel_state("missingPanel") is None


def test_panel_state_is_json_under_panels_group():
    settings = AppSettings()
    settings.save_panel_state("hardwarePanel", {"window_s": 300, "interval": 1.5})
    settings.sync()
    text = settings.path.read_text()
    assert "[panels]" in text
    assert raw(settings.path).value("panels/hardwarePanel") == '{"interval": 1.5, "window_s": 300}'


def test_sync_replaces_the_file_atomically():
    """QSettings writes a new file and renames it over the old one (see app/settings.py)."""
    settings = AppSettings()
    settings.save_panel_state("p", {"n": 1})
    settings.sync()
    before = os.stat(settings.path).st_ino
    settings.save_panel_state("p", {"n": 2})
    assert settings.sync()
    assert os.stat(settings.path).st_ino != before
    leftovers = [p.name for p in settings.path.parent.iterdir() if p.name != settings.path.name]
    assert leftovers == []


def test_migrations_cover_every_version():
    assert len(settings_module._MIGRATIONS) == SCHEMA_VERSION
