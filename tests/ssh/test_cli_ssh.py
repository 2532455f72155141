"""`main.py snapshot hardware --host` against real namespace hosts, with exit code 3 reasons."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _cli(home: Path, lab_home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SSH_AUTH_SOCK"}
    env.update(HOME=str(home), CLUSTER_LAB_HOME=str(lab_home))
    return subprocess.run([sys.executable, "main.py", "snapshot", "hardware", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=90)


def _one_line_reason(proc) -> str:
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_snapshot_of_an_alias_with_samples(ssh_testbed, ssh_hosts, ssh_home, lab_home):
    host = ssh_hosts[1]
    ssh_testbed.write_ssh_config(ssh_home, known=True)
    proc = _cli(ssh_home, lab_home, "--host", host.name, "--samples", "2", "--interval", "1")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["target"] == host.name and len(data["samples"]) == 2
    eth0 = [i for i in data["inventory"]["interfaces"] if i["name"] == "eth0"]
    assert f"{host.address}/24" in eth0[0]["addresses"]


def test_snapshot_through_proxy_jump(ssh_testbed, ssh_hosts, ssh_home, lab_home):
    ssh_testbed.write_ssh_config(ssh_home, known=True)
    proc = _cli(ssh_home, lab_home, "--host", ssh_testbed.hidden.name, "--samples", "1", "--interval", "0.5")
    assert proc.returncode == 0, proc.stderr
    addresses = [a for i in json.loads(proc.stdout)["inventory"]["interfaces"] for a in i["addresses"]]
    assert f"{ssh_testbed.hidden.address}/24" in addresses


def test_unknown_key_needs_accept_new(ssh_testbed, ssh_hosts, ssh_home, lab_home):
    host = ssh_hosts[0]
    ssh_testbed.write_ssh_config(ssh_home)
    reason = _one_line_reason(_cli(ssh_home, lab_home, "--host", host.name, "--samples", "1"))
    assert "host key unknown" in reason and host.fingerprint() in reason and "ssh-ed25519" in reason
    proc = _cli(ssh_home, lab_home, "--host", host.name, "--samples", "1", "--accept-new")
    assert proc.returncode == 0, proc.stderr
    assert (lab_home / "config" / "known_hosts").read_text() == host.known_hosts_line()
    assert _cli(ssh_home, lab_home, "--host", host.name, "--samples", "1").returncode == 0


def test_changed_key_exits_3_with_both_fingerprints(ssh_testbed, ssh_host_factory, ssh_home, lab_home):
    host = ssh_host_factory()
    ssh_testbed.write_ssh_config(ssh_home, hosts=[host], known=True)
    old = host.fingerprint()
    host.restart_with_new_hostkey()
    reason = _one_line_reason(_cli(ssh_home, lab_home, "--host", host.name, "--accept-new"))
    assert "HOST KEY CHANGED" in reason and old in reason and host.fingerprint() in reason


def test_auth_failed_exits_3(ssh_testbed, ssh_hosts, ssh_home, lab_home):
    host = ssh_hosts[0]
    (ssh_home / ".ssh" / "known_hosts").write_text(host.known_hosts_line())
    # Password only and no one to ask in batch mode: OpenSSH BatchMode fails the same way.
    reason = _one_line_reason(_cli(ssh_home, lab_home, "--host", f"{ssh_testbed.user}@{host.address}"))
    assert "authentication failed" in reason and ssh_testbed.user in reason


def test_unreachable_exits_3(ssh_testbed, ssh_host_factory, ssh_home, lab_home):
    host = ssh_host_factory()
    ssh_testbed.write_ssh_config(ssh_home, hosts=[host], known=True)
    host.kill_sshd()
    reason = _one_line_reason(_cli(ssh_home, lab_home, "--host", host.name))
    assert "cannot connect" in reason and "refused" in reason.lower()


def test_a_server_that_is_not_ssh_exits_3_with_one_line(ssh_home, lab_home):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]

        def answer_garbage():
            conn, _ = server.accept()
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

        thread = threading.Thread(target=answer_garbage, daemon=True)
        thread.start()
        reason = _one_line_reason(_cli(ssh_home, lab_home, "--host", f"root@127.0.0.1:{port}"))
        thread.join(10)
    assert "SSH handshake failed" in reason
