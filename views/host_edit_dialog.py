"""Add or edit one host of the inventory, validating as the user types."""
from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from services.hosts_inventory import HostEntry, validate_host


class HostEditDialog(QDialog):
    """Form for a host; rows from ~/.ssh/config only allow choosing their group."""

    def __init__(
        self,
        entry: HostEntry | None = None,
        groups: list[str] = (),
        taken_names: list[str] = (),
        parent=None,
    ):
        super().__init__(parent)
        self.setObjectName("hostEditDialog")
        self._original = entry
        self._taken = [n for n in taken_names if entry is None or n != entry.name]
        read_only = entry is not None and entry.read_only
        self.setWindowTitle("Add host" if entry is None else f"Edit host — {entry.name}")

        self.name_edit = QLineEdit()
        self.hostname_edit = QLineEdit()
        self.port_spin = QSpinBox()
        self.port_spin.setRange(1, 65535)
        self.port_spin.setValue(22)
        self.user_edit = QLineEdit()
        self.user_edit.setPlaceholderText("as in ~/.ssh/config, or your login name")
        self.identity_edit = QLineEdit()
        self.identity_edit.setPlaceholderText("ssh-agent and default keys")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_identity)
        identity_row = QWidget()
        row = QHBoxLayout(identity_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.identity_edit)
        row.addWidget(browse)
        self.group_combo = QComboBox()
        self.group_combo.setEditable(True)
        self.group_combo.addItems(["", *groups])
        self.jump_edit = QLineEdit()
        self.jump_edit.setPlaceholderText("bastion, user@jump2:2222")

        form = QFormLayout()
        form.addRow("Name:", self.name_edit)
        form.addRow("Host name:", self.hostname_edit)
        form.addRow("Port:", self.port_spin)
        form.addRow("User:", self.user_edit)
        form.addRow("Identity file:", identity_row)
        form.addRow("Group:", self.group_combo)
        form.addRow("ProxyJump:", self.jump_edit)
        self.error_label = QLabel()
        self.error_label.setObjectName("validationErrors")
        self.error_label.setStyleSheet("color: #c0392b;")
        self.error_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if read_only:
            note = QLabel("This host comes from ~/.ssh/config: edit it there. Here you can "
                          "put it in a group.")
            note.setWordWrap(True)
            layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        if entry is not None:
            self.name_edit.setText(entry.name)
            self.hostname_edit.setText(entry.hostname)
            self.port_spin.setValue(entry.port)
            self.user_edit.setText(entry.user or "")
            self.identity_edit.setText(entry.identity_file or "")
            self.group_combo.setCurrentText(entry.group)
            self.jump_edit.setText(", ".join(entry.proxy_jump))
        for widget in (self.name_edit, self.hostname_edit, self.user_edit,
                       self.identity_edit, self.jump_edit, browse):
            widget.setEnabled(not read_only)
        self.port_spin.setEnabled(not read_only)
        for edit in (self.name_edit, self.hostname_edit, self.user_edit, self.jump_edit):
            edit.textChanged.connect(self._validate)
        self.port_spin.valueChanged.connect(self._validate)
        self.group_combo.currentTextChanged.connect(self._validate)
        self._validate()

    def entry(self) -> HostEntry:
        """The host as currently typed."""
        jumps = tuple(h.strip() for h in self.jump_edit.text().split(",") if h.strip())
        source = self._original.source if self._original else "app"
        return HostEntry(
            name=self.name_edit.text().strip(),
            hostname=self.hostname_edit.text().strip(),
            port=self.port_spin.value(),
            user=self.user_edit.text().strip() or None,
            identity_file=self.identity_edit.text().strip() or None,
            group=self.group_combo.currentText().strip(),
            proxy_jump=jumps,
            source=source,
        )

    def problems(self) -> dict[str, str]:
        """Validation problems of the current input, by field."""
        return validate_host(self.entry(), self._taken)

    def _validate(self) -> None:
        problems = self.problems()
        self.error_label.setText("\n".join(f"{k}: {v}" for k, v in problems.items()))
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(not problems)

    def _browse_identity(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Identity file", self.identity_edit.text())
        if path:
            self.identity_edit.setText(path)

    def accept(self) -> None:
        """Close only when the input is valid."""
        if not self.problems():
            super().accept()
