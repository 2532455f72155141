"""The app's SSH glue against real sshd hosts in network namespaces, driven with qtbot."""
from __future__ import annotations

import threading
import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from views.host_key_dialogs import ChangedHostKeyDialog, UnknownHostKeyDialog
from views.hosts_panel import AGE, ERROR, STATE, HostsPanel

CONNECT_TIMEOUT_MS = 30_000


def load_hosts(qtbot, context, bed, home, hosts, known):
    """Write ~/.ssh/config for hosts, start the manager and wait until it lists them."""
    bed.write_ssh_config(home, hosts, known=known)
    manager = context.ssh
    with qtbot.waitSignal(manager.hosts_changed, timeout=10_000):
        manager.start()
    assert {h.name for h in manager.hosts()} == {h.name for h in hosts}
    return manager


def wait_state(qtbot, manager, name, state, timeout=CONNECT_TIMEOUT_MS):
    qtbot.waitUntil(lambda: manager.state(name)[0] == state, timeout=timeout)


def cell(panel, name, column):
    model = panel.model
    return model.data(model.index(model.row_of(name), column))


def test_unknown_key_accept_and_save_connects_and_saves(qtbot, app_parts, ssh_testbed, ssh_home):
    host = ssh_testbed.hosts["h1"]
    manager = load_hosts(qtbot, app_parts, ssh_testbed, ssh_home, [host], known=False)
    with qtbot.waitSignal(manager.prompter.prompt_opened, timeout=CONNECT_TIMEOUT_MS) as opened:
        manager.connect_host("h1")
    dialog = opened.args[0]
    assert isinstance(dialog, UnknownHostKeyDialog)
    assert dialog.fingerprint_label.text() == host.fingerprint()  # what ssh-keygen -lf says
    assert dialog.key_type_label.text() == "ssh-ed25519"
    assert sorted(b.text() for b in dialog.findChildren(QPushButton)) == [
        "Accept and save", "Accept once", "Reject"]
    assert dialog.reject_button.isDefault()
    assert manager.state("h1")[0] == "CONNECTING"  # the worker waits, the GUI does not
    qtbot.mouseClick(dialog.accept_save_button, Qt.MouseButton.LeftButton)
    wait_state(qtbot, manager, "h1", "CONNECTED")
    saved = manager.app_known_hosts.read_text()
    assert host.known_hosts_line().split()[2] in saved
    qtbot.waitUntil(lambda: manager.last_sample_age("h1") is not None, timeout=15_000)
    assert manager.transport_count("h1") == 1


def test_unknown_key_reject_leaves_host_unknown_and_asks_no_more(
        qtbot, app_parts, ssh_testbed, ssh_home):
    host = ssh_testbed.hosts["h2"]
    manager = load_hosts(qtbot, app_parts, ssh_testbed, ssh_home, [host], known=False)
    opened = []
    manager.prompter.prompt_opened.connect(opened.append)
    with qtbot.waitSignal(manager.prompter.prompt_opened, timeout=CONNECT_TIMEOUT_MS):
        manager.connect_host("h2")
    qtbot.mouseClick(opened[0].reject_button, Qt.MouseButton.LeftButton)
    wait_state(qtbot, manager, "h2", "HOSTKEY_UNKNOWN")
    assert host.fingerprint() in manager.state("h2")[1]
    assert not manager.app_known_hosts.exists() or host.address not in manager.app_known_hosts.read_text()
    qtbot.wait(3000)  # the stream retries with backoff; a refused key is not asked again
    assert len(opened) == 1 and manager.prompter.pending_count() == 0
    assert manager.state("h2")[0] == "HOSTKEY_UNKNOWN"
    assert manager.transport_count("h2") == 0

    manager.connect_host("h2")  # an explicit Connect asks again, without waiting for backoff
    qtbot.waitUntil(lambda: len(opened) == 2, timeout=10_000)
    qtbot.mouseClick(opened[1].accept_once_button, Qt.MouseButton.LeftButton)
    wait_state(qtbot, manager, "h2", "CONNECTED")
    assert not manager.app_known_hosts.exists() or host.address not in manager.app_known_hosts.read_text()


