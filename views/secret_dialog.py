"""Asks for a password or key passphrase; remembering it is opt-in and keyring-only."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)


class SecretDialog(QDialog):
    """Password/passphrase prompt with an unchecked 'Remember in the system keyring' box."""

    answered = Signal(object)  # (secret, remember) or None when cancelled

    def __init__(self, host: str, kind: str, detail: str, keyring_available: bool, parent=None):
        super().__init__(parent)
        self.setObjectName("secretDialog")
        what = "Passphrase" if kind == "passphrase" else "Password"
        self.setWindowTitle(f"{what} — {host}")
        layout = QVBoxLayout(self)
        self.prompt_label = QLabel()
        self.prompt_label.setTextFormat(Qt.TextFormat.PlainText)
        self.prompt_label.setText(f"{what} for {detail or host}:")
        self.prompt_label.setWordWrap(True)
        layout.addWidget(self.prompt_label)
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        layout.addWidget(self.secret_edit)
        self.remember_box = QCheckBox("Remember in the system keyring")
        self.remember_box.setChecked(False)
        self.remember_box.setEnabled(keyring_available)
        if not keyring_available:
            self.remember_box.setToolTip("No system keyring is available on this machine.")
        layout.addWidget(self.remember_box)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.secret_edit.setFocus()

    def done(self, result: int) -> None:
        """Report the answer once and wipe the field so the secret does not linger."""
        if result == QDialog.DialogCode.Accepted:
            answer = (self.secret_edit.text(), self.remember_box.isChecked())
        else:
            answer = None
        self.secret_edit.clear()
        super().done(result)
        self.answered.emit(answer)
