"""Cross-panel navigation requests, so panels never reach into each other."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class Navigator(QObject):
    """Carries "show this" requests from one panel to the panel that can show it."""

    show_host_requested = Signal(str)

    def show_host(self, name: str) -> None:
        """Ask the hardware panel to show the target `name`."""
        self.show_host_requested.emit(name)


HARDWARE_PANEL = "hardwarePanel"


def route_to_hardware_panel(navigator: Navigator, window) -> None:
    """Show requested hosts in the window's hardware panel and bring its dock forward."""

    def show(name: str) -> None:
        panels = window.panels()
        if HARDWARE_PANEL not in panels:
            return
        panels[HARDWARE_PANEL].set_target(name)
        dock = window.dock(HARDWARE_PANEL)
        dock.show()
        dock.raise_()

    navigator.show_host_requested.connect(show)