def test_changed_host_key_is_refused_with_both_fingerprints(
        qtbot, app_parts, ssh_testbed, ssh_home, ssh_host_factory):
    host = ssh_host_factory()
    old = host.fingerprint()
    manager = load_hosts(qtbot, app_parts, ssh_testbed, ssh_home, [host], known=True)
    host.restart_with_new_hostkey()
    new = host.fingerprint()
    assert new != old
    opened = []
    manager.prompter.prompt_opened.connect(opened.append)
    manager.connect_host(host.name)
    wait_state(qtbot, manager, host.name, "HOSTKEY_CHANGED")
    qtbot.waitUntil(lambda: bool(opened), timeout=10_000)
    assert len(opened) == 1
    warning = opened[0]
    assert isinstance(warning, ChangedHostKeyDialog)
    assert warning.old_fingerprint_label.text() == old
    assert warning.new_fingerprint_label.text() == new
    assert [b.text() for b in warning.findChildren(QPushButton)] == ["Close"]
    assert str(manager.user_known_hosts) in warning.fix_label.text()
    assert manager.transport_count(host.name) == 0
    assert new not in (manager.app_known_hosts.read_text() if manager.app_known_hosts.exists() else "")


def test_hosts_panel_renders_live_states(qtbot, app_parts, ssh_testbed, ssh_home, ssh_host_factory):
    good, dead = ssh_testbed.hosts["h3"], ssh_host_factory()
    manager = load_hosts(qtbot, app_parts, ssh_testbed, ssh_home, [good, dead], known=True)
    panel = HostsPanel(app_parts)
    qtbot.addWidget(panel)
    assert cell(panel, good.name, STATE) == "not connected"
    assert cell(panel, good.name, AGE) == "—"
    dead.kill_sshd()
    manager.connect_host(good.name)
    manager.connect_host(dead.name)
    qtbot.waitUntil(lambda: cell(panel, good.name, STATE) == "connected", timeout=CONNECT_TIMEOUT_MS)
    qtbot.waitUntil(lambda: cell(panel, dead.name, STATE) == "unreachable", timeout=CONNECT_TIMEOUT_MS)
    assert "cannot connect" in cell(panel, dead.name, ERROR)
    qtbot.waitUntil(lambda: cell(panel, good.name, AGE).endswith("s ago"), timeout=15_000)
    manager.disconnect_host(good.name)
    qtbot.waitUntil(lambda: cell(panel, good.name, STATE) == "not connected", timeout=10_000)
    qtbot.waitUntil(lambda: manager.transport_count(good.name) == 0, timeout=10_000)


def test_link_down_marks_host_unreachable_while_others_update_without_gui_stall(
        qtbot, app_parts, ssh_testbed, ssh_home, ssh_hosts, ssh_host_factory, stall_meter):
    from views.overview_panel import OverviewPanel

    victim = ssh_host_factory()
    hosts = [*ssh_hosts, victim]
    manager = load_hosts(qtbot, app_parts, ssh_testbed, ssh_home, hosts, known=True)
    overview = OverviewPanel(app_parts)  # opens every host's shared sample stream
    qtbot.addWidget(overview)
    overview.show()
    qtbot.waitUntil(lambda: all(manager.last_sample_age(h.name) is not None for h in hosts),
                    timeout=CONNECT_TIMEOUT_MS)
    stall_meter.start()
    # `ip link set` runs off the GUI thread: only the app's own stalls are measured.
    cutter = threading.Thread(target=victim.link_down)
    cutter.start()
    cut_at = time.monotonic()
    worst_age = 0.0
    while manager.state(victim.name)[0] != "UNREACHABLE":
        assert time.monotonic() - cut_at < 25, "the dead link was not noticed in time"
        qtbot.wait(200)
        worst_age = max(worst_age, *(manager.last_sample_age(h.name) for h in ssh_hosts))
    noticed_after = time.monotonic() - cut_at
    cutter.join()
    qtbot.wait(1500)
    stall_meter.stop()
    worst_age = max(worst_age, *(manager.last_sample_age(h.name) for h in ssh_hosts))
    assert worst_age < 3.0, f"healthy hosts stopped updating (oldest sample {worst_age:.1f} s)"
    assert noticed_after < 20
    assert len(stall_meter.gaps) > 1000
    assert stall_meter.longest_ms < 100, f"GUI stalled {stall_meter.longest_ms:.0f} ms"
    print(f"dead link noticed after {noticed_after:.1f} s; longest GUI stall "
          f"{stall_meter.longest_ms:.1f} ms over {len(stall_meter.gaps)} ticks")
    card = overview.cards[victim.name]
    assert "unreachable" in card.status_label.text()
    overview.shutdown()
    victim.link_up()


