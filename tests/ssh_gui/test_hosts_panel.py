"""Hosts panel and SshManager inventory handling, with real files and no network."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.hosts_inventory import HostEntry, HostsInventory, dump_inventory
from views.hosts_panel import ADDRESS, GROUP, NAME, STATE, HostsPanel

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def context(qapp, tmp_path):
    from app.context import AppContext
    from app.navigation import Navigator
    from app.poller import Poller
    from app.ssh_manager import SshManager
    from services.hardware.sources import HardwareSources

    poller, hardware = Poller(), HardwareSources()
    inventory = HostsInventory(ssh_config_path=tmp_path / "no-config")
    manager = SshManager(hardware, poller, inventory, user_known_hosts=tmp_path / "kh")
    yield AppContext(poller=poller, hardware=hardware, ssh=manager, navigation=Navigator())
    manager.shutdown()
    poller.shutdown()


def rows(panel):
    model = panel.model
    return [tuple(model.data(model.index(r, c)) for c in (NAME, ADDRESS, GROUP, STATE))
            for r in range(model.rowCount())]


def test_add_edit_remove_through_the_panel_persists(qtbot, context, lab_home):
    manager = context.ssh
    with qtbot.waitSignal(manager.hosts_changed):
        manager.start()
    panel = HostsPanel(context)
    qtbot.addWidget(panel)
    dialog = panel._open_editor(None)
    dialog.name_edit.setText("db1")
    dialog.hostname_edit.setText("10.9.0.5")
    dialog.user_edit.setText("ops")
    dialog.group_combo.setCurrentText("data")
    with qtbot.waitSignal(manager.hosts_changed):
        dialog.accept()
    assert rows(panel) == [("data", None, None, None),
                           ("db1", "ops@10.9.0.5", "data", "not connected")]
    assert "db1" in context.hardware.targets()
    saved = json.loads((lab_home / "config" / "hosts.json").read_text())
    assert saved["hosts"][0]["name"] == "db1"

    panel.select_host("db1")
    edit = panel._open_editor(panel.selected_host())
    edit.name_edit.setText("db2")
    edit.port_spin.setValue(2222)
    with qtbot.waitSignal(manager.hosts_changed):
        edit.accept()
    assert [r[:2] for r in rows(panel)] == [("data", None), ("db2", "ops@10.9.0.5:2222")]
    assert "db1" not in context.hardware.targets() and "db2" in context.hardware.targets()

    with qtbot.waitSignal(manager.hosts_changed):
        manager.remove_host("db2")
    assert rows(panel) == [] and context.hardware.targets() == ["local"]
    assert json.loads((lab_home / "config" / "hosts.json").read_text())["hosts"] == []


def test_double_click_asks_to_show_the_host(qtbot, context, lab_home):
    path = lab_home / "config" / "hosts.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_inventory([HostEntry("web1", "10.9.0.7", group="web")], {}))
    with qtbot.waitSignal(context.ssh.hosts_changed):
        context.ssh.start()
    panel = HostsPanel(context)
    qtbot.addWidget(panel)
    index = panel.model.index(panel.model.row_of("web1"), NAME)
    with qtbot.waitSignal(context.navigation.show_host_requested) as blocker:
        panel.table.doubleClicked.emit(index)
    assert blocker.args == ["web1"]


def test_corrupt_inventory_is_shown_and_kept(qtbot, context, lab_home):
    path = lab_home / "config" / "hosts.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"version": 1, "hosts": [')
    panel = HostsPanel(context)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(context.ssh.hosts_changed):
        context.ssh.start()
    assert panel.error_label.isVisibleTo(panel)
    assert "hosts.json.corrupt-" in panel.error_label.text()
    kept = list(path.parent.glob("hosts.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_text() == '{"version": 1, "hosts": ['


LEAN = r"""
import sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from app.context import AppContext
from app.navigation import Navigator
from app.poller import Poller
from app.ssh_manager import SshManager
from services.hardware.sources import HardwareSources
from views.hosts_panel import HostsPanel
from views.overview_panel import OverviewPanel
poller, hardware = Poller(), HardwareSources()
ctx = AppContext(poller, hardware, SshManager(hardware, poller), Navigator())
panels = [HostsPanel(ctx), OverviewPanel(ctx)]
app.processEvents()
print(sorted(m for m in sys.modules if m.split(".")[0] in ("paramiko", "keyring")))
"""


def test_building_the_ssh_panels_loads_no_paramiko(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO),
               CLUSTER_LAB_HOME=str(tmp_path), HOME=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", LEAN], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
