"""Headless use of SSH hosts for the CLI: batch host-key policy, no prompts."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator


@contextmanager
def batch_connection(text: str, accept_new: bool = False) -> Iterator[tuple[Any, Any]]:
    """(SshPool, SshTarget) for an ssh_config alias or user@host[:port]; closed on exit.

    Unknown host keys are refused unless accept_new (OpenSSH accept-new); changed keys
    always are. Errors are TargetUnavailable subclasses with one-line messages.
    """
    from services.ssh.known_hosts import HostKeyStore
    from services.ssh.pool import SshPool
    from services.ssh.prompts import BatchPrompter
    from services.ssh.targets import resolve_target

    target = resolve_target(text)
    pool = SshPool(HostKeyStore(), BatchPrompter(accept_new=accept_new))
    try:
        yield pool, target
    finally:
        pool.close_all()


def collect_host_snapshot(text: str, samples: int, interval: float, accept_new: bool = False) -> dict[str, Any]:
    """Inventory plus `samples` streamed samples of an ssh_config alias or user@host[:port]."""
    from services.hardware.snapshot_json import collect_snapshot
    from services.hardware.sources import HardwareSources
    from services.ssh.hardware_source import ssh_hardware_source

    with batch_connection(text, accept_new) as (pool, target):
        sources = HardwareSources()
        sources.register(target.name, ssh_hardware_source(pool, target))
        return collect_snapshot(sources, target.name, samples=samples, interval=interval)
