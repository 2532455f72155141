"""Docker topology for the graph view: networks as bus lines, containers on every bus they use."""
from __future__ import annotations

from services.docker.model import VISIBLE, DockerNetworksSnapshot, Network
from views.graph_view import BUS, ELLIPSE, Graph, GraphEdge, GraphNode, Placement

ROW = 170.0
COLUMN = 150.0
HOST_ID = "host"
NETWORK_PREFIX = "net:"
CONTAINER_PREFIX = "ctr:"
KIND_COLOR = "#8e44ad"
NETWORK_COLOR = "#2c6fbb"
CONTAINER_COLOR = "#27ae60"
HOST_COLOR = "#7f8c8d"


def network_node_id(network_id: str) -> str:
    """Graph id of a network's bus."""
    return NETWORK_PREFIX + network_id


def container_node_id(container_id: str) -> str:
    """Graph id of a container's node."""
    return CONTAINER_PREFIX + container_id


def topology_graph(snapshot: DockerNetworksSnapshot) -> Graph:
    """Buses for networks with endpoints or a bridge, container nodes, IP-labelled edges."""
    nodes: list[GraphNode] = []
    edges: list[GraphEdge] = []
    networks = _bus_order([n for n in snapshot.networks if n.endpoints or n.bridge_name])
    host_known = snapshot.host_status == VISIBLE
    if host_known:
        nodes.append(GraphNode(HOST_ID, "engine host",
                               f"host of engine {snapshot.engine.url}\nDocker {snapshot.engine.version}",
                               ELLIPSE, HOST_COLOR))
    for net in networks:
        subnets = ", ".join(p.subnet for p in net.pools)
        label = f"{net.name}  {subnets}".rstrip()
        if net.bridge_name:
            label += f"  [{net.bridge_name}]"
        if net.is_kind:
            label += "  (kind)"
        tooltip = "\n".join(filter(None, [
            f"network {net.name}", f"id {net.id[:12]}", f"driver {net.driver}",
            f"subnets {subnets}" if subnets else "", "internal" if net.internal else "",
            f"bridge {net.bridge_name}" if net.bridge_name else "",
        ]))
        nodes.append(GraphNode(network_node_id(net.id), label, tooltip, BUS,
                               KIND_COLOR if net.is_kind else NETWORK_COLOR))
        if host_known and net.bridge_name:
            edges.append(GraphEdge(HOST_ID, network_node_id(net.id), net.bridge_name))
    shown = {n.id for n in networks}
    for container in snapshot.containers:
        attachments = [a for a in container.attachments if a.is_connected and a.network_id in shown]
        if not attachments:
            continue
        kind = container.kind_description
        tooltip = "\n".join(filter(None, [
            f"container {container.name}", f"id {container.id[:12]}", f"state {container.state}", kind,
        ]))
        nodes.append(GraphNode(container_node_id(container.id), container.name, tooltip, "box",
                               KIND_COLOR if kind else CONTAINER_COLOR))
        for att in attachments:
            side = snapshot.host_side(att.network_id, container.id)
            detail = f"host side: {side.text}"
            ips = " ".join(filter(None, [att.ipv4, att.ipv6]))
            edges.append(GraphEdge(container_node_id(container.id), network_node_id(att.network_id),
                                   ips, f"{container.name} on {att.network_name}\n{ips}\nMAC {att.mac}\n{detail}"))
    return Graph(tuple(nodes), tuple(edges))


def _bus_order(networks: list[Network]) -> list[Network]:
    """Networks sharing containers next to each other, so a container on two networks
    is drawn between their buses rather than across a third one; busiest first,
    networks without endpoints last."""
    members = {n.id: {e.container_id for e in n.endpoints} for n in networks}
    left = sorted(networks, key=lambda n: (-len(members[n.id]), n.name))
    ordered: list[Network] = []
    while left:
        if ordered:
            last = members[ordered[-1].id]
            best = max(left, key=lambda n: (len(members[n.id] & last), len(members[n.id])))
        else:
            best = left[0]
        ordered.append(best)
        left.remove(best)
    return ordered


def bus_layout(graph: Graph) -> dict[str, Placement]:
    """Buses stacked in rows spanning the width; each container in its own column,
    just above the first bus it uses (between buses when it uses several); other
    nodes (the host) left of the buses, so its edges fan out to their left ends."""
    buses = [n.id for n in graph.nodes if n.shape == BUS]
    bus_row = {bus: i for i, bus in enumerate(buses)}
    attached: dict[str, list[int]] = {}
    for edge in graph.edges:
        for node, other in ((edge.source, edge.target), (edge.target, edge.source)):
            if other in bus_row and node not in bus_row:
                attached.setdefault(node, []).append(bus_row[other])
    members = [n.id for n in graph.nodes if n.shape != BUS and n.id in attached and n.id != HOST_ID]
    members.sort(key=lambda node: (min(attached[node]), len(attached[node]), node))
    placements: dict[str, Placement] = {}
    for column, node in enumerate(members):
        rows = attached[node]
        top = min(rows)
        y = top * ROW - ROW * 0.35 if len(rows) == 1 else top * ROW + ROW * 0.5
        placements[node] = Placement(column * COLUMN, y)
    width = max(len(members), 2) * COLUMN
    for bus, row in bus_row.items():
        placements[bus] = Placement(width / 2 - COLUMN / 2, row * ROW, width)
    others = [n.id for n in graph.nodes if n.id not in placements]
    middle = max(len(buses) - 1, 0) * ROW / 2
    for i, node in enumerate(others):
        placements[node] = Placement(-COLUMN * (1.5 + i), middle)
    return placements
