"""Headless command line: version, help, usage errors, JSON snapshots, no Qt import."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from app import cli
from app.bootstrap import main
from app.version import __version__

ROOT = Path(__file__).resolve().parent.parent
QT_PACKAGES = ("PySide6", "shiboken6", "pyqtgraph")

# Runs main() with the given argv, then reports which Qt modules got loaded on stderr.
_PROBE = """
import json, sys
sys.path.insert(0, {root!r})
from app.bootstrap import main
code = main(sys.argv[1:])
loaded = sorted(m for m in sys.modules if m.split('.')[0] in {qt!r})
print('QT_MODULES=' + json.dumps(loaded), file=sys.stderr)
raise SystemExit(code)
"""


def run_main(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *argv],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=os.environ.copy(),
    )


def run_probe(*argv: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    code = _PROBE.format(root=str(ROOT), qt=QT_PACKAGES)
    proc = subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True, text=True, timeout=60, cwd=ROOT, env=os.environ.copy(),
    )
    marker = [line for line in proc.stderr.splitlines() if line.startswith("QT_MODULES=")]
    assert marker, proc.stderr
    return proc, json.loads(marker[-1].split("=", 1)[1])


def test_version_prints_name_and_version_without_qt():
    proc, qt_modules = run_probe("--version")
    assert proc.returncode == 0
    assert proc.stdout == f"cluster-lab {__version__}\n"
    assert qt_modules == []


def test_main_py_version():
    proc = run_main("--version")
    assert (proc.returncode, proc.stdout) == (0, "cluster-lab 0.1.0\n")


def test_help_lists_commands_and_options(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for word in ("--version", "--screenshot", "snapshot"):
        assert word in out
    assert main(["snapshot", "hardware", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--samples" in out and "--interval" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--no-such-option"], "unrecognized arguments"),
        (["snapshot"], "required: KIND"),
        (["snapshot", "toaster"], "invalid choice"),
        (["snapshot", "hardware", "--samples", "0"], "between 1 and"),
        (["snapshot", "hardware", "--samples", "two"], "not a whole number"),
        (["snapshot", "hardware", "--interval", "0"], "between 0.1 and 3600"),
        (["snapshot", "hardware", "--interval", "nan"], "between 0.1 and 3600"),
    ],
)
def test_usage_errors_exit_2_with_a_message(capsys, argv, message):
    assert main(argv) == cli.EXIT_USAGE == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_snapshot_hardware_prints_inventory_and_samples_without_qt():
    proc, qt_modules = run_probe("snapshot", "hardware", "--samples", "2", "--interval", "1")
    assert proc.returncode == 0, proc.stderr
    assert qt_modules == []
    data = json.loads(proc.stdout)
    assert data["target"] == "local"
    assert data["inventory"]["hostname"] == socket.gethostname()
    assert data["inventory"]["kernel"] == os.uname().release
    assert len(data["samples"]) == 2
    first, second = data["samples"]
    assert second["timestamp"] > first["timestamp"]
    for sample in data["samples"]:
        assert 0.0 <= sample["cpu_percent"] <= 100.0
        assert sample["memory"]["total"] > 0


def test_snapshot_through_main_py_is_valid_json():
    proc = run_main("snapshot", "hardware", "--samples", "1", "--interval", "0.2")
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["samples"]) == 1


def closed_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_target_exits_3_with_one_line_reason_and_no_qt():
    target = f"root@127.0.0.1:{closed_loopback_port()}"
    proc, qt_modules = run_probe("snapshot", "hardware", "--host", target, "--samples", "1")
    assert proc.returncode == cli.EXIT_UNREADABLE == 3
    assert proc.stdout == ""
    reason = [line for line in proc.stderr.splitlines() if not line.startswith("QT_MODULES=")]
    assert len(reason) == 1, proc.stderr
    assert reason[0].startswith("cluster-lab: cannot read ")
    assert target in reason[0] and "refused" in reason[0].lower()
    assert qt_modules == []


def test_every_snapshot_kind_is_a_subcommand():
    parser = cli.build_parser()
    for kind in cli.SNAPSHOT_KINDS:
        args = parser.parse_args(["snapshot", kind.name])
        assert args.snapshot_kind is kind
