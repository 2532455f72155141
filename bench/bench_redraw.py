"""Redraw cost of 16 live plots × 600 points, against baselines measured in the same run.

A frame is what the hardware panel does per sample, for 16 plots at once: append the
sample, hand every curve its 600 newest points as seconds before now, refit the
rounded y range, and paint. Painting is forced with
a synchronous viewport().repaint() so every frame paints exactly once. Plots are built
by views.plots.make_time_plot, i.e. with the app's settings (pen width 1,
skipFiniteCheck, clip-to-view, peak downsampling, legend, seconds-ago axis).

Baselines, same window, same loop:
- 16 empty plots with the same axes (axes, title and frame, no curves);
- 16 bare QWidgets (the floor: one synchronous repaint each).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_redraw.py [--frames N]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication, QGridLayout, QWidget  # noqa: E402

from services.timeseries import RingBuffer  # noqa: E402
from views.plots import CurveSet, make_time_plot  # noqa: E402

PLOTS = 16
POINTS = 600
TARGET_MS = 10.0


def _window(widgets: list[QWidget]) -> QWidget:
    window = QWidget()
    grid = QGridLayout(window)
    for index, widget in enumerate(widgets):
        grid.addWidget(widget, index // 4, index % 4)
    window.resize(1600, 1000)
    window.show()
    QApplication.processEvents()
    return window


def frame_times(frames: int, curves_per_plot: int | None) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds per frame of 16 plots; curves_per_plot None means bare QWidgets.

    CPU time is this thread's own, so other processes on a shared machine inflate
    only the wall figure.
    """
    app = QApplication.instance()
    if curves_per_plot is None:
        widgets = [QWidget() for _ in range(PLOTS)]
        surfaces = widgets
    else:
        widgets = [make_time_plot(f"plot {i}", units="B/s") for i in range(PLOTS)]
        surfaces = [plot.viewport() for plot in widgets]
    window = _window(widgets)
    curve_sets = [CurveSet(w) for w in widgets] if curves_per_plot is not None else []
    for curves in curve_sets:
        curves.set_span(POINTS)
    rng = np.random.default_rng(1)
    # A positive random walk, like a byte rate; one buffer per curve, full from the start.
    data = np.abs(rng.standard_normal((max(curves_per_plot or 1, 1), POINTS + frames))
                  .cumsum(axis=1)) * 1000
    buffers = [RingBuffer(POINTS) for _ in range(curves_per_plot or 0)]
    for c, buffer in enumerate(buffers):
        for i in range(POINTS):
            buffer.append(float(i), data[c, i])
    wall, cpu = [], []
    for frame in range(frames):
        started, cpu_started = time.perf_counter(), time.thread_time()
        # What the hardware panel does per sample: append it, hand each curve its
        # window (as seconds before now), refit the rounded y range, paint.
        now = float(POINTS + frame)
        for c, buffer in enumerate(buffers):
            buffer.append(now, data[c, POINTS + frame])
        for curves in curve_sets:
            for c, buffer in enumerate(buffers):
                curves.show_buffer(f"c{c}", buffer, now - POINTS, now)
            curves.fit_y()
        for surface in surfaces:
            surface.repaint()
        wall.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - cpu_started)
        if frame % 25 == 0:
            app.processEvents()
    window.close()
    window.deleteLater()
    app.processEvents()
    return wall, cpu


def main() -> int:
    """Measure each case, interleaved in rounds, and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200, help="frames per case (default 200)")
    parser.add_argument("--curves", type=int, default=1, help="curves per plot (default 1)")
    args = parser.parse_args()
    QApplication(sys.argv[:1])
    frame_times(20, args.curves)  # warm-up: first paints, glyph caches
    cases = {"16 bare QWidgets": None, "16 empty plots": 0,
             f"16 plots x {args.curves} x {POINTS} points": args.curves}
    walls: dict[str, list[float]] = {name: [] for name in cases}
    cpus: dict[str, list[float]] = {name: [] for name in cases}
    rounds = 4  # interleaved, so load changes on a shared machine hit every case alike
    for _ in range(rounds):
        for name, curves in cases.items():
            wall, cpu = frame_times(args.frames // rounds, curves)
            walls[name] += wall
            cpus[name] += cpu

    print(f"platform {os.environ['QT_QPA_PLATFORM']}, {args.frames} frames per case, "
          "median ms per frame")
    print(f"{'case':32s} {'wall':>8s} {'cpu':>8s}   cpu ratio to empty plots / bare widgets")
    cpu_ms = {name: statistics.median(t) * 1e3 for name, t in cpus.items()}
    empty, bare = cpu_ms["16 empty plots"], cpu_ms["16 bare QWidgets"]
    for name in cases:
        wall_ms = statistics.median(walls[name]) * 1e3
        print(f"{name:32s} {wall_ms:8.2f} {cpu_ms[name]:8.2f}   "
              f"{cpu_ms[name] / empty:5.2f}x / {cpu_ms[name] / bare:7.1f}x")
    full = statistics.median(walls[f"16 plots x {args.curves} x {POINTS} points"]) * 1e3
    verdict = "ok" if full <= TARGET_MS else "OVER TARGET"
    print(f"target <= {TARGET_MS:.0f} ms per frame (wall): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
