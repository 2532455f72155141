"""Questions a connection may need answered: trust a host key, or give a secret.

A Prompter is called from a connection's worker thread and may block until the user
answers; the GUI implements it with dialogs, the CLI with BatchPrompter.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal, Protocol


@dataclass(frozen=True)
class HostKeyPrompt:
    """An unknown host key waiting for a decision."""

    host: str
    port: int
    key_type: str
    fingerprint: str


class HostKeyDecision(enum.Enum):
    """What to do with an unknown host key (a changed key is never asked about)."""

    ACCEPT_ONCE = "accept-once"
    ACCEPT_AND_SAVE = "accept-and-save"
    REJECT = "reject"


@dataclass(frozen=True)
class SecretPrompt:
    """A password or key passphrase the connection needs; detail names the key file."""

    host: str
    kind: Literal["password", "passphrase"]
    detail: str = ""


@dataclass(frozen=True)
class SecretAnswer:
    """The user's secret, and whether to remember it in the OS keyring."""

    secret: str
    remember: bool = False

    def __repr__(self) -> str:
        return f"SecretAnswer(secret=<hidden>, remember={self.remember})"


class Prompter(Protocol):
    """Answers a connection's questions; called from a worker thread, may block."""

    def confirm_host_key(self, prompt: HostKeyPrompt) -> HostKeyDecision:
        """Decide about an unknown host key."""

    def ask_secret(self, prompt: SecretPrompt) -> SecretAnswer | None:
        """Return the secret, or None if the user cancelled."""


class BatchPrompter:
    """Non-interactive answers for the CLI: OpenSSH BatchMode, optionally with accept-new."""

    def __init__(self, accept_new: bool = False):
        self.accept_new = accept_new

    def confirm_host_key(self, prompt: HostKeyPrompt) -> HostKeyDecision:
        """Save an unknown key with accept_new (OpenSSH accept-new), else reject it."""
        return HostKeyDecision.ACCEPT_AND_SAVE if self.accept_new else HostKeyDecision.REJECT

    def ask_secret(self, prompt: SecretPrompt) -> SecretAnswer | None:
        """Never ask: batch mode has no one to answer."""
        return None
