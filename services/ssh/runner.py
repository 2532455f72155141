"""CommandRunner over SSH: one exec session per command, for inventory reads only.

Live samples never come through here (see stream.py): a session costs the remote host
far more CPU than a streamed sample.
"""
from __future__ import annotations

import shlex
import socket
import time
from typing import Sequence

from services.errors import CommandFailed
from services.runner import CommandResult
from services.ssh.errors import Unreachable
from services.ssh.pool import SshPool
from services.ssh.targets import SshTarget

MAX_OUTPUT = 16 * 1024 * 1024


def session_refused(name: str, exc) -> CommandFailed:
    """The host answered but refused one more session (e.g. sshd MaxSessions).

    The shared transport is healthy, so this is not a reason to drop it and break every
    other panel's channel on the host.
    """
    return CommandFailed(f"{name}: the host refused a new session: {exc.text}")


class SshRunner:
    """Runs argv lists on an SSH host through the pool's shared transport."""

    def __init__(self, pool: SshPool, target: SshTarget):
        self.pool = pool
        self.target = target
        self.name = target.name

    def run(self, argv: Sequence[str], timeout: float = 10.0) -> CommandResult:
        """Run argv remotely (joined with shlex.join, so every value stays one word)."""
        import paramiko

        argv = tuple(argv)
        transport = self.pool.transport(self.target)
        try:
            channel = transport.open_session(timeout=timeout)
        except paramiko.ChannelException as exc:
            raise session_refused(self.name, exc) from exc
        except (paramiko.SSHException, EOFError, OSError) as exc:
            error = Unreachable(f"{self.name}: cannot open a session: {exc or type(exc).__name__}")
            self.pool.mark_failed(self.name, error, transport)
            raise error from exc
        try:
            channel.settimeout(timeout)
            channel.exec_command(shlex.join(argv))
            channel.shutdown_write()
            stdout, stderr = self._drain(channel, argv, timeout)
            status = channel.recv_exit_status()
        except socket.timeout as exc:
            raise CommandFailed(f"{argv[0]}: timed out after {timeout:g} s on {self.name}") from exc
        except (paramiko.SSHException, EOFError, OSError) as exc:
            error = Unreachable(f"{self.name}: connection lost running {argv[0]}: {exc or type(exc).__name__}")
            self.pool.mark_failed(self.name, error, transport)
            raise error from exc
        finally:
            channel.close()
        if status == 127:
            raise CommandFailed(f"{argv[0]}: not installed on {self.name}")
        return CommandResult(argv, status, stdout.decode("utf-8", "replace"),
                             stderr.decode("utf-8", "replace"))

    def _drain(self, channel, argv: tuple[str, ...], timeout: float) -> tuple[bytes, bytes]:
        # Read both streams together so a chatty stderr cannot stall stdout.
        deadline = time.monotonic() + timeout
        out, err = bytearray(), bytearray()
        while True:
            if time.monotonic() > deadline:
                raise socket.timeout()
            if channel.recv_stderr_ready():
                err += channel.recv_stderr(65536)
            chunk = channel.recv(65536)
            if not chunk:
                while channel.recv_stderr_ready():
                    err += channel.recv_stderr(65536)
                break
            out += chunk
            if len(out) + len(err) > MAX_OUTPUT:
                raise CommandFailed(f"{argv[0]}: output over {MAX_OUTPUT} bytes on {self.name}")
        return bytes(out), bytes(err)

    def read_text(self, path: str, timeout: float = 10.0) -> str:
        """Return a remote file's text via `cat -- path`."""
        result = self.run(["cat", "--", path], timeout=timeout)
        if not result.ok:
            first = (result.stderr.strip().splitlines() or ["unreadable"])[0]
            raise CommandFailed(f"{path}: {first[:200]}")
        return result.stdout
