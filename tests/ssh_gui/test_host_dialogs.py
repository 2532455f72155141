"""Host key, secret and host edit dialogs, without a network."""
from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QPushButton

from app.gui_prompter import GuiPrompter
from services.hosts_inventory import HostEntry
from services.ssh.prompts import HostKeyDecision, HostKeyPrompt
from views.host_edit_dialog import HostEditDialog
from views.host_key_dialogs import ChangedHostKeyDialog, UnknownHostKeyDialog
from views.secret_dialog import SecretDialog

FP = "SHA256:" + "A" * 43


def _buttons(dialog) -> list[str]:
    return sorted(b.text() for b in dialog.findChildren(QPushButton) if b.isVisible())


def test_unknown_key_dialog_offers_three_choices_reject_by_default(qtbot):
    dialog = UnknownHostKeyDialog("db1", 2222, "ssh-ed25519", FP)
    qtbot.addWidget(dialog)
    dialog.show()
    assert _buttons(dialog) == ["Accept and save", "Accept once", "Reject"]
    assert dialog.reject_button.isDefault()
    assert dialog.fingerprint_label.text() == FP
    assert dialog.key_type_label.text() == "ssh-ed25519"
    with qtbot.waitSignal(dialog.decided) as blocker:
        qtbot.keyClick(dialog, Qt.Key.Key_Return)  # Enter never trusts a key
    assert blocker.args == [HostKeyDecision.REJECT]


def test_unknown_key_dialog_escape_rejects_and_accept_once_accepts(qtbot):
    dialog = UnknownHostKeyDialog("db1", 22, "ssh-rsa", FP)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.decided) as blocker:
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert blocker.args == [HostKeyDecision.REJECT]
    other = UnknownHostKeyDialog("db1", 22, "ssh-rsa", FP)
    qtbot.addWidget(other)
    other.show()
    with qtbot.waitSignal(other.decided) as blocker:
        qtbot.mouseClick(other.accept_once_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [HostKeyDecision.ACCEPT_ONCE]


def test_changed_key_dialog_shows_both_fingerprints_and_no_override(qtbot):
    old, new = "SHA256:" + "o" * 43, "SHA256:" + "n" * 43
    dialog = ChangedHostKeyDialog("10.0.0.5", 22, "ssh-ed25519", old, new,
                                  ("/home/u/.ssh/known_hosts", "/cfg/known_hosts"))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.old_fingerprint_label.text() == old
    assert dialog.new_fingerprint_label.text() == new
    assert _buttons(dialog) == ["Close"]
    assert "ssh-keygen -R 10.0.0.5" in dialog.fix_label.text()
    assert "/cfg/known_hosts" in dialog.fix_label.text()


def test_changed_key_dialog_escapes_markup_in_host_names(qtbot):
    dialog = ChangedHostKeyDialog("<b>x</b>", 22, "ssh-ed25519", FP, FP)
    qtbot.addWidget(dialog)
    assert "&lt;b&gt;x&lt;/b&gt;" in dialog.fix_label.text()
    hostile = ChangedHostKeyDialog("$(touch /tmp/x)", 2222, "ssh-ed25519", FP, FP)
    qtbot.addWidget(hostile)
    # The suggested command is safe to paste into a shell.
    assert "ssh-keygen -R '[$(touch /tmp/x)]:2222'" in hostile.fix_label.text()


def test_secret_dialog_remember_is_opt_in_and_needs_a_keyring(qtbot):
    dialog = SecretDialog("h1", "passphrase", "/keys/id_ed25519", keyring_available=True)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.remember_box.isChecked()
    assert dialog.remember_box.isEnabled()
    qtbot.keyClicks(dialog.secret_edit, "s3cret")
    dialog.remember_box.setChecked(True)
    with qtbot.waitSignal(dialog.answered) as blocker:
        dialog.accept()
    assert blocker.args == [("s3cret", True)]
    assert dialog.secret_edit.text() == ""

    none = SecretDialog("h1", "password", "root@h1", keyring_available=False)
    qtbot.addWidget(none)
    assert not none.remember_box.isEnabled() and not none.remember_box.isChecked()
    with qtbot.waitSignal(none.answered) as blocker:
        none.reject()
    assert blocker.args == [None]


def test_host_edit_dialog_validates(qtbot):
    dialog = HostEditDialog(None, ["web"], ["taken"])
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    qtbot.keyClicks(dialog.name_edit, "taken")
    qtbot.keyClicks(dialog.hostname_edit, "10.0.0.9")
    assert not ok.isEnabled() and "already used" in dialog.error_label.text()
    dialog.name_edit.setText("db1")
    dialog.jump_edit.setText("bastion, ops@jump2:2222")
    dialog.group_combo.setCurrentText("web")
    assert ok.isEnabled()
    assert dialog.entry() == HostEntry("db1", "10.0.0.9", 22, None, None, "web",
                                       ("bastion", "ops@jump2:2222"))
    dialog.hostname_edit.setText("$(touch /tmp/x)")
    assert not ok.isEnabled()


def test_host_edit_dialog_keeps_ssh_config_rows_read_only(qtbot):
    entry = HostEntry("cfg", "10.0.0.1", group="", source="ssh_config")
    dialog = HostEditDialog(entry, ["lab"], ["cfg"])
    qtbot.addWidget(dialog)
    assert not dialog.hostname_edit.isEnabled() and not dialog.name_edit.isEnabled()
    assert dialog.group_combo.isEnabled()
    dialog.group_combo.setCurrentText("lab")
    assert dialog.entry().group == "lab" and dialog.entry().source == "ssh_config"


def test_prompter_asks_from_workers_with_one_dialog_per_question(qtbot):
    prompter = GuiPrompter()
    question = HostKeyPrompt("db1", 22, "ssh-ed25519", FP)
    with pytest.raises(RuntimeError):
        prompter.confirm_host_key(question)  # would deadlock the GUI thread
    answers = []
    opened = []
    prompter.prompt_opened.connect(opened.append)
    workers = [threading.Thread(target=lambda: answers.append(prompter.confirm_host_key(question)))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    qtbot.waitUntil(lambda: prompter.pending_count() == 1 and len(opened) == 1)
    qtbot.wait(100)
    assert len(opened) == 1  # both workers wait on the same dialog
    qtbot.mouseClick(opened[0].accept_once_button, Qt.MouseButton.LeftButton)
    for worker in workers:
        worker.join(timeout=5)
    assert answers == [HostKeyDecision.ACCEPT_ONCE] * 2

    blocked = threading.Thread(target=lambda: answers.append(
        prompter.confirm_host_key(HostKeyPrompt("db2", 22, "ssh-rsa", FP))))
    blocked.start()
    qtbot.waitUntil(lambda: prompter.pending_count() == 1)
    prompter.cancel_all()  # shutdown: waiting workers get a refusal
    blocked.join(timeout=5)
    assert not blocked.is_alive() and answers[-1] is HostKeyDecision.REJECT
