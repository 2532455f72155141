"""A label that shows how old a panel's data is and marks it stale."""
from __future__ import annotations

import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel

STALE_AFTER_INTERVALS = 3
STALE_STYLE = "color: #c0392b; font-weight: bold;"


class DataAgeLabel(QLabel):
    """Shows 'updated N s ago', or a stale warning after 3 missed intervals."""

    def __init__(self, interval: float = 1.0, parent=None, clock=time.monotonic):
        super().__init__("waiting for data…", parent)
        self._clock = clock
        self._interval = interval
        self._updated_at: float | None = None
        self._error: str | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()

    def set_interval(self, interval: float) -> None:
        """Change the expected interval between updates."""
        self._interval = interval
        self.refresh()

    def mark_updated(self) -> None:
        """Record that fresh data arrived now."""
        self._updated_at = self._clock()
        self._error = None
        self.refresh()

    def reset(self) -> None:
        """Forget the last update and error, as before the first data (a new source)."""
        self._updated_at = None
        self._error = None
        self.refresh()

    def mark_error(self, message: str) -> None:
        """Record a failed update; the old data stays but the error is shown."""
        self._error = message
        self.refresh()

    @property
    def age(self) -> float | None:
        """Seconds since the last update, or None before the first."""
        return None if self._updated_at is None else self._clock() - self._updated_at

    @property
    def is_stale(self) -> bool:
        """True once 3 intervals have passed without fresh data."""
        return self._is_stale(self.age)

    def _is_stale(self, age: float | None) -> bool:
        return age is not None and age > STALE_AFTER_INTERVALS * self._interval

    def refresh(self) -> None:
        """Redraw the text and colour from the current age."""
        age = self.age
        stale = self._is_stale(age)
        if age is None:
            text = "waiting for data…"
        elif stale:
            text = f"STALE: no data for {age:.0f} s"
        else:
            text = f"updated {age:.0f} s ago"
        if self._error:
            text += f" — {self._error}"
        self.setText(text)
        if self.property("stale") is not stale:
            # Setting a style sheet re-polishes the widget: only when staleness flips,
            # not on every tick of the one-second timer.
            self.setProperty("stale", stale)
            self.setStyleSheet(STALE_STYLE if stale else "")
