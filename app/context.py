"""What panels receive from the app: the poller, data sources, SSH hosts and navigation."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.navigation import Navigator
    from app.poller import Poller
    from app.ssh_manager import SshManager
    from services.hardware.sources import HardwareSources


@dataclass(frozen=True)
class AppContext:
    """Shared services handed to every panel factory."""

    poller: "Poller"
    hardware: "HardwareSources"
    ssh: "SshManager | None" = None
    navigation: "Navigator | None" = None
