"""A Docker engine reached through a namespace SSH host over the app's shared transport.

The namespace host shares this machine's filesystem, so its `docker system dial-stdio`
reaches the test dockerd's socket; its network namespace is its own, so the engine's
veths are not among its links and the host side reads as "no veth found" there.
"""
from __future__ import annotations

import threading
import time

from services.docker.client import collect_snapshot
from services.docker.events import DockerEventStream
from services.docker.remote import dial_stdio_argv, ssh_engine
from services.ssh.targets import resolve_target
from tests.docker.conftest import event_readers, run_container
from tests.ssh.helpers import NeverPrompter


def _remote_engine(dockerd, ssh_testbed, ssh_hosts, ssh_home, ssh_pool_factory):  # noqa: F811
    host = ssh_hosts[0]
    ssh_testbed.write_ssh_config(ssh_home, hosts=[host], known=True)
    pool = ssh_pool_factory(NeverPrompter())
    target = resolve_target(host.name)
    return pool, host, ssh_engine(pool, target, remote_socket=str(dockerd.socket))


def test_dial_stdio_argv_keeps_the_socket_one_word():
    assert dial_stdio_argv("/tmp/a b;$(x)/d.sock") == [
        "docker", "-H", "unix:///tmp/a b;$(x)/d.sock", "system", "dial-stdio",
    ]


def test_remote_snapshot_and_events_share_one_transport(
        dockerd, ssh_testbed, ssh_hosts, ssh_home, ssh_pool_factory):  # noqa: F811
    pool, host, engine = _remote_engine(dockerd, ssh_testbed, ssh_hosts, ssh_home, ssh_pool_factory)
    dockerd.docker("network", "create", "--subnet", "10.77.40.0/24", "--label", "x=$(id)", "remote-net")
    run_container(dockerd, "remote-box", "--network", "remote-net", "--ip", "10.77.40.7")
    run_container(dockerd, "remote-late")

    snap = collect_snapshot(engine)
    assert snap.engine.name == f"ssh:{host.name}" and snap.engine.version
    net = next(n for n in snap.networks if n.name == "remote-net")
    assert dict(net.labels) == {"x": "$(id)"}
    assert [(e.container_name, e.ipv4) for e in net.endpoints] == [("remote-box", "10.77.40.7")]
    # The SSH host answered for the host side, but from its own network namespace.
    assert snap.host_status == "ok"
    assert snap.host_side(net.id, net.endpoints[0].container_id).status == "no veth found"

    readers_before = event_readers()
    stream = DockerEventStream(engine)
    items, errors, arrivals = [], [], []

    def consume():
        try:
            for item in stream:
                items.append(item)
                arrivals.append(time.monotonic())
        except Exception as exc:  # noqa: BLE001 - recorded for the test
            errors.append(exc)

    reader = threading.Thread(target=consume, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 15
        # Steady state first: the resync has read the host side too.
        while (not items or items[-1].host_status != "ok") and time.monotonic() < deadline and not errors:
            time.sleep(0.05)
        assert items and items[-1].host_status == "ok", errors
        dockerd.docker("network", "connect", "remote-net", "remote-late")
        started = time.monotonic()
        def seen():
            last = next(n for n in items[-1].networks if n.name == "remote-net")
            return "remote-late" in {e.container_name for e in last.endpoints}
        while not seen() and time.monotonic() - started < 2.0:
            time.sleep(0.02)
        timeline = [(round(t - started, 3), i.host_status) for t, i in zip(arrivals, items)]
        assert seen(), f"connect not seen over SSH within 2 s: {timeline} {errors}"
        assert pool.transport_count(host.name) == 1
    finally:
        stream.close()
        reader.join(10)
    assert not reader.is_alive() and not errors
    # The SDK cannot cancel a stream over a channel: closing must still end the event
    # reader and its channel (and the remote dial-stdio), or each reconnect leaks them.
    deadline = time.monotonic() + 5
    while event_readers() - readers_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not event_readers() - readers_before


def test_cli_snapshot_of_a_remote_engine(dockerd, ssh_testbed, ssh_hosts, ssh_home):  # noqa: F811
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    host = ssh_hosts[1]
    ssh_testbed.write_ssh_config(ssh_home, hosts=[host], known=True)
    dockerd.docker("network", "create", "--subnet", "10.77.41.0/24", "cli-remote-net")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "HOME": str(ssh_home)}
    env.pop("DOCKER_HOST", None)
    argv = [sys.executable, "main.py", "snapshot", "docker-networks", "--host", host.name,
            "--remote-socket", str(dockerd.socket)]
    result = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["engine"]["name"] == f"ssh:{host.name}"
    assert "cli-remote-net" in {n["name"] for n in data["networks"]}
    # A host whose key is not known is refused in batch mode: exit 3, one line.
    (ssh_home / ".ssh" / "known_hosts").write_text("")
    refused = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 3 and len(refused.stderr.strip().splitlines()) == 1


def test_remote_engine_on_its_own_host_shows_veths_and_nat(dockerd, engine_ssh_host, ssh_pool_factory):
    # Here the SSH host is the machine running the engine: the host side read over SSH
    # must name the real veths and the real NAT rules, as for a local engine.
    from pathlib import Path

    from services.docker.model import VISIBLE

    dockerd.docker("network", "create", "--subnet", "10.77.43.0/24", "ssh-nat-net")
    run_container(dockerd, "ssh-nat-box", "--network", "ssh-nat-net", "--ip", "10.77.43.5",
                  "-p", "127.0.0.1::80")
    pool = ssh_pool_factory(NeverPrompter())
    engine = ssh_engine(pool, resolve_target(engine_ssh_host), remote_socket=str(dockerd.socket))
    assert engine.privilege_prefix == ()  # root: no sudo
    try:
        snap = collect_snapshot(engine)
        net = next(n for n in snap.networks if n.name == "ssh-nat-net")
        (endpoint,) = net.endpoints
        side = snap.host_side(net.id, endpoint.container_id)
        assert snap.host_status == VISIBLE and side.status == VISIBLE
        assert Path(f"/sys/class/net/{side.veth}/master").resolve().name == net.bridge_name
        dnat, masq = snap.nat_for(net)
        assert [(r.host_ip, r.to_ip, r.to_port) for r in dnat] == [("127.0.0.1", "10.77.43.5", 80)]
        assert [r.source for r in masq] == ["10.77.43.0/24"]
        assert pool.transport_count(engine_ssh_host) == 1
    finally:
        pool.close_all()
