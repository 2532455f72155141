"""The Docker networks panel offering the app's SSH hosts as engines, over real sshd and dockerd.

The namespace host shares this machine's filesystem, so `docker system dial-stdio` run
there reaches the test dockerd through its private socket (remote_socket).
"""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.docker.conftest import run_container
from views.docker_engines_table import ENGINE, STATE, VERSION
from views.docker_networks_panel import DockerNetworksPanel, networks_topic

CONNECT_TIMEOUT_MS = 30_000


@pytest.fixture
def app_context(qapp, ssh_home):
    """Poller, HardwareSources and an SshManager on the test's HOME files, as the app wires them."""
    from app.context import AppContext
    from app.poller import Poller
    from app.ssh_manager import SshManager
    from services.hardware.sources import HardwareSources
    from services.hosts_inventory import HostsInventory

    poller = Poller()
    hardware = HardwareSources()
    inventory = HostsInventory(ssh_config_path=ssh_home / ".ssh" / "config")
    manager = SshManager(hardware, poller, inventory, user_known_hosts=ssh_home / ".ssh" / "known_hosts")
    yield AppContext(poller=poller, hardware=hardware, ssh=manager)
    manager.shutdown()
    poller.shutdown()
    if manager._pool is not None:
        manager._pool.close_all()  # wait here: no transport may outlive the test


def _network_names(panel):
    return {n.name for n in panel.snapshot.networks} if panel.snapshot else set()


def test_inventory_host_engine_shares_the_hardware_transport(
        qtbot, app_context, dockerd, engine, ssh_testbed, ssh_hosts, ssh_home):
    host = ssh_hosts[0]
    ssh_testbed.write_ssh_config(ssh_home, hosts=[host], known=True)
    manager = app_context.ssh
    panel = DockerNetworksPanel(app_context, [engine], remote_socket=str(dockerd.socket))
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: panel.engine is engine, timeout=5000)
    assert panel.engines.rowCount() == 1

    with qtbot.waitSignal(manager.hosts_changed, timeout=10_000):
        manager.start()
    remote = f"ssh:{host.name}"
    assert panel.engines.rowCount() == 2
    assert panel.engines.text(remote, ENGINE) == f"docker on {host.name}"
    assert panel.engines.text(remote, STATE) == "not connected"
    assert panel.engine is engine  # offering a remote engine contacts nobody
    assert manager.transport_count(host.name) == 0

    manager.connect_host(host.name)  # the host's hardware sample stream
    qtbot.waitUntil(lambda: manager.last_sample_age(host.name) is not None, timeout=CONNECT_TIMEOUT_MS)
    dockerd.docker("network", "create", "--subnet", "10.77.42.0/24", "--label", "v=$(id)", "over-ssh")
    run_container(dockerd, "over-ssh-box", "--network", "over-ssh")

    qtbot.keyClick(panel.engines_table, Qt.Key.Key_Down)  # pick the remote engine
    assert panel.engine.name == remote
    assert networks_topic(remote) in app_context.poller.topics()
    qtbot.waitUntil(lambda: panel.engines.text(remote, STATE) == "connected"
                    and panel.snapshot is not None and panel.snapshot.host_status == "ok",
                    timeout=CONNECT_TIMEOUT_MS)
    assert "over-ssh" in _network_names(panel)
    assert panel.engines.text(remote, VERSION) == dockerd.docker(
        "version", "--format", "{{.Server.Version}}").strip()
    assert panel.engines.text(engine.name, STATE) == "stale"
    # Both the hardware stream and the engine's channels ride on one transport.
    assert manager.transport_count(host.name) == 1
    assert manager.state(host.name)[0] == "CONNECTED"
    assert manager.last_sample_age(host.name) < 3.0

    # A live change arrives over the same transport.
    dockerd.docker("network", "disconnect", "over-ssh", "over-ssh-box")
    net = lambda: next(n for n in panel.snapshot.networks if n.name == "over-ssh")  # noqa: E731
    qtbot.waitUntil(lambda: net().endpoints == (), timeout=5000)
    assert manager.transport_count(host.name) == 1

    # The inventory refreshes: an unchanged host keeps its engine and its stream.
    with qtbot.waitSignal(manager.hosts_changed, timeout=10_000):
        manager.import_ssh_config()
    assert panel.engine.name == remote and panel.engines.text(remote, STATE) == "connected"

    # The host leaves the inventory: its engine goes, the panel falls back to the local one.
    ssh_testbed.write_ssh_config(ssh_home, hosts=[], known=True)
    with qtbot.waitSignal(manager.hosts_changed, timeout=10_000):
        manager.import_ssh_config()
    assert panel.engines.row_of(remote) == -1
    assert panel.engine is engine
    assert networks_topic(remote) not in app_context.poller.topics()
    qtbot.waitUntil(lambda: panel.engines.text(engine.name, STATE) == "connected", timeout=5000)
    qtbot.waitUntil(lambda: manager.transport_count(host.name) == 0, timeout=10_000)
    panel.shutdown()


def test_remote_engine_asks_about_an_unknown_host_key_in_the_app_dialog(
        qtbot, app_context, dockerd, engine, ssh_testbed, ssh_hosts, ssh_home):
    from views.host_key_dialogs import UnknownHostKeyDialog

    host = ssh_hosts[1]
    ssh_testbed.write_ssh_config(ssh_home, hosts=[host], known=False)
    manager = app_context.ssh
    with qtbot.waitSignal(manager.hosts_changed, timeout=10_000):
        manager.start()
    panel = DockerNetworksPanel(app_context, [engine], remote_socket=str(dockerd.socket))
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: panel.engine is engine, timeout=5000)
    remote = f"ssh:{host.name}"
    with qtbot.waitSignal(manager.prompter.prompt_opened, timeout=CONNECT_TIMEOUT_MS) as opened:
        panel.engines_table.selectRow(panel.engines.row_of(remote))
    dialog = opened.args[0]
    assert isinstance(dialog, UnknownHostKeyDialog)
    assert dialog.fingerprint_label.text() == host.fingerprint()
    assert panel.engines.text(remote, STATE) == "connecting"  # the stream waits, the GUI does not
    qtbot.mouseClick(dialog.accept_once_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.engines.text(remote, STATE) == "connected", timeout=CONNECT_TIMEOUT_MS)
    assert manager.prompter.pending_count() == 0
    # The app's own host state follows: it is the same pool and the same transport.
    assert manager.state(host.name)[0] == "CONNECTED"
    assert manager.transport_count(host.name) == 1
    panel.shutdown()


def test_ssh_engines_for_the_same_host_compare_equal(ssh_testbed, ssh_hosts, ssh_home):
    from services.docker.remote import ssh_engine
    from services.ssh.targets import resolve_target

    ssh_testbed.write_ssh_config(ssh_home, hosts=ssh_hosts[:2], known=True)
    first, second = (resolve_target(h.name) for h in ssh_hosts[:2])

    def get_pool():
        raise AssertionError("building an engine must not create the pool")

    assert ssh_engine(get_pool, first, "/s.sock") == ssh_engine(get_pool, first, "/s.sock")
    assert ssh_engine(get_pool, first, "/s.sock") != ssh_engine(get_pool, first, "/t.sock")
    assert ssh_engine(get_pool, first) != ssh_engine(get_pool, second)
