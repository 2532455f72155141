"""The live plots of the hardware panel: one ring buffer per curve, curves reused."""
from __future__ import annotations

import math
import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from services.hardware.model import HardwareSample
from services.timeseries import SeriesSet
from views.plots import CurveSet, make_time_plot

# 15 min at the fastest interval (1 s), plus slack for a late or duplicated sample.
CAPACITY = 15 * 60 + 60

# Narrowest time axis, in seconds, while the first samples come in.
MIN_SPAN = 10.0

# key: (title, units, fixed y range, legend); order is the grid order, two per row.
PLOTS = {
    "cpu": ("CPU total", "%", (0.0, 100.0), True),
    "cores": ("CPU per core", "%", (0.0, 100.0), False),
    "memory": ("Memory", "B", None, True),
    "load": ("Load average", None, None, True),
    "network": ("Network", "B/s", None, True),
    "disk": ("Disk", "B/s", None, True),
    "temperatures": ("Temperatures", "°C", None, True),
}


def _busiest(first: dict[str, float], second: dict[str, float]) -> list[str]:
    """Device names by descending combined rate, then by name."""
    def total(name: str) -> float:
        rate = first.get(name, 0.0) + second.get(name, 0.0)
        return rate if math.isfinite(rate) else 0.0

    return sorted(set(first) | set(second), key=lambda name: (-total(name), name))


def _temperature_series(sample: HardwareSample) -> dict[str, float]:
    """Sensor values by "chip label"; repeated names are numbered, not merged.

    Chip names repeat on real machines (two NVMe drives are both "nvme Composite", two
    sockets both have a "coretemp Core 0"); the sampler lists sensors in hwmon order,
    so the numbering stays with the same sensor from sample to sample.
    """
    values: dict[str, float] = {}
    for t in sample.temperatures:
        name = key = f"{t.chip} {t.label}"
        copy = 1
        while key in values:
            copy += 1
            key = f"{name} #{copy}"
        values[key] = t.celsius
    return values


def sample_series(sample: HardwareSample) -> dict[str, dict[str, float]]:
    """Split one sample into named values per plot, leaving out non-finite values.

    The sampler reports NaN where no rate could be computed (no CPU tick elapsed, a
    counter reset); such a point is skipped, so buffers stay finite and the curves
    can skip pyqtgraph's finite check.
    """
    values: dict[str, dict[str, float]] = {
        "cpu": {"total": sample.cpu_percent},
        "cores": {f"cpu{i}": v for i, v in enumerate(sample.cpu_per_core)},
        "network": {},
        "disk": {},
        "temperatures": _temperature_series(sample),
    }
    if sample.memory is not None:
        mem = sample.memory
        values["memory"] = {
            "used": mem.used, "cached": mem.cached, "available": mem.available,
            "swap used": mem.swap_used,
        }
    if sample.load_average is not None:
        one, five, fifteen = sample.load_average
        values["load"] = {"1 min": one, "5 min": five, "15 min": fifteen}
    # Busiest first: curves are made in first-seen order, and only the first few
    # make it into the legend.
    for name in _busiest(sample.net_rx_bps, sample.net_tx_bps):
        values["network"][f"{name} rx"] = sample.net_rx_bps.get(name, 0.0)
        values["network"][f"{name} tx"] = sample.net_tx_bps.get(name, 0.0)
    for name in _busiest(sample.disk_read_bps, sample.disk_write_bps):
        values["disk"][f"{name} read"] = sample.disk_read_bps.get(name, 0.0)
        values["disk"][f"{name} write"] = sample.disk_write_bps.get(name, 0.0)
    return {
        key: {name: float(v) for name, v in named.items() if math.isfinite(v)}
        for key, named in values.items()
    }


class HardwareCharts(QWidget):
    """A grid of time plots fed with HardwareSamples over a selectable time window."""

    def __init__(self, window_seconds: float = 300.0, parent=None):
        super().__init__(parent)
        self._window = window_seconds
        # Times are the target's own uptime: the axis counts back from the newest
        # sample, so the target's clock never has to be mapped onto the local one.
        self._latest: float | None = None
        self._first: float | None = None
        self._series = {key: SeriesSet(CAPACITY) for key in PLOTS}
        self._plots: dict[str, object] = {}
        self._curves: dict[str, CurveSet] = {}
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        # Seven PlotItems cost more than the rest of the window to build, so they are
        # made with the first sample (at least one interval after start), never on
        # the way to the first paint.
        self._placeholder = QLabel("waiting for live samples…")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._grid.addWidget(self._placeholder, 0, 0)

    def _ensure_plots(self) -> None:
        if self._plots:
            return
        self._grid.removeWidget(self._placeholder)
        self._placeholder.deleteLater()
        for index, (key, (title, units, y_range, legend)) in enumerate(PLOTS.items()):
            plot = make_time_plot(title, units=units, y_range=y_range, legend=legend)
            plot.setObjectName(f"{key}Plot")
            self._plots[key] = plot
            self._curves[key] = CurveSet(plot)
            self._grid.addWidget(plot, index // 2, index % 2)
        # Shown once a sensor reports: most VMs and containers have none.
        self._plots["temperatures"].hide()

    def add_sample(self, sample: HardwareSample) -> None:
        """Append a sample to the buffers and redraw every curve."""
        if self._latest is not None and sample.timestamp <= self._latest:
            # The target rebooted (its uptime went back): a new, separate time line.
            self.clear()
        self._latest = t = sample.timestamp
        if self._first is None:
            self._first = t
        for key, values in sample_series(sample).items():
            self._series[key].append(t, values)
        self._ensure_plots()
        if len(self._series["temperatures"]):
            self._plots["temperatures"].show()
        self.redraw()

    def set_window(self, seconds: float) -> None:
        """Show the last `seconds` of data."""
        self._window = seconds
        self.redraw()

    def redraw(self) -> None:
        """Hand the visible part of every buffer to its curve and follow the newest time."""
        if self._latest is None or not self._plots:
            return
        t_min = self._latest - self._window
        # Until a whole window of data exists the axis spans the data (at least
        # MIN_SPAN), so the first minutes fill the plot instead of hugging its edge.
        span = max(min(self._window, self._latest - self._first), MIN_SPAN)
        for key, series in self._series.items():
            curves = self._curves[key]
            for name in series:
                curves.show_buffer(name, series[name], t_min, self._latest)
            curves.set_span(span)
            if PLOTS[key][2] is None:
                curves.fit_y()

    def clear(self) -> None:
        """Forget all data and curves (another target is shown next)."""
        self._latest = self._first = None
        for series in self._series.values():
            series.clear()
        for curves in self._curves.values():
            curves.clear()
        if self._plots:
            self._plots["temperatures"].hide()

    def plot(self, key: str):
        """The PlotWidget for one of PLOTS' keys."""
        self._ensure_plots()
        return self._plots[key]

    def curves(self, key: str) -> CurveSet:
        """The curves of one plot, by PLOTS' key."""
        self._ensure_plots()
        return self._curves[key]
