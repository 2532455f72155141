"""Host key and secret prompts asked from SSH worker threads, answered in dialogs.

The SSH pool calls the Prompter from a worker thread and may block there. The GUI
thread must never wait, so a prompt travels as a queued signal to a GUI-thread slot
that opens the dialog with open() (non-blocking) and returns at once; the worker waits
on a threading.Event that the dialog's answer sets.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtWidgets import QApplication


@dataclass(eq=False)
class PendingPrompt:
    """One question waiting for the user; workers asking the same question share it."""

    kind: str  # "host_key" or "secret"
    request: Any
    keyring_available: bool = False
    answered: threading.Event = field(default_factory=threading.Event)
    answer: Any = field(default=None, repr=False)  # may hold a secret


class GuiPrompter(QObject):
    """A Prompter (services.ssh.prompts) whose questions become dialogs on the GUI thread."""

    prompt_opened = Signal(object)  # the dialog just opened (tests, window focus)
    _requested = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._lock = threading.Lock()
        self._pending: dict[tuple, PendingPrompt] = {}
        # Refused questions are not asked again until the user connects explicitly;
        # otherwise every reconnect attempt would reopen the dialog.
        self._declined_keys: set[tuple[str, int]] = set()
        self._declined_secrets: set[str] = set()
        self._closed = False
        self._warned_changes: set[tuple] = set()
        self._requested.connect(self._open_dialog)

    # -- called from worker threads ----------------------------------------------
    def confirm_host_key(self, prompt):
        """Ask whether to trust an unknown host key; blocks the calling worker thread."""
        from services.ssh.prompts import HostKeyDecision

        if (prompt.host, prompt.port) in self._declined_keys:
            return HostKeyDecision.REJECT
        key = ("host_key", prompt.host, prompt.port, prompt.fingerprint)
        answer = self._ask(key, PendingPrompt("host_key", prompt))
        return HostKeyDecision.REJECT if answer is None else answer

    def ask_secret(self, prompt):
        """Ask for a password or passphrase; None when the user cancels."""
        from services.ssh.prompts import SecretAnswer
        from services.ssh.secrets import KeyringSecrets

        if prompt.host in self._declined_secrets:
            return None
        key = ("secret", prompt.host, prompt.kind, prompt.detail)
        answer = self._ask(key, PendingPrompt("secret", prompt, KeyringSecrets().available()))
        if answer is None:
            return None
        secret, remember = answer
        return SecretAnswer(secret, remember)

    def _ask(self, key: tuple, pending: PendingPrompt):
        if QThread.currentThread() is self.thread():
            raise RuntimeError("SSH prompts must be asked from a worker thread")
        with self._lock:
            if self._closed:
                return None
            existing = self._pending.get(key)
            if existing is None:
                self._pending[key] = pending
            else:
                pending = existing
        if existing is None:
            self._requested.emit(pending)
        pending.answered.wait()
        return pending.answer

    # -- GUI thread ------------------------------------------------------------
    def allow_prompts_again(self, names) -> None:
        """Forget earlier refusals for these host names (the user asked to connect)."""
        names = set(names)
        self._declined_keys = {k for k in self._declined_keys if k[0] not in names}
        self._declined_secrets -= names

    def pending_count(self) -> int:
        """How many questions wait for an answer."""
        with self._lock:
            return len(self._pending)

    def cancel_all(self) -> None:
        """Answer every waiting question with a refusal and refuse new ones (shutdown)."""
        with self._lock:
            self._closed = True
            pending, self._pending = list(self._pending.values()), {}
        for item in pending:
            item.answer = None
            item.answered.set()

    def show_changed_key(self, hostname: str, port: int, error, known_hosts_files=()) -> None:
        """Warn once per (host, old, new) that a host key changed; the host stays refused."""
        key = (error.host, error.old_fingerprint, error.new_fingerprint)
        if key in self._warned_changes:
            return
        self._warned_changes.add(key)
        from views.host_key_dialogs import ChangedHostKeyDialog

        dialog = ChangedHostKeyDialog(
            hostname, port, error.key_type, error.old_fingerprint, error.new_fingerprint,
            tuple(known_hosts_files), QApplication.activeWindow(),
        )
        self._show(dialog)

    def _open_dialog(self, pending: PendingPrompt) -> None:
        request = pending.request
        if pending.kind == "host_key":
            from views.host_key_dialogs import UnknownHostKeyDialog

            dialog = UnknownHostKeyDialog(
                request.host, request.port, request.key_type, request.fingerprint,
                QApplication.activeWindow(),
            )
            dialog.decided.connect(lambda decision: self._answer(pending, decision))
        else:
            from views.secret_dialog import SecretDialog

            dialog = SecretDialog(
                request.host, request.kind, request.detail, pending.keyring_available,
                QApplication.activeWindow(),
            )
            dialog.answered.connect(lambda answer: self._answer(pending, answer))
        self._show(dialog)

    def _show(self, dialog) -> None:
        from PySide6.QtCore import Qt

        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()  # window-modal and non-blocking: this slot returns at once
        self.prompt_opened.emit(dialog)

    def _answer(self, pending: PendingPrompt, answer) -> None:
        from services.ssh.prompts import HostKeyDecision

        request = pending.request
        if pending.kind == "host_key" and answer is HostKeyDecision.REJECT:
            self._declined_keys.add((request.host, request.port))
        elif pending.kind == "secret" and answer is None:
            self._declined_secrets.add(request.host)
        with self._lock:
            for key, item in list(self._pending.items()):
                if item is pending:
                    del self._pending[key]
        pending.answer = answer
        pending.answered.set()
