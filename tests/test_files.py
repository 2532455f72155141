"""The app's own files: where they live, atomic writes, and the rotating log."""
from __future__ import annotations

import logging
import os
import stat

import platformdirs
import pytest

from app.logging_setup import LOG_BACKUPS, MAX_LOG_BYTES, log_file_path, setup_logging
from services import paths
from services.atomic import atomic_write_text


def test_cluster_lab_home_holds_every_directory(lab_home):
    assert paths.config_dir() == lab_home / "config"
    assert paths.log_dir() == lab_home / "log"
    assert paths.data_dir() == lab_home / "data"
    assert all((lab_home / kind).is_dir() for kind in ("config", "log", "data"))


def test_without_override_the_platform_directories_are_used(tmp_path, monkeypatch):
    monkeypatch.delenv("CLUSTER_LAB_HOME")
    for variable in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(variable, str(tmp_path / variable.lower()))
    expected = {
        paths.config_dir: platformdirs.user_config_dir("cluster-lab", appauthor=False),
        paths.log_dir: platformdirs.user_log_dir("cluster-lab", appauthor=False),
        paths.data_dir: platformdirs.user_data_dir("cluster-lab", appauthor=False),
    }
    for directory, platform_dir in expected.items():
        found = directory()
        assert str(found) == platform_dir and found.is_dir()
        assert tmp_path in found.parents  # the environment above was honoured


def test_atomic_write_replaces_the_file_privately(tmp_path):
    target = tmp_path / "sub" / "inventory.json"
    atomic_write_text(target, "first\n")
    first_inode = target.stat().st_ino
    atomic_write_text(target, "second ✓\n")
    assert target.read_text(encoding="utf-8") == "second ✓\n"
    assert target.stat().st_ino != first_inode  # renamed into place, never rewritten
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert os.listdir(target.parent) == ["inventory.json"]


def test_a_failed_atomic_write_keeps_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "inventory.json"
    atomic_write_text(target, "good\n")
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(target, "half written \udc80 never lands")  # fails mid-write
    assert target.read_text() == "good\n"
    assert os.listdir(tmp_path) == ["inventory.json"]


@pytest.fixture
def app_logging():
    yield setup_logging
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "cluster_lab_owned", False):
            root.removeHandler(handler)
            handler.close()


def test_log_file_rotates_and_setup_never_doubles_handlers(lab_home, app_logging):
    path = app_logging()
    app_logging()  # a second setup replaces its handlers instead of adding more
    assert path == log_file_path() == lab_home / "log" / "cluster-lab.log"
    owned = [h for h in logging.getLogger().handlers if getattr(h, "cluster_lab_owned", False)]
    assert len(owned) == 2
    log = logging.getLogger("tests.rotation")
    line = "x" * 10_000
    for _ in range((LOG_BACKUPS + 2) * MAX_LOG_BYTES // len(line)):
        log.info(line)
    names = sorted(p.name for p in path.parent.iterdir())
    backups = [f"cluster-lab.log.{n}" for n in range(1, LOG_BACKUPS + 1)]
    assert names == ["cluster-lab.log", *backups]  # the oldest beyond that are dropped
    assert all(p.stat().st_size <= MAX_LOG_BYTES for p in path.parent.iterdir())
