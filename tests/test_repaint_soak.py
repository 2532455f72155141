"""Repaint soak: 16 live plots repainted 1,500 times in one process must not crash.

PySide6 6.12.0 on Python 3.11 aborts pyqtgraph windows within about a thousand
repaints (``Fatal Python error: none_dealloc`` from a reference-count bug reached via
QPainter.drawLine in the axes). The pinned PySide6 must pass this test. The repaints run
in a child process, so an abort shows up as a failed test with the signal that killed
the child instead of taking pytest down with it.

Run directly (``python tests/test_repaint_soak.py FRAMES``) to drive the soak by hand.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRAMES = 1500
PLOTS = 16
POINTS = 600


def run_soak(frames: int, plots: int = PLOTS, points: int = POINTS) -> dict:
    """Repaint `plots` plots of a `points`-point curve `frames` times; return counts."""
    import numpy as np
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QGridLayout, QWidget

    from views.plots import CurveSet, make_time_plot

    class PaintCounter(QObject):
        """Counts paint events of the plot viewports, proving each frame really drew."""

        def __init__(self):
            super().__init__()
            self.counts: dict[int, int] = {}

        def eventFilter(self, watched, event):  # noqa: N802 - Qt override
            if event.type() == QEvent.Type.Paint:
                self.counts[id(watched)] = self.counts.get(id(watched), 0) + 1
            return False

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = QWidget()
    grid = QGridLayout(window)
    counter = PaintCounter()
    widgets, curve_sets = [], []
    for index in range(plots):
        # A fixed y range, like the CPU plots: the moving time axis and the legend
        # already call QPainter.drawLine from Python on every frame, and sparing the
        # y axes a re-layout per frame keeps 1,500 frames within a minute.
        plot = make_time_plot(f"plot {index}", units="%", y_range=(-5.0, 105.0))
        plot.viewport().installEventFilter(counter)
        grid.addWidget(plot, index // 4, index % 4)
        widgets.append(plot)
        curve_sets.append(CurveSet(plot))
    window.resize(800, 520)
    window.show()
    app.processEvents()

    rng = np.random.default_rng(7)
    steps = np.arange(points + frames)
    load = 50 + 40 * np.sin(steps / 20) + rng.uniform(-5, 5, steps.size)
    t0 = time.time()
    started = time.perf_counter()
    done = 0
    for frame in range(frames):
        # A moving time window, as in the live panels: axes re-draw their ticks each frame.
        x = t0 + np.arange(frame, frame + points, dtype=np.float64)
        for curves, plot in zip(curve_sets, widgets):
            curves.set_data("load", x, load[frame : frame + points])
            plot.setXRange(x[0], x[-1], padding=0)
        for plot in widgets:
            plot.viewport().repaint()  # forced, synchronous: exactly one paint per frame
        if frame % 25 == 0:
            # Drain queued scene and layout work now and then. Draining every frame
            # would add a second, event-driven paint per frame and double the runtime.
            app.processEvents()
        done += 1
    app.processEvents()
    elapsed = time.perf_counter() - started
    paints = [counter.counts.get(id(plot.viewport()), 0) for plot in widgets]
    window.close()
    return {"frames": done, "min_viewport_paints": min(paints), "seconds": elapsed}


@pytest.mark.soak
def test_1500_repaints_of_16_plots_do_not_crash():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONFAULTHANDLER="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, str(Path(__file__)), str(FRAMES)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    if proc.returncode < 0:
        name = signal.Signals(-proc.returncode).name
        pytest.fail(f"soak child killed by {name}:\n{proc.stderr[-3000:]}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["frames"] == FRAMES
    # Every plot must have drawn every frame, or the soak proved nothing.
    assert result["min_viewport_paints"] >= FRAMES, result


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    print(json.dumps(run_soak(int(sys.argv[1]) if len(sys.argv) > 1 else FRAMES)))
