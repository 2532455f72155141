"""Small real collaborators for the SSH tests: a scripted Prompter and waiting helpers."""
from __future__ import annotations

import threading
import time

from services.ssh.prompts import HostKeyDecision, SecretAnswer


class ScriptedPrompter:
    """A Prompter that answers from scripts and records every question it was asked."""

    def __init__(self, host_key=HostKeyDecision.REJECT, secrets=()):
        self.host_key = host_key
        self.secrets = list(secrets)
        self.host_key_prompts = []
        self.secret_prompts = []
        self._lock = threading.Lock()

    def confirm_host_key(self, prompt):
        """Record the prompt and give the scripted decision."""
        with self._lock:
            self.host_key_prompts.append(prompt)
        return self.host_key

    def ask_secret(self, prompt):
        """Record the prompt and give the next scripted secret (None when they run out)."""
        with self._lock:
            self.secret_prompts.append(prompt)
            if not self.secrets:
                return None
            secret = self.secrets.pop(0)
        return secret if isinstance(secret, SecretAnswer) else SecretAnswer(secret)


class NeverPrompter:
    """A Prompter for connections that must not need to ask anything."""

    def confirm_host_key(self, prompt):
        """Fail loudly: the key should have been known."""
        raise AssertionError(f"unexpected host key prompt: {prompt}")

    def ask_secret(self, prompt):
        """Fail loudly: no secret should have been needed."""
        raise AssertionError(f"unexpected secret prompt: {prompt.kind} for {prompt.host}")


def wait_for(predicate, timeout: float, step: float = 0.05) -> bool:
    """Poll predicate until it is true or timeout passes; return its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


def accepted_lines(host) -> list[str]:
    """sshd's log lines for successful logins ('Accepted publickey/password for ...')."""
    lines = host.log_path.read_text(errors="replace").splitlines()
    return [l for l in lines if "Accepted publickey for" in l or "Accepted password for" in l]


def login_attempts_logged(host, start: int, timeout: float = 5.0) -> list[str]:
    """Signs of a login attempt in the host's sshd log after byte start (empty: none).

    Read once sshd has logged the connection's end. sshd names the user as soon as any
    method, even "none", is tried, so an empty list means no credential was offered.
    """
    ended = ("Connection closed", "Connection reset", "Disconnected from", "Received disconnect")
    offered = ("authenticating user", "publickey", "password", "invalid user", "accepted")

    def since() -> str:
        return host.log_path.read_bytes()[start:].decode(errors="replace")

    if not wait_for(lambda: any(mark in since() for mark in ended), timeout):
        raise AssertionError(f"sshd logged no end of the connection:\n{since()}")
    return [word for word in offered if word in since().lower()]
