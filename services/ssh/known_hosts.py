"""Host keys on record: the user's ~/.ssh/known_hosts (read only) and the app's own file.

The check follows OpenSSH: an entry for the host with the same key type and a different
key means the key changed; no entry of that type means it is unknown. Hashed host names
(``|1|salt|hash``), ``[host]:port`` for non-standard ports, wildcards and ``!`` negation
are honoured. ``@revoked`` and ``@cert-authority`` lines are not supported and are ignored.
"""
from __future__ import annotations

import base64
import hashlib
import os
import re
import threading
from pathlib import Path

from services.atomic import atomic_write_text
from services.paths import config_dir

MATCH, UNKNOWN, CHANGED = "match", "unknown", "changed"


def fingerprint_sha256(pkey) -> str:
    """Return the key's fingerprint as `ssh-keygen -lf` prints it: SHA256:base64, unpadded."""
    digest = hashlib.sha256(pkey.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def host_pattern(hostname: str, port: int) -> str:
    """The known_hosts name for host and port: 'host' on 22, '[host]:port' otherwise."""
    return hostname if port == 22 else f"[{hostname}]:{port}"


def _name_matches(name: str, pattern: str) -> bool:
    if pattern.startswith("|1|"):
        from paramiko.hostkeys import HostKeys

        # A damaged hash or salt (paramiko asserts on it) is a line that names no host.
        try:
            return HostKeys.hash_host(name, pattern.split("|")[2]) == pattern
        except (AssertionError, ValueError, IndexError):
            return False
    # OpenSSH patterns know only * and ?; brackets, as in "[host]:port", are literal.
    regex = re.escape(pattern.lower()).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, name.lower()) is not None


def _entry_matches(name: str, hostnames: list[str]) -> bool:
    positive = False
    for pattern in hostnames:
        if pattern.startswith("!"):
            if _name_matches(name, pattern[1:]):
                return False
        elif _name_matches(name, pattern):
            positive = True
    return positive


def _read_entries(path: Path) -> list:
    from paramiko.hostkeys import HostKeyEntry
    from paramiko.ssh_exception import SSHException

    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, NotADirectoryError):
        return []
    entries = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith(("#", "@")):
            continue
        try:
            entry = HostKeyEntry.from_line(line, lineno)
        except (SSHException, ValueError, TypeError):
            continue  # a key type paramiko cannot load, or a damaged line
        if entry is not None:
            entries.append(entry)
    return entries


class HostKeyStore:
    """Looks host keys up in both known_hosts files and records accepted ones in the app's."""

    def __init__(self, user_file: Path | None = None, app_file: Path | None = None):
        self.user_file = Path(user_file) if user_file else Path(os.path.expanduser("~/.ssh/known_hosts"))
        self.app_file = Path(app_file) if app_file else config_dir() / "known_hosts"
        self._lock = threading.Lock()

    def _entries_for(self, hostname: str, port: int) -> list:
        name = host_pattern(hostname, port)
        found = []
        for path in (self.user_file, self.app_file):
            found.extend(e for e in _read_entries(path) if _entry_matches(name, e.hostnames))
        return found

    def known_key_types(self, hostname: str, port: int) -> list[str]:
        """Key types on record for the host, so the client can ask for one it can verify."""
        types: list[str] = []
        for entry in self._entries_for(hostname, port):
            if entry.key.get_name() not in types:
                types.append(entry.key.get_name())
        return types

    def check(self, hostname: str, port: int, pkey) -> tuple[str, str | None]:
        """Return ("match"|"unknown"|"changed", fingerprint of the key on record or None)."""
        same_type = [e for e in self._entries_for(hostname, port) if e.key.get_name() == pkey.get_name()]
        if any(e.key.asbytes() == pkey.asbytes() for e in same_type):
            return MATCH, None
        if same_type:
            return CHANGED, fingerprint_sha256(same_type[0].key)
        return UNKNOWN, None

    def save(self, hostname: str, port: int, pkey) -> None:
        """Append the key to the app's known_hosts, atomically (a kill never truncates it)."""
        line = f"{host_pattern(hostname, port)} {pkey.get_name()} {pkey.get_base64()}\n"
        with self._lock:
            try:
                old = self.app_file.read_text(encoding="utf-8")
            except FileNotFoundError:
                old = ""
            if old and not old.endswith("\n"):
                old += "\n"
            atomic_write_text(self.app_file, old + line)
