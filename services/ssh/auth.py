"""Client authentication in OpenSSH's order: agent keys, identity files, then password.

Runs on a connection's worker thread after the host key was verified, so no secret is
ever offered to a host that has not proven its identity. Secrets are never logged.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from services.ssh.errors import AuthFailed, Unreachable
from services.ssh.prompts import Prompter, SecretPrompt
from services.ssh.targets import SshTarget

log = logging.getLogger(__name__)

DEFAULT_IDENTITIES = ("id_ed25519", "id_ecdsa", "id_rsa")
MAX_TRIES = 3


def identity_paths(target: SshTarget) -> list[str]:
    """Configured identity files, else OpenSSH's default ones that exist in ~/.ssh."""
    if target.identity_files:
        return list(target.identity_files)
    ssh_dir = Path(os.path.expanduser("~")) / ".ssh"
    return [str(ssh_dir / name) for name in DEFAULT_IDENTITIES if (ssh_dir / name).exists()]


class Authenticator:
    """Authenticates one transport for one target, asking the prompter when needed."""

    def __init__(self, transport, target: SshTarget, prompter: Prompter, secrets=None):
        self.transport = transport
        self.target = target
        self.prompter = prompter
        self.secrets = secrets
        self.user = target.login
        self.tried: list[str] = []

    def run(self) -> None:
        """Authenticate or raise AuthFailed (Unreachable if the link drops meanwhile)."""
        import paramiko

        try:
            allowed = self._probe_methods()
            if allowed is None:
                return
            if "publickey" in allowed:
                if not self.target.identities_only and self._agent():
                    return
                if self._identity_files():
                    return
            if "password" in allowed and self._password():
                return
        except (EOFError, OSError, paramiko.SSHException) as exc:
            if isinstance(exc, paramiko.AuthenticationException):
                raise AuthFailed(f"{self.target.name}: authentication failed: {exc}") from exc
            raise Unreachable(f"{self.target.name}: connection lost during authentication: {exc}") from exc
        tried = ", ".join(self.tried) or f"none of the offered methods ({', '.join(sorted(allowed))})"
        raise AuthFailed(f"{self.target.name}: authentication failed for {self.user} (tried {tried})")

    def _probe_methods(self) -> set[str] | None:
        import paramiko

        try:
            self.transport.auth_none(self.user)
        except paramiko.BadAuthenticationType as exc:
            return set(exc.allowed_types)
        return None  # the server let us in without credentials

    def _try(self, method, *args) -> bool:
        import paramiko

        try:
            return not method(self.user, *args)
        except paramiko.BadAuthenticationType:
            return False
        except paramiko.AuthenticationException:
            return False

    def _agent(self) -> bool:
        import paramiko

        agent = paramiko.Agent()
        try:
            keys = agent.get_keys()
            if keys:
                self.tried.append("agent")
            return any(self._try(self.transport.auth_publickey, key) for key in keys)
        finally:
            agent.close()

    def _identity_files(self) -> bool:
        for path in identity_paths(self.target):
            key = self._load_key(path)
            if key is None:
                continue
            self.tried.append(f"key {path}")
            if self._try(self.transport.auth_publickey, key):
                return True
        return False

    def _load_key(self, path: str):
        import paramiko

        if not os.path.isfile(path):
            return None
        try:
            return paramiko.PKey.from_path(path)
        except (paramiko.PasswordRequiredException, TypeError):
            pass  # encrypted: cryptography raises TypeError for a missing passphrase
        except (paramiko.SSHException, ValueError, OSError) as exc:
            log.info("%s: skipping identity %s: %s", self.target.name, path, exc)
            return None
        # A passphrase belongs to one key file: remembered per file, so trying it on
        # another encrypted identity never makes it forgotten.
        kind = f"passphrase {path}"
        remembered = self._remembered(kind)
        if remembered is not None:
            key = self._decrypt(path, remembered)
            if key is not None:
                return key
            self._forget(kind)
        for _ in range(MAX_TRIES):
            answer = self.prompter.ask_secret(SecretPrompt(self.target.name, "passphrase", path))
            if answer is None:
                return None
            key = self._decrypt(path, answer.secret)
            if key is not None:
                if answer.remember:
                    self._remember(kind, answer.secret)
                return key
        return None

    @staticmethod
    def _decrypt(path: str, passphrase: str):
        import paramiko

        try:
            return paramiko.PKey.from_path(path, passphrase=passphrase.encode())
        except (paramiko.SSHException, ValueError, TypeError):
            return None

    def _password(self) -> bool:
        remembered = self._remembered("password")
        if remembered is not None:
            self.tried.append("remembered password")
            if self._try(self.transport.auth_password, remembered):
                return True
            self._forget("password")
        for _ in range(MAX_TRIES):
            detail = f"{self.user}@{self.target.hostname}"
            answer = self.prompter.ask_secret(SecretPrompt(self.target.name, "password", detail))
            if answer is None:
                return False
            if "password" not in self.tried:
                self.tried.append("password")
            if self._try(self.transport.auth_password, answer.secret):
                if answer.remember:
                    self._remember("password", answer.secret)
                return True
        return False

    def _remembered(self, kind: str) -> str | None:
        if self.secrets is None:
            return None
        return self.secrets.get(kind, self.user, self.target.hostname, self.target.port)

    def _remember(self, kind: str, secret: str) -> None:
        if self.secrets is not None:
            self.secrets.set(kind, self.user, self.target.hostname, self.target.port, secret)

    def _forget(self, kind: str) -> None:
        if self.secrets is not None:
            self.secrets.forget(kind, self.user, self.target.hostname, self.target.port)
