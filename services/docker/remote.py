"""Docker engines on SSH hosts, reached through the app's one shared transport per host.

Each HTTP connection to the engine is an exec channel on that transport running
`docker system dial-stdio` (argv joined with shlex.join), so the engine sees the same
host-key policy and authentication as everything else, and no second SSH connection
is ever opened. The same host's veths and nat table are read through an SshRunner.

The pool may be given as a getter: the app creates its pool on a worker thread only,
and the dialer and runner here are called on the engine stream's own thread. Both are
frozen dataclasses, so two engines built for the same host and pool compare equal and
a refreshed engine list does not restart a stream that is still valid.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Union

from services.docker.engines import EngineTarget

if TYPE_CHECKING:
    from services.ssh.pool import SshPool
    from services.ssh.targets import SshTarget

DIAL_TIMEOUT = 10.0
PoolSource = Union["SshPool", Callable[[], "SshPool"]]


def dial_stdio_argv(remote_socket: str | None = None) -> list[str]:
    """The remote command: the docker CLI piping its stdio to the engine's socket."""
    if remote_socket:
        return ["docker", "-H", f"unix://{remote_socket}", "system", "dial-stdio"]
    return ["docker", "system", "dial-stdio"]


@dataclass(frozen=True)
class _FixedPool:
    """A pool getter for a pool that already exists (the CLI's)."""

    pool: "SshPool"

    def __call__(self) -> "SshPool":
        return self.pool


@dataclass(frozen=True)
class _DialStdio:
    """Opens one exec channel running `docker system dial-stdio` on the host's transport."""

    get_pool: Callable[[], "SshPool"]
    target: "SshTarget"
    command: str

    def __call__(self):
        from services.ssh.errors import Unreachable

        pool = self.get_pool()
        transport = pool.transport(self.target)
        channel = None
        try:
            channel = transport.open_session(timeout=DIAL_TIMEOUT)
            channel.exec_command(self.command)
        except Exception as exc:  # noqa: BLE001 - paramiko, EOF and socket errors alike
            if channel is not None:
                channel.close()
            error = Unreachable(
                f"{self.target.name}: cannot open a channel to docker: {exc or type(exc).__name__}")
            pool.mark_failed(self.target.name, error, transport)
            raise error from exc
        return channel


@dataclass(frozen=True)
class _HostRunner:
    """Builds an SshRunner on the engine's host, sharing the same transport."""

    get_pool: Callable[[], "SshPool"]
    target: "SshTarget"

    def __call__(self):
        from services.ssh.runner import SshRunner

        return SshRunner(self.get_pool(), self.target)


def ssh_engine(
    pool: PoolSource,
    target: "SshTarget",
    remote_socket: str | None = None,
    privilege_prefix: tuple[str, ...] | None = None,
) -> EngineTarget:
    """An engine on an SSH host (pool: an SshPool or a getter called on worker threads)."""
    get_pool = pool if callable(pool) else _FixedPool(pool)
    if privilege_prefix is None:
        # Root needs no sudo; anyone else tries `sudo -n`, which fails fast ("not permitted").
        privilege_prefix = () if target.user == "root" else ("sudo", "-n")
    return EngineTarget(
        name=f"ssh:{target.name}",
        url=f"ssh://{target.name}" + (f" ({remote_socket})" if remote_socket else ""),
        host_runner=_HostRunner(get_pool, target),
        dialer=_DialStdio(get_pool, target, shlex.join(dial_stdio_argv(remote_socket))),
        privilege_prefix=privilege_prefix,
    )
