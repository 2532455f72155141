"""The app's own host inventory: hosts the user added, edited or grouped, plus ~/.ssh/config.

Stored as versioned JSON in config_dir()/hosts.json and always written atomically, so a
kill during a save leaves the old file or the new one. A file that cannot be understood
is moved aside to hosts.json.corrupt-<timestamp> and reported; it is never overwritten.

Hosts read from ~/.ssh/config are read-only rows. The user can "adopt" one into a group;
only the group is stored, the connection details keep coming from ssh_config.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable

from services import paths
from services.atomic import atomic_write_text
from services.errors import ParseError, ServiceError

SCHEMA_VERSION = 1
FILE_NAME = "hosts.json"
SOURCE_APP = "app"
SOURCE_SSH_CONFIG = "ssh_config"

_NAME_RE = re.compile(r"^[A-Za-z0-9._@-]+$")
_HOSTNAME_RE = re.compile(r"^[A-Za-z0-9._:%\[\]-]+$")


class InventoryCorrupt(ServiceError):
    """hosts.json could not be read; it was moved aside to `moved_to`."""

    def __init__(self, path: Path, moved_to: Path, reason: str):
        super().__init__(
            f"The host inventory {path} could not be read ({reason}). "
            f"It was kept as {moved_to}; the app started with an empty inventory."
        )
        self.path = path
        self.moved_to = moved_to
        self.reason = reason


class InvalidHost(ServiceError):
    """A host entry failed validation; `problems` lists what is wrong, field by field."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class HostEntry:
    """One host in the inventory, as the user sees it."""

    name: str
    hostname: str
    port: int = 22
    user: str | None = None
    identity_file: str | None = None
    group: str = ""
    proxy_jump: tuple[str, ...] = ()
    source: str = SOURCE_APP

    @property
    def read_only(self) -> bool:
        """True for rows that come from ~/.ssh/config (edit them there)."""
        return self.source == SOURCE_SSH_CONFIG

    @property
    def address(self) -> str:
        """user@hostname:port as a human would type it."""
        user = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port != 22 else ""
        return f"{user}{self.hostname}{port}"


def validate_host(entry: HostEntry, taken_names: Iterable[str] = ()) -> dict[str, str]:
    """Return {field: problem} for an entry the user typed; empty when it is valid."""
    problems: dict[str, str] = {}
    if not entry.name:
        problems["name"] = "a name is required"
    elif not _NAME_RE.match(entry.name):
        problems["name"] = "use letters, digits, '.', '_', '-' or '@' only"
    elif entry.name == "local" or entry.name in set(taken_names):
        problems["name"] = f"the name {entry.name!r} is already used"
    if not entry.hostname:
        problems["hostname"] = "a host name or address is required"
    elif not _HOSTNAME_RE.match(entry.hostname):
        problems["hostname"] = "not a valid host name or address"
    if not isinstance(entry.port, int) or not 1 <= entry.port <= 65535:
        problems["port"] = "the port must be between 1 and 65535"
    if entry.user is not None and not _NAME_RE.match(entry.user):
        problems["user"] = "not a valid user name"
    for hop in entry.proxy_jump:
        if not re.match(r"^[A-Za-z0-9._@:%\[\]-]+$", hop):
            problems["proxy_jump"] = f"not a valid jump host: {hop!r}"
    if len(entry.group) > 64:
        problems["group"] = "group names are at most 64 characters"
    return problems


def _entry_to_json(entry: HostEntry) -> dict:
    return {
        "name": entry.name,
        "hostname": entry.hostname,
        "port": entry.port,
        "user": entry.user,
        "identity_file": entry.identity_file,
        "group": entry.group,
        "proxy_jump": list(entry.proxy_jump),
    }


