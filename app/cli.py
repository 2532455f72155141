"""Command line: argument parsing and the headless `snapshot` commands.

This module never imports Qt (tests/test_cli.py checks it in a subprocess), so
`--version`, `--help` and `snapshot ...` start fast and work on machines without a
display. Each snapshot kind is one row of SNAPSHOT_KINDS: its own options and a
collect function that returns JSON-able data; a new kind is a new row.

Exit codes: 0 success, 2 usage error (argparse), 3 the target cannot be read.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from typing import Any, Callable

from app.version import __version__
from services.docker import snapshot_cli as docker_networks_cli
from services.errors import ServiceError

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_UNREADABLE = 3

MIN_INTERVAL = 0.1
MAX_INTERVAL = 3600.0
MAX_SAMPLES = 10_000


@dataclass(frozen=True)
class SnapshotKind:
    """One `snapshot KIND` subcommand: its options and what it prints as JSON."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    collect: Callable[[argparse.Namespace], Any]
    describe_target: Callable[[argparse.Namespace], str]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= MAX_SAMPLES:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_SAMPLES}")
    return value


def _interval(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not MIN_INTERVAL <= value <= MAX_INTERVAL:  # also rejects nan
        raise argparse.ArgumentTypeError(
            f"must be between {MIN_INTERVAL:g} and {MAX_INTERVAL:g} seconds"
        )
    return value


# -- snapshot hardware ---------------------------------------------------------
def _hardware_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--samples", type=_positive_int, default=1, metavar="N",
        help="number of live samples to take (default 1)",
    )
    parser.add_argument(
        "--interval", type=_interval, default=1.0, metavar="S",
        help="seconds between samples (default 1)",
    )
    parser.add_argument(
        "--host", metavar="TARGET",
        help="read an SSH host instead: an ssh_config alias or user@host[:port]",
    )
    parser.add_argument(
        "--accept-new", action="store_true",
        help="with --host: trust and save an unknown host key (OpenSSH accept-new); "
        "a changed key is always refused",
    )


def _hardware_snapshot(args: argparse.Namespace) -> Any:
    if args.host:
        from services.ssh.snapshot import collect_host_snapshot

        return collect_host_snapshot(args.host, args.samples, args.interval, args.accept_new)
    from services.hardware.snapshot_json import collect_snapshot
    from services.hardware.sources import LOCAL, HardwareSources

    return collect_snapshot(
        HardwareSources(), LOCAL, samples=args.samples, interval=args.interval
    )


def _hardware_target(args: argparse.Namespace) -> str:
    return "SSH host" if args.host else "local machine"


SNAPSHOT_KINDS: tuple[SnapshotKind, ...] = (
    SnapshotKind(
        name="hardware",
        help="hardware inventory plus N live samples",
        add_arguments=_hardware_arguments,
        collect=_hardware_snapshot,
        describe_target=_hardware_target,
    ),
    SnapshotKind(
        name="docker-networks",
        help="Docker networks, endpoints, host-side veths and NAT rules of one engine",
        add_arguments=docker_networks_cli.add_arguments,
        collect=docker_networks_cli.collect,
        describe_target=docker_networks_cli.describe_target,
    ),
)


# -- parser --------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """The full command line: GUI options plus the `snapshot` subcommands."""
    parser = argparse.ArgumentParser(
        prog="cluster-lab",
        description="Cluster Lab: live view of an infrastructure lab. "
        "Without a command it opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"cluster-lab {__version__}")
    parser.add_argument(
        "--screenshot", metavar="PATH",
        help="open the app, wait for live data, save a PNG of the window to PATH and exit",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    snapshot = commands.add_parser(
        "snapshot", help="print one snapshot as JSON without opening a window",
        description="Print a snapshot as JSON on stdout. Exit 3 if the target cannot be read.",
    )
    kinds = snapshot.add_subparsers(dest="kind", metavar="KIND", required=True)
    for kind in SNAPSHOT_KINDS:
        sub = kinds.add_parser(kind.name, help=kind.help, description=kind.help)
        kind.add_arguments(sub)
        sub.set_defaults(snapshot_kind=kind)
    return parser


def run_snapshot(args: argparse.Namespace) -> int:
    """Collect the requested snapshot and print it; return the process exit code."""
    kind: SnapshotKind = args.snapshot_kind
    try:
        data = kind.collect(args)
    except (ServiceError, OSError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        print(
            f"cluster-lab: cannot read {kind.describe_target(args)}: {reason}",
            file=sys.stderr,
        )
        return EXIT_UNREADABLE
    try:
        json.dump(data, sys.stdout, indent=2, sort_keys=False)
        sys.stdout.write("\n")
        sys.stdout.flush()
    except BrokenPipeError:
        # `... | head` closed the pipe: not an error of ours. Point stdout at devnull
        # so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_OK
