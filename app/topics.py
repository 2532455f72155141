"""Poller topic names shared by every panel, so one stream per target serves them all."""
from __future__ import annotations

_SAMPLE = "hardware.sample:"
_INVENTORY = "hardware.inventory:"


def sample_topic(target: str) -> str:
    """Topic of a target's live hardware samples (a stream)."""
    return _SAMPLE + target


def inventory_topic(target: str) -> str:
    """Topic of a target's hardware inventory (a slow poll)."""
    return _INVENTORY + target


def sample_target(topic: str) -> str | None:
    """The target a sample topic belongs to, or None for any other topic."""
    return topic[len(_SAMPLE):] if topic.startswith(_SAMPLE) else None
