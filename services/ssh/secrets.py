"""Remembered passwords and passphrases, kept only in the OS keyring.

There is deliberately no fallback file: when no keyring backend works, remembering is
simply unavailable. Secrets are never logged; errors name only the key.
"""
from __future__ import annotations

import logging

SERVICE = "cluster-lab"
log = logging.getLogger(__name__)


def secret_key(kind: str, user: str, host: str, port: int) -> str:
    """The keyring entry name for one secret, e.g. 'password:root@db1:22'.

    kind is "password" or "passphrase <key file>".
    """
    return f"{kind}:{user}@{host}:{port}"


class KeyringSecrets:
    """get/set/forget secrets in the OS keyring; every call is a no-op without a backend."""

    def _keyring(self):
        try:
            import keyring
            from keyring.backends import fail

            if isinstance(keyring.get_keyring(), fail.Keyring):
                return None
            return keyring
        except Exception:  # noqa: BLE001 - a broken backend must not break connecting
            log.info("OS keyring unavailable; secrets will not be remembered")
            return None

    def available(self) -> bool:
        """True if a real keyring backend is there to remember secrets."""
        return self._keyring() is not None

    def get(self, kind: str, user: str, host: str, port: int) -> str | None:
        """The remembered secret, or None."""
        keyring = self._keyring()
        if keyring is None:
            return None
        try:
            return keyring.get_password(SERVICE, secret_key(kind, user, host, port))
        except Exception:  # noqa: BLE001
            log.warning("keyring read failed for %s", secret_key(kind, user, host, port))
            return None

    def set(self, kind: str, user: str, host: str, port: int, secret: str) -> bool:
        """Remember a secret; False if no keyring could store it."""
        keyring = self._keyring()
        if keyring is None:
            return False
        try:
            keyring.set_password(SERVICE, secret_key(kind, user, host, port), secret)
            return True
        except Exception:  # noqa: BLE001
            log.warning("keyring write failed for %s", secret_key(kind, user, host, port))
            return False

    def forget(self, kind: str, user: str, host: str, port: int) -> None:
        """Drop a remembered secret (after it stopped working, or on user request)."""
        keyring = self._keyring()
        if keyring is None:
            return
        try:
            keyring.delete_password(SERVICE, secret_key(kind, user, host, port))
        except Exception:  # noqa: BLE001 - nothing stored is fine
            pass