def _entry_from_json(raw: object) -> HostEntry:
    if not isinstance(raw, dict):
        raise ValueError("a host is not an object")
    port = raw.get("port", 22)
    if not isinstance(port, int) or isinstance(port, bool):
        raise ValueError(f"port of {raw.get('name')!r} is not a number")
    jump = raw.get("proxy_jump") or []
    if not isinstance(jump, list) or not all(isinstance(h, str) for h in jump):
        raise ValueError("proxy_jump is not a list of names")
    entry = HostEntry(
        name=str(raw["name"]),
        hostname=str(raw["hostname"]),
        port=port,
        user=raw.get("user") if isinstance(raw.get("user"), str) else None,
        identity_file=raw.get("identity_file") if isinstance(raw.get("identity_file"), str) else None,
        group=str(raw.get("group") or ""),
        proxy_jump=tuple(jump),
    )
    problems = validate_host(entry)
    if problems:
        raise ValueError(f"invalid host {entry.name!r}: {InvalidHost(problems)}")
    return entry


def parse_inventory(text: str) -> tuple[list[HostEntry], dict[str, str]]:
    """Parse hosts.json text into (app hosts, adopted ssh_config groups); ValueError if bad."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ValueError("the top level is not an object")
    version = doc.get("version")
    if version != SCHEMA_VERSION:
        raise ValueError(f"unsupported schema version {version!r}")
    hosts_raw = doc.get("hosts", [])
    adopted = doc.get("adopted", {})
    if not isinstance(hosts_raw, list) or not isinstance(adopted, dict):
        raise ValueError("'hosts' must be a list and 'adopted' an object")
    try:
        hosts = [_entry_from_json(raw) for raw in hosts_raw]
    except KeyError as exc:
        raise ValueError(f"a host lacks {exc}") from None
    names = [h.name for h in hosts]
    if len(set(names)) != len(names):
        raise ValueError("two hosts have the same name")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in adopted.items()):
        raise ValueError("'adopted' must map names to group names")
    return hosts, dict(adopted)


def dump_inventory(hosts: Iterable[HostEntry], adopted: dict[str, str]) -> str:
    """Serialise app hosts and adopted groups as the versioned JSON document."""
    doc = {
        "version": SCHEMA_VERSION,
        "hosts": [_entry_to_json(h) for h in hosts],
        "adopted": dict(sorted(adopted.items())),
    }
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


class HostsInventory:
    """App hosts from hosts.json merged with read-only hosts from ~/.ssh/config."""

    def __init__(self, path: Path | None = None, ssh_config_path: Path | None = None):
        self.path = Path(path) if path else paths.config_dir() / FILE_NAME
        self.ssh_config_path = (
            Path(ssh_config_path) if ssh_config_path else Path.home() / ".ssh" / "config"
        )
        self._app: dict[str, HostEntry] = {}
        self._adopted: dict[str, str] = {}
        self._config_targets: dict = {}  # alias -> SshTarget from ssh_config

    # -- loading -------------------------------------------------------------
    def load(self) -> None:
        """Read hosts.json; a corrupt file is moved aside and InventoryCorrupt raised."""
        self._app, self._adopted = {}, {}
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError) as exc:
            raise self._move_aside(f"unreadable: {exc}") from None
        try:
            hosts, adopted = parse_inventory(text)
        except ValueError as exc:
            raise self._move_aside(str(exc)) from None
        self._app = {h.name: h for h in hosts}
        self._adopted = adopted

    def _move_aside(self, reason: str) -> InventoryCorrupt:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        moved = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while moved.exists():
            moved = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
            n += 1
        self.path.rename(moved)
        return InventoryCorrupt(self.path, moved, reason)

    def load_ssh_config(self) -> None:
        """Read the hosts of ~/.ssh/config (with its Includes); a missing file gives none."""
        from services.ssh.targets import load_config_targets

        if not self.ssh_config_path.exists():
            self._config_targets = {}
            return
        targets = load_config_targets(self.ssh_config_path)
        self._config_targets = {t.name: t for t in targets}

    # -- reading -------------------------------------------------------------
    def hosts(self) -> list[HostEntry]:
        """Every host, app hosts first then ssh_config ones, sorted by (group, name)."""
        merged = dict(self._app)
        for alias, target in self._config_targets.items():
            if alias in merged:
                continue  # an app host of the same name overrides the ssh_config row
            merged[alias] = HostEntry(
                name=alias,
                hostname=target.hostname,
                port=target.port,
                user=target.user,
                identity_file=str(target.identity_files[0]) if target.identity_files else None,
                group=self._adopted.get(alias, ""),
                proxy_jump=tuple(hop.name for hop in target.proxy_jump),
                source=SOURCE_SSH_CONFIG,
            )
        return sorted(merged.values(), key=lambda h: (h.group == "", h.group, h.name))

    def get(self, name: str) -> HostEntry | None:
        """The host of that name, or None."""
        return next((h for h in self.hosts() if h.name == name), None)

    def groups(self) -> list[str]:
        """Every non-empty group name in use."""
        return sorted({h.group for h in self.hosts() if h.group})

    def target(self, name: str):
        """The SshTarget to connect to for a host (ssh_config rows keep all their options).

        ParseError when app hosts jump through each other in a loop.
        """
        return self._target(name, ())

    def _target(self, name: str, via: tuple[str, ...]):
        from services.ssh.targets import SshTarget

        if name not in self._app and name in self._config_targets:
            return self._config_targets[name]
        if name in via:
            raise ParseError(str(self.path), f"ProxyJump loop: {' -> '.join((*via, name))}")
        entry = self._app[name]
        hops = tuple(self._hop_target(h, (*via, name)) for h in entry.proxy_jump)
        return SshTarget(
            name=entry.name,
            hostname=entry.hostname,
            port=entry.port,
            user=entry.user,
            identity_files=(entry.identity_file,) if entry.identity_file else (),
            identities_only=bool(entry.identity_file),
            proxy_jump=hops,
        )

    def _hop_target(self, hop: str, via: tuple[str, ...]):
        if hop in self._app or hop in self._config_targets:
            return self._target(hop, via)
        from services.ssh.targets import resolve_target

        config = self.ssh_config_path if self.ssh_config_path.exists() else None
        return resolve_target(hop, config)

    # -- editing (call save() afterwards) ------------------------------------
    def add(self, entry: HostEntry) -> None:
        """Add an app host; InvalidHost when it is invalid or its name is taken."""
        entry = replace(entry, source=SOURCE_APP)
        problems = validate_host(entry, [h.name for h in self.hosts()])
        if problems:
            raise InvalidHost(problems)
        self._app[entry.name] = entry

    def update(self, old_name: str, entry: HostEntry) -> None:
        """Replace an app host (it may be renamed); ssh_config rows only change group."""
        if old_name not in self._app:
            if old_name in self._config_targets:
                self.set_group(old_name, entry.group)
                return
            raise KeyError(old_name)
        entry = replace(entry, source=SOURCE_APP)
        taken = [h.name for h in self.hosts() if h.name != old_name]
        problems = validate_host(entry, taken)
        if problems:
            raise InvalidHost(problems)
        del self._app[old_name]
        self._app[entry.name] = entry

    def remove(self, name: str) -> None:
        """Remove an app host, or un-adopt an ssh_config one (its row stays, ungrouped)."""
        if self._app.pop(name, None) is None and self._adopted.pop(name, None) is None:
            if name not in self._config_targets:
                raise KeyError(name)

    def set_group(self, name: str, group: str) -> None:
        """Put a host in a group; for an ssh_config row this adopts it."""
        if len(group) > 64:
            raise InvalidHost({"group": "group names are at most 64 characters"})
        if name in self._app:
            self._app[name] = replace(self._app[name], group=group)
        elif name in self._config_targets:
            if group:
                self._adopted[name] = group
            else:
                self._adopted.pop(name, None)
        else:
            raise KeyError(name)

    def save(self) -> None:
        """Write hosts.json atomically."""
        atomic_write_text(self.path, dump_inventory(self._app.values(), self._adopted))
