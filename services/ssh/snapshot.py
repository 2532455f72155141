"""Headless snapshot of one SSH host for the CLI: batch host-key policy, no prompts."""
from __future__ import annotations

from typing import Any


def collect_host_snapshot(text: str, samples: int, interval: float, accept_new: bool = False) -> dict[str, Any]:
    """Inventory plus `samples` streamed samples of an ssh_config alias or user@host[:port].

    Unknown host keys are refused unless accept_new (OpenSSH accept-new); changed keys
    always are. Errors are TargetUnavailable subclasses with one-line messages.
    """
    from services.hardware.snapshot_json import collect_snapshot
    from services.hardware.sources import HardwareSources
    from services.ssh.hardware_source import ssh_hardware_source
    from services.ssh.known_hosts import HostKeyStore
    from services.ssh.pool import SshPool
    from services.ssh.prompts import BatchPrompter
    from services.ssh.targets import resolve_target

    target = resolve_target(text)
    pool = SshPool(HostKeyStore(), BatchPrompter(accept_new=accept_new))
    sources = HardwareSources()
    sources.register(target.name, ssh_hardware_source(pool, target))
    try:
        return collect_snapshot(sources, target.name, samples=samples, interval=interval)
    finally:
        pool.close_all()
