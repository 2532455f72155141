"""Shared pyqtgraph helpers: time plots whose curves are created once and then reused.

Settings chosen for many live plots redrawn every second:
- thin pens (width 1): wide pens take Qt's slow stroking path;
- skipFiniteCheck: ring buffers never hold NaN or inf, so the per-frame scan is waste;
- clip-to-view and auto peak downsampling: a 15 min window at 1 s holds 900 points per
  curve, and peaks must survive downsampling (a CPU spike is the point of the plot);
- no grid, a fixed "seconds ago" time axis and y ranges rounded up to 1-2-5 steps:
  an axis whose range is unchanged keeps its cached picture, while a moving wall-clock
  axis, auto-ranged y axes or grid lines (drawn by the axes across the whole plot) are
  regenerated on every frame and cost more than the curves themselves (bench_redraw).
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem

from services.timeseries import RingBuffer

# Distinct on both light and dark backgrounds, in the order curves appear.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)


class SecondsAgoAxis(pg.AxisItem):
    """A time axis counted back from the newest sample: "-5m", "-30s", "now"."""

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph API
        """Label each tick with its distance from now."""
        return [seconds_ago_label(value) for value in values]


def seconds_ago_label(value: float) -> str:
    """Label for x = value seconds relative to the newest sample (value <= 0)."""
    ago = round(-value)
    if ago == 0:
        return "now"
    if ago % 60 == 0:
        return f"-{ago // 60}m"
    return f"-{ago}s"


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above value (1 when value <= 0)."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 5.0, 10.0):
        if value <= step * power * (1 + 1e-9):
            return step * power
    return 10.0 * power


def make_time_plot(
    title: str,
    units: str | None = None,
    y_range: tuple[float, float] | None = None,
    legend: bool = True,
) -> pg.PlotWidget:
    """Build a PlotWidget with a seconds-ago time axis, fixed interaction and a legend.

    Without a y_range the y axis is set by CurveSet.fit_y(), never auto-ranged.
    """
    plot = pg.PlotWidget(axisItems={"bottom": SecondsAgoAxis(orientation="bottom")})
    item = plot.getPlotItem()
    item.setTitle(title)
    item.setClipToView(True)
    item.setDownsampling(auto=True, mode="peak")
    item.setMenuEnabled(False)
    # Axes change only when their range does: keep them as pixmaps between changes
    # instead of replaying their tick text on every repaint.
    for side in ("left", "bottom"):
        item.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    # The x range follows the newest sample; panning would be undone every second.
    item.setMouseEnabled(x=False, y=False)
    item.hideButtons()
    if units:
        item.setLabel("left", units=units)
    item.setYRange(*(y_range or (0.0, 1.0)), padding=0)
    if legend:
        item.addLegend(offset=(5, 5), labelTextSize="8pt")
    plot.setMinimumSize(220, 140)
    return plot


class CurveSet:
    """The curves of one plot by name; a curve is created on first use, then reused.

    Only the first `legend_limit` curves get a legend entry; the rest are summed up in
    one "+N more" entry. A Docker or Kubernetes host easily has a hundred interfaces,
    and a legend that covers the whole plot helps nobody.
    """

    def __init__(self, plot: pg.PlotWidget, legend_limit: int = 8):
        self._plot = plot
        self._legend_limit = legend_limit
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._overflow: pg.PlotDataItem | None = None  # the "+N more" legend entry
        self._peaks: dict[str, float] = {}
        self._y_top: float | None = None
        self._span: float | None = None

    def curve(self, name: str) -> pg.PlotDataItem:
        """Return the curve called name, creating it with the next palette colour."""
        curve = self._curves.get(name)
        if curve is None:
            pen = pg.mkPen(PALETTE[len(self._curves) % len(PALETTE)], width=1)
            in_legend = len(self._curves) < self._legend_limit
            curve = self._plot.getPlotItem().plot(
                name=name if in_legend else None, pen=pen, skipFiniteCheck=True)
            self._curves[name] = curve
            if not in_legend:
                self._count_overflow()
        return curve

    def _count_overflow(self) -> None:
        legend = self._plot.getPlotItem().legend
        if legend is None:
            return
        text = f"+{len(self._curves) - self._legend_limit} more"
        if self._overflow is None:
            self._overflow = pg.PlotDataItem(pen=None)
            legend.addItem(self._overflow, text)
        else:
            legend.getLabel(self._overflow).setText(text)

    def set_data(self, name: str, x: np.ndarray, y: np.ndarray) -> None:
        """Replace the data of one curve (creating it if new)."""
        self.curve(name).setData(x, y, skipFiniteCheck=True)

    def show_buffer(self, name: str, buffer: RingBuffer, t_min: float, t_now: float) -> None:
        """Plot the part of a ring buffer at or after t_min, as seconds before t_now."""
        t, values = buffer.since(t_min)
        self._peaks[name] = float(values.max()) if len(values) else 0.0
        self.set_data(name, t - t_now, values)

    def set_span(self, seconds: float) -> None:
        """Show the last `seconds` on the time axis; unchanged spans cost nothing."""
        if seconds != self._span:
            self._span = seconds
            self._plot.setXRange(-seconds, 0.0, padding=0)

    def fit_y(self) -> None:
        """Fit the y axis from 0 to a rounded-up peak of the shown data."""
        top = nice_ceiling(max(self._peaks.values(), default=0.0))
        if top != self._y_top:
            self._y_top = top
            self._plot.setYRange(0.0, top, padding=0)

    def clear(self) -> None:
        """Remove every curve from the plot and its legend."""
        item = self._plot.getPlotItem()
        for curve in self._curves.values():
            item.removeItem(curve)
        self._curves.clear()
        self._peaks.clear()
        if self._overflow is not None:
            item.legend.removeItem(self._overflow)
            self._overflow = None

    def names(self) -> list[str]:
        """Names of the curves created so far."""
        return list(self._curves)

    def data(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """The (x, y) arrays last handed to a curve, before clipping and downsampling."""
        return self._curves[name].getOriginalDataset()

    def __contains__(self, name: object) -> bool:
        return name in self._curves

    def __len__(self) -> int:
        return len(self._curves)
