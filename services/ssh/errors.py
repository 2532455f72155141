"""Why an SSH host cannot be read; each message is one line, fit for the CLI's exit 3."""
from __future__ import annotations

from services.errors import TargetUnavailable


class HostKeyUnknown(TargetUnavailable):
    """The host offered a key that no known_hosts file lists and it was not accepted."""

    def __init__(self, host: str, key_type: str, fingerprint: str):
        super().__init__(f"{host}: host key unknown ({key_type} {fingerprint}); "
                         "not accepted (use --accept-new to trust it on first use)")
        self.host = host
        self.key_type = key_type
        self.fingerprint = fingerprint


class HostKeyChanged(TargetUnavailable):
    """The host offered a key different from the one on record: refused, never overridden."""

    def __init__(self, host: str, key_type: str, old_fingerprint: str, new_fingerprint: str):
        super().__init__(f"{host}: HOST KEY CHANGED, refusing to connect "
                         f"(known {old_fingerprint}, offered {key_type} {new_fingerprint})")
        self.host = host
        self.key_type = key_type
        self.old_fingerprint = old_fingerprint
        self.new_fingerprint = new_fingerprint


class AuthFailed(TargetUnavailable):
    """Every authentication method was tried and the host accepted none."""


class Unreachable(TargetUnavailable):
    """The host could not be reached, refused the connection, or stopped answering."""
