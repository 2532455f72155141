"""Register an SSH host with the hardware registry: inventory via exec, samples via a stream."""
from __future__ import annotations

from services.hardware.sources import HardwareSource
from services.ssh.pool import SshPool
from services.ssh.runner import SshRunner
from services.ssh.stream import SshFrameStream
from services.ssh.targets import SshTarget


def ssh_hardware_source(pool: SshPool, target: SshTarget) -> HardwareSource:
    """A HardwareSource whose runner and frame streams share the pool's transport."""
    return HardwareSource(
        runner=lambda: SshRunner(pool, target),
        frames=lambda interval: SshFrameStream(pool, target, interval),
    )
