"""`python main.py snapshot docker-networks` against the real dockerd, as a user runs it."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.docker.conftest import run_container

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, env_home: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "HOME": str(env_home), "CLUSTER_LAB_HOME": str(env_home / "lab")}
    return subprocess.run([sys.executable, "main.py", "snapshot", "docker-networks", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)


def test_snapshot_prints_networks_endpoints_host_side_and_nat(dockerd, tmp_path):
    dockerd.docker("network", "create", "--subnet", "10.77.50.0/24", "cli-net")
    run_container(dockerd, "cli-box", "--network", "cli-net", "-p", "127.0.0.1::80")
    result = _cli("--engine", dockerd.url, env_home=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["engine"]["url"] == dockerd.url and data["nat"]["status"] == "ok"
    net = next(n for n in data["networks"] if n["name"] == "cli-net")
    (endpoint,) = net["endpoints"]
    assert endpoint["container"] == "cli-box" and endpoint["ipv4"].startswith("10.77.50.")
    assert endpoint["host_side"]["status"] == "ok" and endpoint["host_side"]["veth"].startswith("veth")
    assert [r["to"] for r in net["nat"]["dnat"]] == [f"{endpoint['ipv4']}:80"]
    assert net["nat"]["masquerade"][0]["source"] == "10.77.50.0/24"


def test_docker_host_environment_picks_the_engine(dockerd, tmp_path):
    env_home = tmp_path
    result = subprocess.run(
        [sys.executable, "main.py", "snapshot", "docker-networks"], cwd=ROOT, capture_output=True,
        text=True, timeout=60,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(env_home), "DOCKER_HOST": dockerd.url,
             "CLUSTER_LAB_HOME": str(env_home / "lab")},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["engine"]["url"] == dockerd.url


def test_unreachable_engine_exits_3_with_one_line(tmp_path):
    result = _cli("--engine", f"unix://{tmp_path}/none.sock", env_home=tmp_path)
    assert result.returncode == 3 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "cannot read Docker engine" in result.stderr


def test_engine_and_host_together_is_a_usage_error(tmp_path):
    result = _cli("--engine", "unix:///x", "--host", "h", env_home=tmp_path)
    assert result.returncode == 2


def test_cli_import_does_not_load_the_docker_sdk():
    code = "import sys, app.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in ('docker', 'PySide6')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr
