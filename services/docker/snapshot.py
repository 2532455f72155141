"""Assembling a snapshot from parsed parts, and turning it into JSON-able data."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable

from services.docker.model import Container, DockerNetworksSnapshot, Endpoint, Network


def merge_endpoints(networks: Iterable[Network], containers: Iterable[Container]) -> tuple[Network, ...]:
    """Networks whose endpoints include every connected container attachment naming them.

    `GET /networks` leaves Containers empty, so the attachments reported by the
    containers are the source of truth; entries only network inspect knows are kept.
    A stopped container keeps its attachments but has no endpoint, as in network inspect.
    """
    by_network: dict[str, dict[str, Endpoint]] = {}
    for container in containers:
        for att in container.attachments:
            if not att.is_connected:
                continue
            by_network.setdefault(att.network_id, {})[container.id] = Endpoint(
                network_id=att.network_id,
                container_id=container.id,
                container_name=container.name,
                **vars(att.addresses()),
            )
    merged = []
    for network in networks:
        endpoints = {e.container_id: e for e in network.endpoints}
        endpoints.update(by_network.get(network.id, {}))
        ordered = tuple(sorted(endpoints.values(), key=lambda e: (e.container_name, e.container_id)))
        merged.append(replace(network, endpoints=ordered))
    return tuple(sorted(merged, key=lambda n: n.name))


def snapshot_to_dict(snapshot: DockerNetworksSnapshot) -> dict[str, Any]:
    """Networks, endpoints, host side and NAT as plain JSON data (the CLI's output)."""
    engine = snapshot.engine
    networks = []
    for network in snapshot.networks:
        dnat, masq = snapshot.nat_for(network)
        endpoints = []
        for ep in network.endpoints:
            container = snapshot.container(ep.container_id)
            side = snapshot.host_side(network.id, ep.container_id)
            endpoints.append({
                "container": ep.container_name,
                "container_id": ep.container_id,
                "kind": container.kind_description if container else "",
                "ipv4": ep.ipv4,
                "ipv6": ep.ipv6,
                "mac": ep.mac,
                "host_side": {
                    "status": side.status, "veth": side.veth,
                    "bridge": side.bridge, "state": side.state,
                },
                "ports": [
                    {
                        "container_port": p.container_port, "protocol": p.protocol,
                        "host_ip": p.host_ip, "host_port": p.host_port,
                    }
                    for p in (container.ports if container else ())
                ],
            })
        networks.append({
            "name": network.name,
            "id": network.id,
            "driver": network.driver,
            "scope": network.scope,
            "kind_network": network.is_kind,
            "internal": network.internal,
            "attachable": network.attachable,
            "ipv6": network.ipv6_enabled,
            "ipam": {
                "driver": network.ipam_driver,
                "config": [
                    {"subnet": p.subnet, "gateway": p.gateway, "ip_range": p.ip_range}
                    for p in network.pools
                ],
            },
            "mtu": network.mtu,
            "bridge": network.bridge_name,
            "ip_masquerade": network.ip_masquerade,
            "labels": dict(network.labels),
            "endpoints": endpoints,
            "nat": {
                "dnat": [
                    {
                        "protocol": r.protocol, "host_ip": r.host_ip, "host_port": r.host_port,
                        "to": f"{r.to_ip}:{r.to_port}", "rule": r.rule,
                    }
                    for r in dnat
                ],
                "masquerade": [{"source": r.source, "rule": r.rule} for r in masq],
            },
        })
    return {
        "engine": {
            "name": engine.name, "url": engine.url, "state": engine.state,
            "version": engine.version, "api_version": engine.api_version,
        },
        "taken_at": snapshot.taken_at,
        "host_side": snapshot.host_status,
        "nat": {"status": snapshot.nat.status, "reason": snapshot.nat.reason},
        "networks": networks,
    }
