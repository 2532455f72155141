"""Pure parsers: Docker API JSON, `iptables-save -t nat`, `ip -j link`, `bridge -j link`.

Every value comes from the engine or the host and is treated as untrusted data: any
shape we do not expect becomes a ParseError, never a crash and never a command.
"""
from __future__ import annotations

import json
import shlex
from typing import Any

from services.docker.model import (
    Container,
    ContainerAttachment,
    DnatRule,
    Endpoint,
    HostLink,
    IpamPool,
    MasqueradeRule,
    Network,
    PortBinding,
)
from services.errors import ParseError


def load_json(text: str, source: str) -> Any:
    """Decode JSON text, turning any decoding failure into a ParseError."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ParseError(source, f"not JSON: {exc}") from None


def _dict(value: Any, source: str, what: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ParseError(source, f"{what} is not an object")
    return value


def _list(value: Any, source: str, what: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError(source, f"{what} is not a list")
    return value


def _str(value: Any, source: str, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ParseError(source, f"{what} is not a string")
    return value


def _bool(value: Any, source: str, what: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ParseError(source, f"{what} is not a boolean")
    return value


def _int(value: Any, source: str, what: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ParseError(source, f"{what} is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise ParseError(source, f"{what} is not a number")


def _pairs(value: Any, source: str, what: str) -> tuple[tuple[str, str], ...]:
    mapping = _dict(value, source, what)
    return tuple(
        sorted((_str(k, source, what), _str(v, source, f"{what} value")) for k, v in mapping.items())
    )


def _ip_only(address: str) -> str:
    """Strip a '/prefix' from an address as network inspect reports it."""
    return address.split("/", 1)[0]


# -- docker API JSON ------------------------------------------------------------
def parse_networks(data: Any, source: str = "network inspect") -> tuple[Network, ...]:
    """Networks from `GET /networks` or `docker network inspect` (with Containers)."""
    return tuple(_parse_network(item, source) for item in _list(data, source, "networks"))


def _parse_network(item: Any, source: str) -> Network:
    item = _dict(item, source, "network")
    net_id = _str(item.get("Id"), source, "Id")
    name = _str(item.get("Name"), source, "Name")
    if not net_id or not name:
        raise ParseError(source, "network without Id or Name")
    ipam = _dict(item.get("IPAM"), source, "IPAM")
    pools = []
    for cfg in _list(ipam.get("Config"), source, "IPAM.Config"):
        cfg = _dict(cfg, source, "IPAM config")
        pools.append(
            IpamPool(
                _str(cfg.get("Subnet"), source, "Subnet"),
                _str(cfg.get("Gateway"), source, "Gateway"),
                _str(cfg.get("IPRange"), source, "IPRange"),
            )
        )
    endpoints = []
    for cid, ep in _dict(item.get("Containers"), source, "Containers").items():
        ep = _dict(ep, source, "endpoint")
        endpoints.append(
            Endpoint(
                network_id=net_id,
                container_id=_str(cid, source, "container id"),
                container_name=_str(ep.get("Name"), source, "endpoint Name"),
                ipv4=_ip_only(_str(ep.get("IPv4Address"), source, "IPv4Address")),
                ipv6=_ip_only(_str(ep.get("IPv6Address"), source, "IPv6Address")),
                mac=_str(ep.get("MacAddress"), source, "MacAddress"),
                endpoint_id=_str(ep.get("EndpointID"), source, "EndpointID"),
            )
        )
    network = Network(
        id=net_id,
        name=name,
        driver=_str(item.get("Driver"), source, "Driver"),
        scope=_str(item.get("Scope"), source, "Scope"),
        internal=_bool(item.get("Internal"), source, "Internal"),
        attachable=_bool(item.get("Attachable"), source, "Attachable"),
        ipv6_enabled=_bool(item.get("EnableIPv6"), source, "EnableIPv6"),
        ipam_driver=_str(ipam.get("Driver"), source, "IPAM.Driver"),
        pools=tuple(pools),
        options=_pairs(item.get("Options"), source, "Options"),
        labels=_pairs(item.get("Labels"), source, "Labels"),
        endpoints=tuple(sorted(endpoints, key=lambda e: (e.container_name, e.container_id))),
    )
    # Validate the MTU option now so a bad value fails here, not in a view.
    mtu = network.option("com.docker.network.driver.mtu")
    if mtu and not (mtu.isascii() and mtu.isdigit()):
        raise ParseError(source, "MTU option is not a number")
    return network


def parse_containers(data: Any, source: str = "container inspect") -> tuple[Container, ...]:
    """Containers from `GET /containers/json` or `docker inspect` output."""
    return tuple(_parse_container(item, source) for item in _list(data, source, "containers"))


def _parse_container(item: Any, source: str) -> Container:
    item = _dict(item, source, "container")
    cid = _str(item.get("Id"), source, "Id")
    if not cid:
        raise ParseError(source, "container without Id")
    settings = _dict(item.get("NetworkSettings"), source, "NetworkSettings")
    if "Names" in item:  # list form
        names = _list(item.get("Names"), source, "Names")
        name = _str(names[0], source, "Names[0]") if names else ""
        labels = item.get("Labels")
        state = _str(item.get("State"), source, "State")
        pid = None
        ports = _ports_from_list(item.get("Ports"), source)
    else:  # inspect form
        name = _str(item.get("Name"), source, "Name")
        labels = _dict(item.get("Config"), source, "Config").get("Labels")
        state_obj = _dict(item.get("State"), source, "State")
        state = _str(state_obj.get("Status"), source, "State.Status")
        pid = _int(state_obj.get("Pid"), source, "State.Pid") or None
        ports = _ports_from_inspect(settings.get("Ports"), source)
    attachments = []
    for net_name, net in _dict(settings.get("Networks"), source, "Networks").items():
        net = _dict(net, source, "network settings")
        attachments.append(
            ContainerAttachment(
                network_name=_str(net_name, source, "network name"),
                network_id=_str(net.get("NetworkID"), source, "NetworkID"),
                ipv4=_str(net.get("IPAddress"), source, "IPAddress"),
                ipv6=_str(net.get("GlobalIPv6Address"), source, "GlobalIPv6Address"),
                mac=_str(net.get("MacAddress"), source, "MacAddress"),
                endpoint_id=_str(net.get("EndpointID"), source, "EndpointID"),
            )
        )
    return Container(
        id=cid,
        name=name[1:] if name.startswith("/") else name,
        state=state,
        pid=pid,
        labels=_pairs(labels, source, "Labels"),
        ports=tuple(sorted(ports, key=lambda p: (p.container_port, p.protocol, p.host_ip))),
        attachments=tuple(sorted(attachments, key=lambda a: a.network_name)),
    )


def _split_port(key: str, source: str) -> tuple[int, str]:
    port, _, proto = key.partition("/")
    number = _int(port, source, "container port")
    if number is None:
        raise ParseError(source, "empty container port")
    return number, proto or "tcp"


def _ports_from_inspect(value: Any, source: str) -> list[PortBinding]:
    ports = []
    for key, bindings in _dict(value, source, "Ports").items():
        number, proto = _split_port(_str(key, source, "port"), source)
        if bindings is None:
            ports.append(PortBinding(number, proto))
        for binding in _list(bindings, source, "port bindings"):
            binding = _dict(binding, source, "port binding")
            ports.append(
                PortBinding(
                    number,
                    proto,
                    _str(binding.get("HostIp"), source, "HostIp"),
                    _int(binding.get("HostPort"), source, "HostPort"),
                )
            )
    return ports


def _ports_from_list(value: Any, source: str) -> list[PortBinding]:
    ports = []
    for entry in _list(value, source, "Ports"):
        entry = _dict(entry, source, "port")
        number = _int(entry.get("PrivatePort"), source, "PrivatePort")
        if number is None:
            raise ParseError(source, "port without PrivatePort")
        ports.append(
            PortBinding(
                number,
                _str(entry.get("Type"), source, "Type") or "tcp",
                _str(entry.get("IP"), source, "IP"),
                _int(entry.get("PublicPort"), source, "PublicPort"),
            )
        )
    return ports


# -- iptables-save -t nat -----------------------------------------------------
def parse_iptables_nat(
    text: str, source: str = "iptables-save"
) -> tuple[tuple[DnatRule, ...], tuple[MasqueradeRule, ...]]:
    """DOCKER-chain DNAT rules and POSTROUTING MASQUERADE rules from `iptables-save -t nat`."""
    if not isinstance(text, str):
        raise ParseError(source, "not text")
    in_nat = saw_table = False
    dnat: list[DnatRule] = []
    masq: list[MasqueradeRule] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("*"):
            in_nat, saw_table = line == "*nat", True
            continue
        if line == "COMMIT" or line.startswith(":"):
            continue
        if not line.startswith("-A ") or not saw_table:
            raise ParseError(source, f"unexpected line: {line[:80]!r}")
        if not in_nat:
            continue
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise ParseError(source, f"bad quoting: {exc}") from None
        rule = _rule_options(words, source)
        chain, target = rule.get("-A", ""), rule.get("-j", "")
        if chain == "DOCKER" and target == "DNAT":
            dnat.append(_dnat(rule, line, source))
        elif chain == "POSTROUTING" and target == "MASQUERADE" and "-s" in rule:
            if rule.get("-s") != rule.get("-d"):  # skip Docker's hairpin rules
                masq.append(MasqueradeRule(rule["-s"], rule.get("!-o", rule.get("-o", "")), line))
    if not saw_table:
        raise ParseError(source, "no table in output")
    return tuple(dnat), tuple(masq)


def _rule_options(words: list[str], source: str) -> dict[str, str]:
    """Map each option to its value; negation is kept as a '!' prefix on the option."""
    options: dict[str, str] = {}
    negate = False
    i = 0
    while i < len(words):
        word = words[i]
        if word == "!":
            negate = True
        elif word.startswith("-"):
            value = ""
            if i + 1 < len(words) and not words[i + 1].startswith("-") and words[i + 1] != "!":
                value = words[i + 1]
                i += 1
            options[("!" if negate else "") + word] = value
            negate = False
        i += 1
    if not options.get("-A"):
        raise ParseError(source, "rule without chain")
    return options


def _dnat(rule: dict[str, str], line: str, source: str) -> DnatRule:
    dest = rule.get("--to-destination", "")
    to_ip, _, to_port = dest.rpartition(":")
    if to_ip.startswith("[") and to_ip.endswith("]"):
        to_ip = to_ip[1:-1]
    host_port = _int(rule.get("--dport"), source, "--dport")
    target_port = _int(to_port, source, "DNAT port")
    if not to_ip or host_port is None or target_port is None:
        raise ParseError(source, f"DNAT rule without destination port: {line[:80]!r}")
    host_ip = rule.get("-d", "").removesuffix("/32").removesuffix("/128")
    return DnatRule(
        protocol=rule.get("-p", ""),
        host_ip=host_ip,
        host_port=host_port,
        to_ip=to_ip,
        to_port=target_port,
        in_interface=("!" + rule["!-i"]) if "!-i" in rule else rule.get("-i", ""),
        rule=line,
    )


# -- ip -j link / bridge -j link ------------------------------------------------
def parse_ip_link(text: str, source: str = "ip -j link") -> tuple[HostLink, ...]:
    """Interfaces from `ip -j link` (host or inside a container's network namespace)."""
    links = []
    for item in _list(load_json(text, source), source, "links"):
        item = _dict(item, source, "link")
        ifindex = _int(item.get("ifindex"), source, "ifindex")
        name = _str(item.get("ifname"), source, "ifname")
        if ifindex is None or not name:
            raise ParseError(source, "link without ifindex or ifname")
        links.append(
            HostLink(
                ifindex=ifindex,
                name=name,
                operstate=_str(item.get("operstate"), source, "operstate"),
                master=_str(item.get("master"), source, "master"),
                peer_ifindex=_int(item.get("link_index"), source, "link_index"),
                mac=_str(item.get("address"), source, "address"),
            )
        )
    return tuple(links)


def parse_bridge_link(text: str, source: str = "bridge -j link") -> dict[str, tuple[str, str]]:
    """Bridge ports from `bridge -j link`: port name -> (bridge, STP state)."""
    ports: dict[str, tuple[str, str]] = {}
    for item in _list(load_json(text, source), source, "bridge ports"):
        item = _dict(item, source, "bridge port")
        name = _str(item.get("ifname"), source, "ifname")
        if not name:
            raise ParseError(source, "bridge port without ifname")
        ports[name] = (
            _str(item.get("master"), source, "master"),
            _str(item.get("state"), source, "state"),
        )
    return ports
