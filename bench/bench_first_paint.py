"""Time to first paint of `python main.py` against a bare PySide6 + pyqtgraph window.

Both are started as fresh processes in the same run, alternately, N times each. Each
child prints one JSON line at the first Paint event of its main window,
{"first_paint_wall": time.time(), "heavy_modules": [...]}, and exits; the figure is
that time minus the wall time taken just before Popen. The app does this when
CLUSTER_LAB_EXIT_ON_FIRST_PAINT=1; the baseline below does the same by hand.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_first_paint.py [--runs N]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.2

# The reference: what any PySide6 + pyqtgraph app pays for one window with one plot.
BASELINE = r"""
import json, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
import pyqtgraph as pg

HEAVY = ("kubernetes", "docker", "paramiko")

# Filtered on the application: the plot covers the whole main window, so Qt sends its
# first Paint to the plot, not to the window itself.
class Probe(QObject):
    done = False
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and not self.done:
            self.done = True
            heavy = sorted(n for n in sys.modules if n.split(".", 1)[0] in HEAVY)
            print(json.dumps({"first_paint_wall": time.time(), "heavy_modules": heavy}), flush=True)
            QTimer.singleShot(0, lambda: QApplication.exit(0))
        return False

app = QApplication(sys.argv[:1])
window = QMainWindow()
plot = pg.PlotWidget()
plot.plot([0, 1, 2, 3], [0, 1, 0, 1])
window.setCentralWidget(plot)
window.resize(1280, 800)
probe = Probe()
app.installEventFilter(probe)
window.show()
sys.exit(app.exec())
"""


def first_paint(argv: list[str], env: dict[str, str]) -> tuple[float, list[str]]:
    """Seconds from just before Popen to the child's first paint, and its heavy modules."""
    started = time.time()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        out, _ = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise SystemExit(f"{argv[1:2]} did not paint within 120 s") from None
    if proc.returncode != 0:
        raise SystemExit(f"{argv[1:]} exited {proc.returncode}")
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"{argv[1:]} printed no first-paint line: {out!r}")
    report = json.loads(lines[-1])
    return report["first_paint_wall"] - started, report["heavy_modules"]


def main() -> int:
    """Run both N times, alternately, and print medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each (default 7)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cluster-lab-bench-") as home:
        env = dict(os.environ, CLUSTER_LAB_HOME=home, CLUSTER_LAB_EXIT_ON_FIRST_PAINT="1")
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        app_argv = [sys.executable, "main.py"]
        base_argv = [sys.executable, "-c", BASELINE]
        # One untimed run of each warms the page cache for both alike.
        first_paint(app_argv, env)
        first_paint(base_argv, env)
        app_times, base_times, heavy = [], [], set()
        for _ in range(args.runs):
            seconds, modules = first_paint(app_argv, env)
            app_times.append(seconds)
            heavy.update(modules)
            base_times.append(first_paint(base_argv, env)[0])

    app_ms, base_ms = statistics.median(app_times) * 1e3, statistics.median(base_times) * 1e3
    ratio = app_ms / base_ms
    print(f"platform            {env['QT_QPA_PLATFORM']}, {args.runs} runs each, medians")
    print(f"baseline (1 plot)   {base_ms:7.0f} ms   runs: {_list(base_times)}")
    print(f"python main.py      {app_ms:7.0f} ms   runs: {_list(app_times)}")
    verdict = "ok" if ratio <= TARGET_RATIO else "OVER TARGET"
    print(f"ratio               {ratio:7.2f}x   (target <= {TARGET_RATIO}x: {verdict})")
    print(f"heavy modules at first paint: {sorted(heavy) or 'none'}")
    return 0


def _list(times: list[float]) -> str:
    return " ".join(f"{t * 1e3:.0f}" for t in times)


if __name__ == "__main__":
    raise SystemExit(main())
