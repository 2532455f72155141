"""Command runners: one interface for the local machine, SSH hosts and containers.

Commands are always argv lists. A runner never hands a string to a shell, so a value
read from a target can never become code (see Glances, CVE-2026-46606).
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from typing import Protocol, Sequence

from services.errors import CommandFailed


@dataclass(frozen=True)
class CommandResult:
    """What one command printed and how it exited."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        """True when the command exited 0."""
        return self.returncode == 0


class CommandRunner(Protocol):
    """Runs argv lists and reads files on one target."""

    name: str

    def run(self, argv: Sequence[str], timeout: float = 10.0) -> CommandResult:
        """Run argv on the target; raise CommandFailed if it cannot be started."""

    def read_text(self, path: str, timeout: float = 10.0) -> str:
        """Return the text of a file on the target; raise CommandFailed if unreadable."""


def checked_stdout(runner: CommandRunner, argv: Sequence[str], timeout: float = 10.0) -> str:
    """Run argv and return its stdout, raising CommandFailed on a non-zero exit."""
    result = runner.run(argv, timeout=timeout)
    if not result.ok:
        first = (result.stderr.strip().splitlines() or ["no output"])[0]
        raise CommandFailed(f"{argv[0]} exited {result.returncode}: {first[:200]}")
    return result.stdout


class LocalRunner:
    """Runs commands on this machine with subprocess, never through a shell."""

    name = "local"

    def run(self, argv: Sequence[str], timeout: float = 10.0) -> CommandResult:
        """Run argv locally with a timeout."""
        argv = tuple(argv)
        try:
            proc = subprocess.run(
                argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL
            )
        except FileNotFoundError as exc:
            raise CommandFailed(f"{argv[0]}: not installed") from exc
        except subprocess.TimeoutExpired as exc:
            raise CommandFailed(f"{argv[0]}: timed out after {timeout:g} s") from exc
        except OSError as exc:
            raise CommandFailed(f"{argv[0]}: {exc.strerror or exc}") from exc
        return CommandResult(
            argv,
            proc.returncode,
            proc.stdout.decode("utf-8", "replace"),
            proc.stderr.decode("utf-8", "replace"),
        )

    def read_text(self, path: str, timeout: float = 10.0) -> str:
        """Read a local file; /proc and /sys files are small and never block."""
        try:
            with open(path, "rb") as fh:
                return fh.read().decode("utf-8", "replace")
        except OSError as exc:
            raise CommandFailed(f"{path}: {exc.strerror or exc}") from exc
