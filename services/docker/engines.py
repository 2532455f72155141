"""Which Docker engines exist: DOCKER_HOST, the docker CLI's contexts, the default socket.

Discovery only reads environment variables and small JSON files; nothing here talks to
an engine, so it is safe on the path to the first window.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Optional

from services.runner import CommandRunner, LocalRunner

DEFAULT_SOCKET_URL = "unix:///var/run/docker.sock"
LOCAL_ENGINE = "local"


@dataclass(frozen=True)
class EngineTarget:
    """How to reach one engine, and (when known) a runner on the engine's host."""

    name: str
    url: str
    # Builds a runner on the machine that runs the engine, for veths and iptables;
    # None when that machine cannot be inspected (the host side is then "not visible").
    host_runner: Optional[Callable[[], CommandRunner]] = None
    # Opens a socket-like connection to the engine for URLs the SDK cannot dial itself.
    dialer: Optional[Callable[[], object]] = None
    privilege_prefix: tuple[str, ...] = ()


def docker_config_dir(env: Mapping[str, str] | None = None, home: Path | None = None) -> Path:
    """The docker CLI's config directory (DOCKER_CONFIG or ~/.docker)."""
    env = os.environ if env is None else env
    if env.get("DOCKER_CONFIG"):
        return Path(env["DOCKER_CONFIG"])
    return (home or Path.home()) / ".docker"


def read_contexts(config_dir: Path) -> dict[str, str]:
    """Docker context name -> engine URL, from contexts/meta/*/meta.json; bad files skipped."""
    contexts: dict[str, str] = {}
    meta_root = config_dir / "contexts" / "meta"
    try:
        entries = sorted(meta_root.iterdir())
    except OSError:
        return contexts
    for entry in entries:
        try:
            meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
            name = meta["Name"]
            host = meta["Endpoints"]["docker"]["Host"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if isinstance(name, str) and isinstance(host, str) and name and host:
            contexts[name] = host
    return contexts


def current_context(config_dir: Path, env: Mapping[str, str]) -> str:
    """DOCKER_CONTEXT, else config.json's currentContext, else 'default'."""
    if env.get("DOCKER_CONTEXT"):
        return env["DOCKER_CONTEXT"]
    try:
        config = json.loads((config_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "default"
    name = config.get("currentContext") if isinstance(config, dict) else None
    return name if isinstance(name, str) and name else "default"


def _is_local_url(url: str) -> bool:
    return url.startswith(("unix://", "npipe://"))


def _local_target(name: str, url: str, privilege_prefix: tuple[str, ...]) -> EngineTarget:
    # A unix socket means the engine runs on this machine, so its host side is ours to read.
    runner = LocalRunner if _is_local_url(url) else None
    return EngineTarget(name, url, runner, None, privilege_prefix if runner else ())


def local_engines(
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    privilege_prefix: tuple[str, ...] = (),
) -> list[EngineTarget]:
    """The local engine the docker CLI would use first, then every other context."""
    env = os.environ if env is None else env
    config_dir = docker_config_dir(env, home)
    contexts = read_contexts(config_dir)
    chosen = current_context(config_dir, env)
    if env.get("DOCKER_HOST"):
        url = env["DOCKER_HOST"]
    elif chosen != "default" and chosen in contexts:
        url = contexts[chosen]
    else:
        url = DEFAULT_SOCKET_URL
    engines = [_local_target(LOCAL_ENGINE, url, privilege_prefix)]
    for name, host in contexts.items():
        if host != url and not host.startswith("ssh://"):
            engines.append(_local_target(f"context:{name}", host, privilege_prefix))
    return engines


def engine_for_url(url: str, privilege_prefix: tuple[str, ...] = ()) -> EngineTarget:
    """An engine given explicitly, e.g. by `--engine unix:///run/docker.sock`."""
    return _local_target(url, url, privilege_prefix)
