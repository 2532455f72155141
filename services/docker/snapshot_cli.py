"""`snapshot docker-networks`: its options and the JSON it prints (no Qt, SDK loaded late)."""
from __future__ import annotations

import argparse
from typing import Any

SUDO = ("sudo", "-n")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--engine URL | --host TARGET, plus the SSH and privilege options."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--engine", metavar="URL",
        help="engine URL, e.g. unix:///var/run/docker.sock (default: DOCKER_HOST, "
        "the current docker context, else the default socket)",
    )
    where.add_argument(
        "--host", metavar="TARGET",
        help="engine on an SSH host: an ssh_config alias or user@host[:port]",
    )
    parser.add_argument(
        "--remote-socket", metavar="PATH",
        help="with --host: the engine's socket on that host (default: the docker CLI's own)",
    )
    parser.add_argument(
        "--accept-new", action="store_true",
        help="with --host: trust and save an unknown host key (OpenSSH accept-new)",
    )
    parser.add_argument(
        "--sudo", action="store_true",
        help="read veths and iptables with `sudo -n` (never prompts; 'not permitted' otherwise)",
    )


def collect(args: argparse.Namespace) -> dict[str, Any]:
    """Networks, endpoints, host side and NAT of the chosen engine as JSON data."""
    from services.docker.client import collect_snapshot
    from services.docker.snapshot import snapshot_to_dict

    prefix = SUDO if args.sudo else ()
    if args.host:
        from services.docker.remote import ssh_engine
        from services.ssh.snapshot import batch_connection

        with batch_connection(args.host, args.accept_new) as (pool, target):
            engine = ssh_engine(pool, target, args.remote_socket, prefix or None)
            return snapshot_to_dict(collect_snapshot(engine))
    from services.docker.engines import engine_for_url, local_engines

    engine = engine_for_url(args.engine, prefix) if args.engine else local_engines(privilege_prefix=prefix)[0]
    return snapshot_to_dict(collect_snapshot(engine))


def describe_target(args: argparse.Namespace) -> str:
    """What could not be read, for the one-line error."""
    if getattr(args, "host", None):
        return "Docker engine on SSH host"
    return "Docker engine"
