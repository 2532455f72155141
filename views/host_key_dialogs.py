"""Host key dialogs with OpenSSH StrictHostKeyChecking=ask semantics.

An unknown key offers exactly three choices, Reject being the default so that Enter
never trusts a key by accident. A changed key is refused outright: the warning shows
both fingerprints and explains how to fix known_hosts, and it has no override button.
"""
from __future__ import annotations

import html
import shlex

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
)

from services.ssh.prompts import HostKeyDecision


def _mono(text: str) -> QLabel:
    label = QLabel(text)
    label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _host_text(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


class UnknownHostKeyDialog(QDialog):
    """Asks whether to trust a host key seen for the first time."""

    decided = Signal(object)  # HostKeyDecision

    def __init__(self, host: str, port: int, key_type: str, fingerprint: str, parent=None):
        super().__init__(parent)
        self.setObjectName("unknownHostKeyDialog")
        self.setWindowTitle(f"Unknown host key — {host}")
        self.decision = HostKeyDecision.REJECT
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"The authenticity of host <b>{_escape(_host_text(host, port))}</b> can't be "
            "established. Compare the fingerprint below with the one the host's "
            "administrator gave you (<tt>ssh-keygen -lf</tt> on the host key) before you "
            "trust it."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.key_type_label = _mono(key_type)
        self.fingerprint_label = _mono(fingerprint)
        self.fingerprint_label.setObjectName("fingerprint")
        form.addRow("Key type:", self.key_type_label)
        form.addRow("Fingerprint:", self.fingerprint_label)
        layout.addLayout(form)

        buttons = QDialogButtonBox()
        self.accept_once_button = QPushButton("Accept once")
        self.accept_save_button = QPushButton("Accept and save")
        self.reject_button = QPushButton("Reject")
        buttons.addButton(self.accept_once_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.accept_save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.reject_button, QDialogButtonBox.ButtonRole.RejectRole)
        for button in (self.accept_once_button, self.accept_save_button):
            button.setAutoDefault(False)
            button.setDefault(False)
        self.reject_button.setAutoDefault(True)
        self.reject_button.setDefault(True)
        self.accept_once_button.clicked.connect(lambda: self._finish(HostKeyDecision.ACCEPT_ONCE))
        self.accept_save_button.clicked.connect(
            lambda: self._finish(HostKeyDecision.ACCEPT_AND_SAVE)
        )
        self.reject_button.clicked.connect(lambda: self._finish(HostKeyDecision.REJECT))
        layout.addWidget(buttons)
        self.reject_button.setFocus()

    def _finish(self, decision: HostKeyDecision) -> None:
        self.decision = decision
        if decision is HostKeyDecision.REJECT:
            super().reject()
        else:
            self.accept()

    def reject(self) -> None:
        """Escape or closing the window rejects the key."""
        self.decision = HostKeyDecision.REJECT
        super().reject()

    def done(self, result: int) -> None:
        """Report the decision exactly once, whichever way the dialog closed."""
        super().done(result)
        self.decided.emit(self.decision)


class ChangedHostKeyDialog(QDialog):
    """Refuses a host whose key changed; shows both fingerprints and how to fix it."""

    def __init__(
        self,
        host: str,
        port: int,
        key_type: str,
        old_fingerprint: str,
        new_fingerprint: str,
        known_hosts_files: tuple[str, ...] = (),
        parent=None,
    ):
        super().__init__(parent)
        self.setObjectName("changedHostKeyDialog")
        self.setWindowTitle(f"Host key changed — {host}")
        layout = QVBoxLayout(self)
        headline = QLabel(
            "<b>WARNING: the host key of "
            f"{_escape(_host_text(host, port))} has changed.</b><br>"
            "Someone could be intercepting the connection, or the host was reinstalled. "
            "The connection was refused."
        )
        headline.setWordWrap(True)
        layout.addWidget(headline)
        form = QFormLayout()
        self.old_fingerprint_label = _mono(old_fingerprint)
        self.new_fingerprint_label = _mono(new_fingerprint)
        form.addRow("Key type:", _mono(key_type))
        form.addRow("Known fingerprint:", self.old_fingerprint_label)
        form.addRow("Offered fingerprint:", self.new_fingerprint_label)
        layout.addLayout(form)
        files = "".join(f"<br><tt>{_escape(f)}</tt>" for f in known_hosts_files)
        self.fix_label = QLabel(
            "If you know why the key changed, remove the old key and connect again: run "
            f"<tt>ssh-keygen -R {_escape(shlex.quote(_host_text(host, port)))}</tt>, or delete the line "
            f"for this host from the known_hosts file that holds it:{files}"
        )
        self.fix_label.setWordWrap(True)
        self.fix_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.fix_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def _escape(text: str) -> str:
    """Host names come from config files and hosts: show them as text, never as markup."""
    return html.escape(text, quote=False)
