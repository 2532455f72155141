"""The panels Cluster Lab docks, in View-menu order.

A new panel is one module in views/ exposing ``PANEL: PanelSpec``; adding it to this
list registers it. Its object_name is the key of its saved layout and state, so it
must never change once released.
"""
from __future__ import annotations

from app.panel_registry import PanelSpec


def default_panels() -> list[PanelSpec]:
    """Every panel of the app; imported here so views load only on the GUI path."""
    from views.hardware_panel import PANEL as HARDWARE_PANEL
    from views.hosts_panel import PANEL as HOSTS_PANEL
    from views.docker_networks_panel import PANEL as DOCKER_NETWORKS_PANEL
    from views.overview_panel import PANEL as OVERVIEW_PANEL

    return [HARDWARE_PANEL, HOSTS_PANEL, OVERVIEW_PANEL, DOCKER_NETWORKS_PANEL]