def test_overview_cards_update_and_click_opens_the_shared_stream_in_hardware_panel(
        qtbot, app_parts, ssh_testbed, ssh_home):
    from app.main_window import MainWindow
    from app.navigation import route_to_hardware_panel
    from views.hardware_panel import PANEL as HARDWARE
    from views.hosts_panel import PANEL as HOSTS
    from views.overview_panel import PANEL as OVERVIEW

    host = ssh_testbed.hosts["h2"]
    manager = load_hosts(qtbot, app_parts, ssh_testbed, ssh_home, [host], known=True)
    window = MainWindow(app_parts, [HARDWARE, HOSTS, OVERVIEW])
    qtbot.addWidget(window)
    route_to_hardware_panel(app_parts.navigation, window)
    window.show()
    overview = window.panel("overviewPanel")
    assert list(overview.cards) == ["local", "h2"]
    card = overview.cards["h2"]
    qtbot.waitUntil(lambda: len(card.buffers["cpu"]) >= 2 and len(overview.cards["local"].buffers["cpu"]) >= 2,
                    timeout=CONNECT_TIMEOUT_MS)
    xs, ys = card.curves["mem"].getData()
    assert len(xs) >= 2 and 0 < ys[-1] <= 100
    assert card.values_label.text().startswith("CPU ")
    assert "connected" in card.status_label.text()
    hardware = window.panel("hardwarePanel")
    assert hardware.target != "h2"
    qtbot.mouseClick(card, Qt.MouseButton.LeftButton)
    assert hardware.target == "h2"
    assert app_parts.poller.topics().count("hardware.sample:h2") == 1
    qtbot.waitUntil(hardware.has_live_data, timeout=CONNECT_TIMEOUT_MS)
    assert manager.transport_count("h2") == 1  # panels and overview share one transport
    window.shutdown_panels()


def add_app_host(qtbot, context, entry):
    """Load the inventory, then add an app host to it."""
    with qtbot.waitSignal(context.ssh.hosts_changed, timeout=10_000):
        context.ssh.start()
    with qtbot.waitSignal(context.ssh.hosts_changed, timeout=10_000):
        context.ssh.add_host(entry)


def test_password_prompt_connects_and_the_secret_is_stored_nowhere(
        qtbot, app_parts, ssh_testbed, ssh_home, lab_home):
    from services.hosts_inventory import HostEntry
    from views.secret_dialog import SecretDialog

    host = ssh_testbed.hosts["h3"]
    (ssh_home / ".ssh" / "known_hosts").write_text(host.known_hosts_line())
    add_app_host(qtbot, app_parts, HostEntry("pw-host", host.address, user=ssh_testbed.user))
    manager = app_parts.ssh
    with qtbot.waitSignal(manager.prompter.prompt_opened, timeout=CONNECT_TIMEOUT_MS) as opened:
        manager.connect_host("pw-host")
    dialog = opened.args[0]
    assert isinstance(dialog, SecretDialog) and "Password" in dialog.windowTitle()
    assert not dialog.remember_box.isChecked()
    qtbot.keyClicks(dialog.secret_edit, ssh_testbed.password)
    qtbot.keyClick(dialog.secret_edit, Qt.Key.Key_Return)
    wait_state(qtbot, manager, "pw-host", "CONNECTED")
    for path in lab_home.rglob("*"):
        if path.is_file():
            assert ssh_testbed.password not in path.read_text(errors="replace"), path


def test_cancelled_passphrase_gives_auth_failed_and_no_prompt_loop(
        qtbot, app_parts, ssh_testbed, ssh_home):
    from services.hosts_inventory import HostEntry

    host = ssh_testbed.hosts["h1"]
    (ssh_home / ".ssh" / "known_hosts").write_text(host.known_hosts_line())
    add_app_host(qtbot, app_parts, HostEntry("enc-host", host.address, user="nobody-here",
                                             identity_file=str(ssh_testbed.encrypted_key)))
    manager = app_parts.ssh
    opened = []
    manager.prompter.prompt_opened.connect(opened.append)
    manager.connect_host("enc-host")
    qtbot.waitUntil(lambda: bool(opened), timeout=CONNECT_TIMEOUT_MS)
    assert opened[0].windowTitle().startswith("Passphrase")
    assert str(ssh_testbed.encrypted_key) in opened[0].prompt_label.text()
    opened[0].reject()
    wait_state(qtbot, manager, "enc-host", "AUTH_FAILED")
    qtbot.wait(3000)
    assert len(opened) == 1 and manager.state("enc-host")[0] == "AUTH_FAILED"
