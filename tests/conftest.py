"""Shared test setup: offscreen Qt, and every app file in a temporary home."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

# The real SSH hosts (network namespaces + sshd) serve the SSH, GUI and Docker tests.
pytest_plugins = ["tests.ssh.fixtures"]


@pytest.fixture(autouse=True)
def lab_home(tmp_path, monkeypatch):
    """Keep settings, logs and inventory of each test in its own temporary directory."""
    home = tmp_path / "lab-home"
    monkeypatch.setenv("CLUSTER_LAB_HOME", str(home))
    return home
