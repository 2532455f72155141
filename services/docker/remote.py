"""Docker engines on SSH hosts, reached through the app's one shared transport per host.

Each HTTP connection to the engine is an exec channel on that transport running
`docker system dial-stdio` (argv joined with shlex.join), so the engine sees the same
host-key policy and authentication as everything else, and no second SSH connection
is ever opened. The same host's veths and nat table are read through an SshRunner.
"""
from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from services.docker.engines import EngineTarget

if TYPE_CHECKING:
    from services.ssh.pool import SshPool
    from services.ssh.targets import SshTarget

DIAL_TIMEOUT = 10.0


def dial_stdio_argv(remote_socket: str | None = None) -> list[str]:
    """The remote command: the docker CLI piping its stdio to the engine's socket."""
    if remote_socket:
        return ["docker", "-H", f"unix://{remote_socket}", "system", "dial-stdio"]
    return ["docker", "system", "dial-stdio"]


def ssh_engine(
    pool: "SshPool",
    target: "SshTarget",
    remote_socket: str | None = None,
    privilege_prefix: tuple[str, ...] | None = None,
) -> EngineTarget:
    """An engine on an SSH host; its host side is read over the same transport."""
    command = shlex.join(dial_stdio_argv(remote_socket))
    if privilege_prefix is None:
        # Root needs no sudo; anyone else tries `sudo -n`, which fails fast ("not permitted").
        privilege_prefix = () if target.user == "root" else ("sudo", "-n")

    def dial():
        from services.ssh.errors import Unreachable

        transport = pool.transport(target)
        try:
            channel = transport.open_session(timeout=DIAL_TIMEOUT)
            channel.exec_command(command)
        except Exception as exc:  # noqa: BLE001 - paramiko, EOF and socket errors alike
            error = Unreachable(f"{target.name}: cannot open a channel to docker: {exc or type(exc).__name__}")
            pool.mark_failed(target.name, error)
            raise error from exc
        return channel

    def runner():
        from services.ssh.runner import SshRunner

        return SshRunner(pool, target)

    return EngineTarget(
        name=f"ssh:{target.name}",
        url=f"ssh://{target.name}" + (f" ({remote_socket})" if remote_socket else ""),
        host_runner=runner,
        dialer=dial,
        privilege_prefix=privilege_prefix,
    )
