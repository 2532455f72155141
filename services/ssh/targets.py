"""SSH targets: what `ssh ALIAS` or `ssh user@host:port` would connect to, per ssh_config.

paramiko's SSHConfig does the matching and token expansion (~, %h, %u in IdentityFile)
but ignores ``Include``; includes are expanded here, textually and in place, before
the text reaches the parser. Relative include paths are taken from ~/.ssh, as OpenSSH
does for the user's config. As in OpenSSH, the lines after an Include still belong to
the Host or Match block that held it, even when the included file opened blocks of its
own: the enclosing block's header is repeated after the included text.
"""
from __future__ import annotations

import glob
import io
import os
import re
import shlex
from dataclasses import dataclass, replace
from pathlib import Path

from services.errors import ParseError

MAX_INCLUDE_DEPTH = 16
MAX_JUMP_DEPTH = 8
_INCLUDE = re.compile(r"^\s*include(?:\s*=\s*|\s+)(.+)$", re.IGNORECASE)
_HOST = re.compile(r"^\s*host(?:\s*=\s*|\s+)(.+)$", re.IGNORECASE)
_BLOCK = re.compile(r"^\s*(?:host|match)(?:\s*=\s*|\s+)", re.IGNORECASE)


@dataclass(frozen=True)
class SshTarget:
    """One SSH host as the app connects to it; name is the alias the user chose."""

    name: str
    hostname: str
    port: int = 22
    user: str | None = None
    identity_files: tuple[str, ...] = ()
    identities_only: bool = False
    proxy_jump: tuple["SshTarget", ...] = ()

    @property
    def login(self) -> str:
        """The user to log in as: the configured one, else the local user (as ssh does)."""
        if self.user:
            return self.user
        import getpass

        return getpass.getuser()


def default_config_path() -> Path:
    """~/.ssh/config of the current HOME."""
    return Path(os.path.expanduser("~")) / ".ssh" / "config"


def expand_includes(path: Path, depth: int = 0) -> str:
    """Return the config text at path with every Include replaced by the files it names."""
    if depth > MAX_INCLUDE_DEPTH:
        raise ParseError(str(path), "Include nested too deeply")
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise ParseError(str(path), exc.strerror or str(exc)) from exc
    out = []
    block = "Host *"  # before any Host or Match line, options apply to every host
    for line in text.splitlines():
        match = _INCLUDE.match(line)
        if not match:
            if _BLOCK.match(line):
                block = line
            out.append(line)
            continue
        try:
            patterns = shlex.split(match.group(1))
        except ValueError as exc:
            raise ParseError(str(path), f"bad Include line: {exc}") from exc
        for pattern in patterns:
            pattern = os.path.expanduser(pattern)
            if not os.path.isabs(pattern):
                pattern = str(Path(os.path.expanduser("~")) / ".ssh" / pattern)
            for included in sorted(glob.glob(pattern)):
                if os.path.isfile(included):
                    out.append(expand_includes(Path(included), depth + 1))
        out.append(block)
    return "\n".join(out) + "\n"


def _parse_config(path: Path, text: str | None = None):
    """paramiko's SSHConfig over the config at path (text: its includes, already expanded)."""
    import paramiko

    try:
        return paramiko.SSHConfig.from_file(io.StringIO(expand_includes(path) if text is None else text))
    except paramiko.ssh_exception.ConfigParseError as exc:
        raise ParseError(str(path), str(exc)) from exc


def load_config_targets(path: Path | None = None) -> list[SshTarget]:
    """Return a target for every concrete Host alias of the config (wildcards skipped)."""
    path = Path(path) if path is not None else default_config_path()
    text = expand_includes(path)
    aliases: list[str] = []
    for line in text.splitlines():
        match = _HOST.match(line)
        if not match:
            continue
        try:
            names = shlex.split(match.group(1))
        except ValueError:
            continue
        for name in names:
            if not any(ch in name for ch in "*?!") and name not in aliases:
                aliases.append(name)
    config = _parse_config(path, text)
    return [_resolve(alias, config, 0) for alias in aliases]


def split_destination(text: str) -> tuple[str | None, str, int | None]:
    """Split 'user@host:port', 'host', '[v6]:port' or a bare IPv6 address into parts."""
    text = text.strip()
    if not text:
        raise ParseError("target", "empty")
    user = None
    if "@" in text:
        user, text = text.rsplit("@", 1)
        user = user or None
    port: int | None = None
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ParseError("target", f"bad address {text!r}")
        port_text = rest[1:] if rest else None
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, None
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ParseError("target", f"bad port {port_text!r}")
        port = int(port_text)
    if not host or any(ch.isspace() for ch in host):
        raise ParseError("target", f"bad host {host!r}")
    return user, host, port


def resolve_target(text: str, config_path: Path | None = None) -> SshTarget:
    """Resolve an ssh_config alias or user@host[:port] ([v6]:port too) into a target."""
    path = Path(config_path) if config_path is not None else default_config_path()
    return _resolve(text, _parse_config(path), 0)


def _resolve(text: str, config, depth: int) -> SshTarget:
    if depth > MAX_JUMP_DEPTH:
        raise ParseError("ssh_config", f"ProxyJump chain too long or looping at {text!r}")
    user, host, port = split_destination(text)
    options = config.lookup(host)
    try:
        port = port or int(options.get("port", 22))
    except ValueError as exc:
        raise ParseError("ssh_config", f"bad Port for {host!r}") from exc
    hops: tuple[SshTarget, ...] = ()
    jump = options.get("proxyjump")
    if jump and jump.lower() != "none":
        resolved = [_resolve(hop.strip(), config, depth + 1) for hop in jump.split(",") if hop.strip()]
        hops = tuple(resolved)
    return SshTarget(
        name=text.strip(),
        hostname=options.get("hostname", host),
        port=port,
        user=user or options.get("user"),
        identity_files=tuple(options.get("identityfile", ())),
        identities_only=str(options.get("identitiesonly", "no")).lower() == "yes",
        proxy_jump=hops,
    )


def immediate_jump(target: SshTarget) -> SshTarget | None:
    """The host that opens the TCP connection to target: the last ProxyJump hop.

    With ``ProxyJump a,b`` OpenSSH reaches b through a and the target through b, so the
    last hop inherits the earlier ones as its own jump chain.
    """
    if not target.proxy_jump:
        return None
    *earlier, last = target.proxy_jump
    return replace(last, proxy_jump=tuple(earlier)) if earlier else last
