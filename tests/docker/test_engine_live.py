"""Snapshots and events from a real dockerd: networks, endpoints, veths, NAT, kind, restarts."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from services.docker.client import DockerEngineClient, collect_snapshot
from services.docker.engines import EngineTarget, engine_for_url
from services.docker.events import DockerEventStream
from services.docker.hostside import HostInspector
from services.docker.model import NOT_PERMITTED, NOT_VISIBLE, VISIBLE
from services.errors import TargetUnavailable
from services.runner import LocalRunner
from tests.docker.conftest import event_readers, run_container

PWNED = Path("/tmp/cluster-lab-docker-pwned")


def _by_name(snapshot):
    return {n.name: n for n in snapshot.networks}


def test_three_networks_two_homed_container_port_and_nat(dockerd, engine, unique):
    a, b, c = unique("lab-a"), unique("lab-b"), unique("lab-c")
    dockerd.docker("network", "create", "--subnet", "10.77.11.0/24", "--gateway", "10.77.11.1",
                   "-o", "com.docker.network.driver.mtu=1400", a)
    dockerd.docker("network", "create", "--subnet", "10.77.12.0/24", "--internal", b)
    dockerd.docker("network", "create", "--subnet", "10.77.13.0/24",
                   "-o", "com.docker.network.bridge.name=clbr13", c)
    web = unique("web")
    run_container(dockerd, web, "--network", a, "--ip", "10.77.11.5", "-p", "127.0.0.1::80")
    dockerd.docker("network", "connect", "--ip", "10.77.12.5", b, web)
    run_container(dockerd, unique("other"), "--network", c)

    snap = collect_snapshot(engine)
    nets = _by_name(snap)
    assert [p.subnet for p in nets[a].pools] == ["10.77.11.0/24"]
    assert nets[a].mtu == 1400 and nets[b].internal and not nets[a].internal
    assert nets[c].bridge_name == "clbr13"
    assert nets[a].bridge_name == "br-" + nets[a].id[:12]
    container = next(x for x in snap.containers if x.name == web)
    assert {(n.name, e.ipv4) for n in snap.networks for e in n.endpoints if e.container_name == web} == {
        (a, "10.77.11.5"), (b, "10.77.12.5"),
    }
    # The host side is the real veth: it exists and sits on the network's bridge.
    for net in (nets[a], nets[b]):
        side = snap.host_side(net.id, container.id)
        assert side.status == VISIBLE and side.bridge == net.bridge_name
        assert Path(f"/sys/class/net/{side.veth}/master").resolve().name == net.bridge_name
    published = [p for p in container.ports if p.host_port]
    assert len(published) == 1 and published[0].host_ip == "127.0.0.1"
    dnat, masq = snap.nat_for(nets[a])
    assert [(r.host_ip, r.host_port, r.to_ip, r.to_port) for r in dnat] == [
        ("127.0.0.1", published[0].host_port, "10.77.11.5", 80)
    ]
    assert [r.source for r in masq] == ["10.77.11.0/24"]
    assert snap.nat_for(nets[b])[1] == ()  # internal networks are not masqueraded


def test_kind_nodes_on_kind_network(dockerd, engine):
    dockerd.docker("network", "create", "--subnet", "10.77.20.0/24", "kind")
    for node, role in (("lab-control-plane", "control-plane"), ("lab-worker", "worker")):
        run_container(dockerd, node, "--network", "kind", "--label", "io.x-k8s.kind.cluster=lab",
                      "--label", f"io.x-k8s.kind.role={role}")
    snap = collect_snapshot(engine)
    kind = _by_name(snap)["kind"]
    assert kind.is_kind
    described = {snap.container(e.container_id).kind_description for e in kind.endpoints}
    assert described == {
        "kind cluster lab, node lab-control-plane (control-plane)",
        "kind cluster lab, node lab-worker (worker)",
    }


def test_shell_metacharacters_stay_data(dockerd, engine):
    evil = f"$(touch {PWNED});`touch {PWNED}`|touch {PWNED}"
    dockerd.docker("network", "create", "--subnet", "10.77.21.0/24", "--label", f"x={evil}", "meta-net")
    name = "a_b.c-d..-_9"  # every character class Docker allows in a name
    run_container(dockerd, name, "--network", "meta-net", "--label", f"y={evil}")
    snap = collect_snapshot(engine)
    net = _by_name(snap)["meta-net"]
    assert dict(net.labels)["x"] == evil
    container = snap.container(net.endpoints[0].container_id)
    assert container.name == name and container.label("y") == evil
    assert snap.host_side(net.id, container.id).status == VISIBLE
    assert not PWNED.exists()


def test_nat_not_permitted_for_an_unprivileged_user(dockerd):
    # setpriv drops to nobody, as a host without sudo rights would: iptables-save refuses.
    nobody = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
    nat = HostInspector(LocalRunner(), nobody).read_nat()
    assert nat.status == NOT_PERMITTED and nat.reason


def test_unreachable_engine_is_target_unavailable(tmp_path):
    with pytest.raises(TargetUnavailable):
        collect_snapshot(engine_for_url(f"unix://{tmp_path}/missing.sock"))


def _consume(stream, items, errors):
    try:
        for item in stream:
            items.append((time.monotonic(), item))
    except Exception as exc:  # noqa: BLE001 - recorded for the test
        errors.append(exc)


def test_event_stream_resyncs_on_connect_and_disconnect(dockerd, engine, unique):
    net = unique("ev-net")
    dockerd.docker("network", "create", "--subnet", "10.77.22.0/24", net)
    name = unique("ev")
    run_container(dockerd, name)
    readers_before = event_readers()
    stream = DockerEventStream(engine)
    items, errors = [], []
    reader = threading.Thread(target=_consume, args=(stream, items, errors), daemon=True)
    reader.start()
    try:
        assert _wait(lambda: items and items[-1][1].host_status == VISIBLE, 10), errors
        def attached():
            snap = items[-1][1]
            return any(e.container_name == name for e in _by_name(snap)[net].endpoints)
        assert not attached()
        started = time.monotonic()
        dockerd.docker("network", "connect", net, name)
        assert _wait(attached, 2.0), "connect not seen within 2 s"
        assert items[-1][1].engine.last_event_at is not None
        snap = items[-1][1]
        container = next(c for c in snap.containers if c.name == name)
        net_id = _by_name(snap)[net].id
        # The engine's view comes first; the host side of the new interface follows.
        assert _wait(lambda: items[-1][1].host_side(net_id, container.id).status == VISIBLE, 2.0)
        first_veth = items[-1][1].host_side(net_id, container.id).veth
        assert first_veth.startswith("veth")
        dockerd.docker("restart", "-t", "0", name)
        def new_veth():
            latest = items[-1][1]
            side = latest.host_side(net_id, container.id)
            return side.status == VISIBLE and side.veth not in ("", first_veth)
        assert _wait(new_veth, 5.0), "restarted container's new veth not seen"
        dockerd.docker("network", "disconnect", net, name)
        assert _wait(lambda: not attached(), 2.0), "disconnect not seen within 2 s"
        assert time.monotonic() - started < 10
    finally:
        stream.close()
        reader.join(5)
    assert not reader.is_alive() and not errors
    assert _wait(lambda: not event_readers() - readers_before, 5), "event reader left running"


def test_event_stream_ends_when_dockerd_stops_and_a_new_one_resyncs(dockerd, engine):
    stream = DockerEventStream(engine)
    items, errors = [], []
    reader = threading.Thread(target=_consume, args=(stream, items, errors), daemon=True)
    reader.start()
    try:
        assert _wait(lambda: items, 10)
        dockerd.stop()
        assert _wait(lambda: errors, 15)
        assert isinstance(errors[0], TargetUnavailable)
        with pytest.raises(TargetUnavailable):
            next(iter(DockerEventStream(engine)))
        dockerd.start()
        fresh = DockerEventStream(engine)
        try:
            snap = next(iter(fresh))
            assert snap.engine.state == "running" and "bridge" in _by_name(snap)
        finally:
            fresh.close()
    finally:
        stream.close()
        reader.join(5)


def _wait(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())


def test_engine_without_an_inspectable_host_says_not_visible(dockerd, unique):
    # A TCP or context engine on another machine has no host runner: nothing is guessed.
    net = unique("blind-net")
    dockerd.docker("network", "create", "--subnet", "10.77.23.0/24", net)
    run_container(dockerd, unique("blind"), "--network", net, "-p", "127.0.0.1::80")
    snap = collect_snapshot(EngineTarget("blind", dockerd.url))
    network = _by_name(snap)[net]
    (endpoint,) = network.endpoints
    assert snap.host_status == NOT_VISIBLE and snap.nat.status == NOT_VISIBLE
    assert snap.host_side(network.id, endpoint.container_id).text == NOT_VISIBLE
    assert snap.nat_for(network) == ((), ())


def test_a_closed_client_opens_no_new_connection(dockerd, engine):
    client = DockerEngineClient(engine)
    assert client.snapshot().engine.version
    client.close()
    # A snapshot racing close() on the stream's thread must not reconnect (and leak).
    with pytest.raises(TargetUnavailable, match="closed"):
        client.snapshot()
    assert client._api is None


def test_shell_metacharacters_in_a_network_name_stay_data(dockerd, engine):
    evil = f"x;touch {PWNED}&&$(touch {PWNED})"
    dockerd.docker("network", "create", "--subnet", "10.77.24.0/24", evil)
    run_container(dockerd, "evil-net-box", "--network", evil)
    snap = collect_snapshot(engine)
    net = _by_name(snap)[evil]
    assert net.bridge_name == "br-" + net.id[:12]
    assert snap.host_side(net.id, net.endpoints[0].container_id).status == VISIBLE
    assert not PWNED.exists()


def test_a_stopped_container_has_no_endpoint(dockerd, engine, unique):
    from views.docker_topology import container_node_id, topology_graph

    net, name = unique("stop-net"), unique("stopped")
    dockerd.docker("network", "create", "--subnet", "10.77.25.0/24", net)
    run_container(dockerd, name, "--network", net)
    dockerd.docker("stop", "-t", "0", name)
    snap = collect_snapshot(engine)
    # Like `docker network inspect`: the attachment is remembered, the endpoint is gone.
    assert _by_name(snap)[net].endpoints == ()
    stopped = next(c for c in snap.containers if c.name == name)
    assert stopped.state == "exited" and [a.network_name for a in stopped.attachments] == [net]
    assert container_node_id(stopped.id) not in {n.id for n in topology_graph(snap).nodes}


def test_sudo_n_reads_the_host_side_or_is_not_permitted(dockerd, unique):
    net = unique("sudo-net")
    dockerd.docker("network", "create", "--subnet", "10.77.26.0/24", net)
    run_container(dockerd, unique("sudo-box"), "--network", net, "-p", "127.0.0.1::80")
    # root's sudo -n never prompts: nsenter and iptables-save run through it.
    snap = collect_snapshot(engine_for_url(dockerd.url, ("sudo", "-n")))
    network = _by_name(snap)[net]
    assert snap.host_side(network.id, network.endpoints[0].container_id).status == VISIBLE
    assert snap.nat.status == VISIBLE and len(snap.nat_for(network)[0]) == 1
    # A user sudo would ask for a password: -n refuses at once, shown as 'not permitted'.
    nobody_sudo = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sudo", "-n")
    nat = HostInspector(LocalRunner(), nobody_sudo).read_nat()
    assert nat.status == NOT_PERMITTED and "password" in nat.reason
