"""Parsers over outputs recorded from a real dockerd 20.10 and its host, plus fuzzing."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.docker.events import event_time, is_relevant
from services.docker.hostside import map_host_sides
from services.docker.model import VISIBLE, DockerNetworksSnapshot, EngineInfo, HostLink, NatTable
from services.docker.parsers import (
    load_json,
    parse_bridge_link,
    parse_containers,
    parse_ip_link,
    parse_iptables_nat,
    parse_networks,
)
from services.docker.snapshot import merge_endpoints, snapshot_to_dict
from services.errors import ParseError

DATA = Path(__file__).resolve().parents[1] / "data" / "docker"


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def networks_by_name(text_file: str):
    return {n.name: n for n in parse_networks(load_json(read(text_file), text_file))}


def test_network_inspect_columns():
    nets = networks_by_name("network_inspect.json")
    assert set(nets) == {"bridge", "host", "none", "kind", "labnet-a", "labnet-b", "labnet-c"}
    a = nets["labnet-a"]
    assert (a.driver, a.scope, a.internal, a.attachable) == ("bridge", "local", False, False)
    assert [(p.subnet, p.gateway) for p in a.pools] == [("10.77.1.0/24", "10.77.1.1")]
    assert a.mtu == 1450
    assert a.bridge_name == "br-" + a.id[:12]
    assert a.ip_masquerade is True
    assert dict(a.labels) == {"env": "lab", "evil": "$(touch /tmp/pwned)"}
    assert nets["labnet-b"].internal is True
    c = nets["labnet-c"]
    assert c.bridge_name == "labbr3" and c.attachable and c.ipv6_enabled
    assert {p.subnet for p in c.pools if p.is_ipv6} == {"fd77:3::/64"}
    assert nets["bridge"].bridge_name == "docker0"
    assert nets["host"].bridge_name == "" and nets["host"].ip_masquerade is None
    assert nets["kind"].is_kind and not a.is_kind


def test_network_inspect_endpoints_strip_prefix():
    kind = networks_by_name("network_inspect.json")["kind"]
    assert [(e.container_name, e.ipv4) for e in kind.endpoints] == [
        ("kind-control-plane", "10.77.4.2"),
        ("kind-worker", "10.77.4.3"),
    ]
    assert all(e.mac.startswith("02:42:0a:4d:04:") for e in kind.endpoints)


def test_network_list_form_has_same_networks():
    listed = networks_by_name("api_networks.json")
    inspected = networks_by_name("network_inspect.json")
    assert set(listed) == set(inspected)
    assert listed["labnet-a"].pools == inspected["labnet-a"].pools


def test_container_inspect_and_list_forms_agree():
    inspected = {c.name: c for c in parse_containers(load_json(read("container_inspect.json"), "x"))}
    listed = {c.name: c for c in parse_containers(load_json(read("api_containers.json"), "x"))}
    assert set(inspected) == set(listed) == {
        "web", "db_1.x-y", "kind-control-plane", "kind-worker", "plain",
    }
    web = inspected["web"]
    assert web.pid and web.state == "running" and listed["web"].pid is None
    assert [a.network_name for a in web.attachments] == ["labnet-a", "labnet-b"]
    assert [a.network_name for a in listed["web"].attachments] == ["labnet-a", "labnet-b"]
    assert ("127.0.0.1", 18080, 80) in {(p.host_ip, p.host_port, p.container_port) for p in web.ports}
    assert {(p.container_port, p.host_port) for p in listed["web"].ports} == {
        (p.container_port, p.host_port) for p in web.ports
    }
    assert inspected["db_1.x-y"].label("note") == "$(touch /tmp/pwned);`id`"
    assert inspected["kind-worker"].kind_description == "kind cluster kind, node kind-worker (worker)"
    assert inspected["plain"].kind_description == ""


def test_iptables_nat_dnat_and_masquerade():
    dnat, masq = parse_iptables_nat(read("iptables_save_nat.txt"))
    assert {(r.host_ip, r.host_port, r.to_ip, r.to_port, r.protocol) for r in dnat} == {
        ("127.0.0.1", 18080, "10.77.1.2", 80, "tcp"),
        ("", 18443, "10.77.1.2", 443, "tcp"),
    }
    assert all(r.in_interface.startswith("!br-") for r in dnat)
    # Docker's hairpin rules (-s X/32 -d X/32) are not network masquerades.
    assert {(r.source, r.out_interface) for r in masq} == {
        ("10.77.4.0/24", "br-778d807ebcff"),
        ("10.77.3.0/24", "labbr3"),
        ("10.77.1.0/24", "br-ef89024f2432"),
        ("10.77.250.0/24", "docker0"),
    }


def test_host_side_pairs_each_endpoint_with_its_veth():
    containers = parse_containers(load_json(read("container_inspect.json"), "x"))
    host_links = parse_ip_link(read("ip_link.json"))
    ports = parse_bridge_link(read("bridge_link.json"))
    inner = {}
    for c in containers:
        path = DATA / f"container_ip_link_{c.name}.json"
        if path.exists():
            inner[c.id] = (VISIBLE, parse_ip_link(path.read_text()))
    sides = map_host_sides(containers, host_links, ports, inner)
    web = next(c for c in containers if c.name == "web")
    a, b = web.attachments
    assert sides[(a.network_id, web.id)].veth == "veth4a50ab1"
    assert sides[(a.network_id, web.id)].bridge == "br-ef89024f2432"
    assert sides[(a.network_id, web.id)].state == "up, forwarding"
    assert sides[(b.network_id, web.id)].bridge == "br-d654047a27e5"
    plain = next(c for c in containers if c.name == "plain")
    assert sides[(plain.attachments[0].network_id, plain.id)].status == "not visible"


def test_host_side_needs_the_host_end_to_point_back():
    # The same ifindex in another namespace (an SSH host that does not run the engine)
    # is an unrelated interface: it must not be reported as the endpoint's veth.
    containers = parse_containers(load_json(read("container_inspect.json"), "x"))
    web = next(c for c in containers if c.name == "web")
    inner = {web.id: (VISIBLE, parse_ip_link(read("container_ip_link_web.json")))}
    unrelated = (HostLink(11, "eth0", "up"), HostLink(13, "veth-other", "up", "br0", 99))
    sides = map_host_sides([web], unrelated, {}, inner)
    assert {side.status for side in sides.values()} == {"no veth found"}


def test_snapshot_json_from_recorded_parts():
    containers = parse_containers(load_json(read("container_inspect.json"), "x"))
    nets = merge_endpoints(parse_networks(load_json(read("api_networks.json"), "x")), containers)
    dnat, masq = parse_iptables_nat(read("iptables_save_nat.txt"))
    snap = DockerNetworksSnapshot(
        EngineInfo("local", "unix:///x", "running"), nets, containers, {}, "not visible",
        NatTable(VISIBLE, dnat, masq),
    )
    data = json.loads(json.dumps(snapshot_to_dict(snap)))
    labnet_a = next(n for n in data["networks"] if n["name"] == "labnet-a")
    assert [e["container"] for e in labnet_a["endpoints"]] == ["web"]
    assert {r["to"] for r in labnet_a["nat"]["dnat"]} == {"10.77.1.2:80", "10.77.1.2:443"}
    assert labnet_a["nat"]["masquerade"][0]["source"] == "10.77.1.0/24"


@pytest.mark.parametrize(
    "text",
    ["", "garbage", "-A DOCKER -j DNAT", "*nat\n-A DOCKER -p tcp --dport x -j DNAT --to-destination a:b",
     "*nat\n-A DOCKER -j DNAT --to-destination 10.0.0.1:80", "*nat\n-A 'unterminated"],
)
def test_iptables_garbage_is_a_parse_error(text):
    with pytest.raises(ParseError):
        parse_iptables_nat(text)


@pytest.mark.parametrize(
    "data",
    [{}, [1], [{"Id": "x"}], [{"Id": "x", "Name": "n", "IPAM": []}],
     [{"Id": "x", "Name": "n", "Options": {"com.docker.network.driver.mtu": "big"}}]],
)
def test_network_garbage_is_a_parse_error(data):
    with pytest.raises(ParseError):
        parse_networks(data)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=25,
)


def _mutated(recorded: list) -> st.SearchStrategy:
    """Recorded items with one key replaced by an arbitrary JSON value."""
    def mutate(args):
        index, key_pick, value = args
        item = dict(recorded[index % len(recorded)])
        keys = sorted(item)
        item[keys[key_pick % len(keys)]] = value
        return [item]
    return st.tuples(st.integers(0, 50), st.integers(0, 50), JSON_VALUES).map(mutate)


@settings(max_examples=200, deadline=None)
@given(st.one_of(JSON_VALUES, _mutated(json.loads(read("network_inspect.json")))))
def test_fuzz_networks(data):
    try:
        parse_networks(data)
    except ParseError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.one_of(
    JSON_VALUES,
    _mutated(json.loads(read("container_inspect.json"))),
    _mutated(json.loads(read("api_containers.json"))),
))
def test_fuzz_containers(data):
    try:
        parse_containers(data)
    except ParseError:
        pass


RECORDED_NAT = read("iptables_save_nat.txt").splitlines()


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(RECORDED_NAT) | st.text(max_size=60), max_size=12).map("\n".join),
))
def test_fuzz_iptables(text):
    try:
        dnat, masq = parse_iptables_nat(text)
    except ParseError:
        return
    assert all(isinstance(r.host_port, int) for r in dnat)


@settings(max_examples=200, deadline=None)
@given(st.one_of(
    st.text(max_size=200),
    JSON_VALUES.map(json.dumps),
    _mutated(json.loads(read("ip_link.json"))).map(json.dumps),
    _mutated(json.loads(read("bridge_link.json"))).map(json.dumps),
))
def test_fuzz_link_parsers(text):
    for parse in (parse_ip_link, parse_bridge_link):
        try:
            parse(text)
        except ParseError:
            pass


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES)
def test_fuzz_event_fields(event):
    relevant = is_relevant(event)
    assert isinstance(relevant, bool)
    if isinstance(event, dict):
        assert isinstance(event_time(event), float)


def test_relevant_events():
    assert is_relevant({"Type": "network", "Action": "connect", "Actor": {"ID": "n"}})
    assert is_relevant({"Type": "container", "Action": "rename"})
    assert not is_relevant({"Type": "container", "Action": "exec_start: sh"})
    assert not is_relevant({"Type": "image", "Action": "pull"})
    assert event_time({"timeNano": 1_500_000_000_000_000_000}) == 1.5e9
