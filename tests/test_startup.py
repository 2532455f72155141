"""The real app started as a process: first-paint probe, --screenshot, log file."""
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_app(*argv: str, extra_env: dict[str, str] | None = None, timeout: float = 90,
              display: bool = True):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(extra_env or {})}
    if not display:
        for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
            env.pop(name, None)
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *argv],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env,
    )


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_first_paint_probe_reports_no_heavy_modules(lab_home):
    proc = start_app(extra_env={"CLUSTER_LAB_EXIT_ON_FIRST_PAINT": "1"})
    assert proc.returncode == 0, proc.stderr
    line = json.loads(proc.stdout.strip().splitlines()[-1])
    assert isinstance(line["first_paint_wall"], float)
    assert line["heavy_modules"] == []
    log_text = (lab_home / "log" / "cluster-lab.log").read_text()
    assert "Cluster Lab 0.1.0 starting" in log_text
    assert "Cluster Lab stopped" in log_text


def test_screenshot_waits_for_live_data_and_writes_a_png(tmp_path, lab_home):
    out = tmp_path / "window.png"
    proc = start_app("--screenshot", str(out), display=False)  # renders offscreen by itself
    assert proc.returncode == 0, proc.stderr
    width, height = png_size(out)
    assert width >= 640 and height >= 400
    # A documentation screenshot leaves the user's saved layout alone.
    assert not (lab_home / "config" / "cluster-lab.ini").exists()


def test_without_a_display_the_gui_explains_instead_of_aborting():
    proc = start_app(display=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "cluster-lab: no display (DISPLAY and WAYLAND_DISPLAY are unset); "
        "the snapshot commands work without one"
    ]
