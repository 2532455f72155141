"""Frozen snapshot of one Docker engine's networks, endpoints, host side and NAT rules."""
from __future__ import annotations

from dataclasses import dataclass, field

KIND_CLUSTER_LABEL = "io.x-k8s.kind.cluster"
KIND_ROLE_LABEL = "io.x-k8s.kind.role"
KIND_NETWORK_NAME = "kind"

# Host-side and NAT availability, shown verbatim in the panel and the CLI.
VISIBLE = "ok"
NOT_VISIBLE = "not visible"
NOT_PERMITTED = "not permitted"
PENDING = "reading…"


@dataclass(frozen=True)
class IpamPool:
    """One IPAM config entry of a network: subnet, gateway and optional range."""

    subnet: str
    gateway: str = ""
    ip_range: str = ""

    @property
    def is_ipv6(self) -> bool:
        """True for an IPv6 subnet."""
        return ":" in self.subnet


@dataclass(frozen=True)
class Addresses:
    """Where a container sits on one network: its IPs, MAC and the engine's endpoint id."""

    ipv4: str = ""
    ipv6: str = ""
    mac: str = ""
    endpoint_id: str = ""

    def addresses(self) -> Addresses:
        """Just the addresses, to carry them from one view of an attachment to another."""
        return Addresses(self.ipv4, self.ipv6, self.mac, self.endpoint_id)


@dataclass(frozen=True, kw_only=True)
class Endpoint(Addresses):
    """A container's attachment to one network, from the network's point of view."""

    network_id: str
    container_id: str
    container_name: str


@dataclass(frozen=True)
class Network:
    """One Docker network with the settings the table shows."""

    id: str
    name: str
    driver: str
    scope: str
    internal: bool
    attachable: bool
    ipv6_enabled: bool
    ipam_driver: str
    pools: tuple[IpamPool, ...]
    options: tuple[tuple[str, str], ...]
    labels: tuple[tuple[str, str], ...]
    endpoints: tuple[Endpoint, ...] = ()

    def option(self, key: str, default: str = "") -> str:
        """The value of one driver option, or default."""
        return dict(self.options).get(key, default)

    @property
    def mtu(self) -> int | None:
        """MTU set through the driver option, None when the engine default applies."""
        text = self.option("com.docker.network.driver.mtu")
        return int(text) if text.isdigit() else None

    @property
    def bridge_name(self) -> str:
        """Host bridge device of a bridge network; empty for other drivers."""
        if self.driver != "bridge":
            return ""
        named = self.option("com.docker.network.bridge.name")
        if named:
            return named
        return "docker0" if self.name == "bridge" else f"br-{self.id[:12]}"

    @property
    def ip_masquerade(self) -> bool | None:
        """Whether the bridge masquerades outgoing traffic (Docker's default: yes)."""
        if self.driver != "bridge":
            return None
        return self.option("com.docker.network.bridge.enable_ip_masquerade", "true") == "true"

    @property
    def is_kind(self) -> bool:
        """True for the network kind creates for its node containers."""
        return self.name == KIND_NETWORK_NAME


@dataclass(frozen=True)
class PortBinding:
    """A published container port and where it listens on the host (if published)."""

    container_port: int
    protocol: str
    host_ip: str = ""
    host_port: int | None = None


@dataclass(frozen=True, kw_only=True)
class ContainerAttachment(Addresses):
    """One network a container sits on, from the container's point of view."""

    network_name: str
    network_id: str

    @property
    def is_connected(self) -> bool:
        """True while the engine has an endpoint for it (a stopped container has none)."""
        return bool(self.endpoint_id)


@dataclass(frozen=True)
class Container:
    """A container with what the networks view needs: name, labels, ports, networks."""

    id: str
    name: str
    state: str
    pid: int | None
    labels: tuple[tuple[str, str], ...]
    ports: tuple[PortBinding, ...]
    attachments: tuple[ContainerAttachment, ...]

    def label(self, key: str, default: str = "") -> str:
        """The value of one label, or default."""
        return dict(self.labels).get(key, default)

    @property
    def kind_description(self) -> str:
        """'kind cluster C, node N (role)' for kind node containers, else empty."""
        cluster = self.label(KIND_CLUSTER_LABEL)
        if not cluster:
            return ""
        role = self.label(KIND_ROLE_LABEL) or "unknown role"
        return f"kind cluster {cluster}, node {self.name} ({role})"


@dataclass(frozen=True)
class HostLink:
    """A network interface as `ip -j link` reports it."""

    ifindex: int
    name: str
    operstate: str
    master: str = ""
    peer_ifindex: int | None = None
    mac: str = ""


@dataclass(frozen=True)
class HostSide:
    """The host veth that pairs with one endpoint, its bridge and state, or why unknown."""

    status: str
    veth: str = ""
    bridge: str = ""
    state: str = ""

    @property
    def text(self) -> str:
        """One line for the details view."""
        if self.status != VISIBLE:
            return self.status
        return f"{self.veth} on {self.bridge or 'no bridge'} ({self.state})"


@dataclass(frozen=True)
class DnatRule:
    """A DOCKER-chain DNAT rule that publishes a container port."""

    protocol: str
    host_ip: str
    host_port: int
    to_ip: str
    to_port: int
    in_interface: str
    rule: str


@dataclass(frozen=True)
class MasqueradeRule:
    """A POSTROUTING MASQUERADE rule for traffic leaving a network's subnet."""

    source: str
    out_interface: str
    rule: str


@dataclass(frozen=True)
class NatTable:
    """The parsed nat table, or why it could not be read."""

    status: str
    dnat: tuple[DnatRule, ...] = ()
    masquerade: tuple[MasqueradeRule, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class EngineInfo:
    """Which engine a snapshot came from and how it was doing."""

    name: str
    url: str
    state: str
    version: str = ""
    api_version: str = ""
    last_event_at: float | None = None


@dataclass(frozen=True)
class DockerNetworksSnapshot:
    """Everything the panel, topology and CLI show for one engine at one time."""

    engine: EngineInfo
    networks: tuple[Network, ...]
    containers: tuple[Container, ...]
    host_sides: dict[tuple[str, str], HostSide] = field(default_factory=dict, hash=False)
    host_status: str = NOT_VISIBLE
    nat: NatTable = NatTable(NOT_VISIBLE)
    taken_at: float = 0.0

    def container(self, container_id: str) -> Container | None:
        """The container with this id, if the snapshot has it."""
        return next((c for c in self.containers if c.id == container_id), None)

    def host_side(self, network_id: str, container_id: str) -> HostSide:
        """Host side of one endpoint; the snapshot-wide status when unknown."""
        found = self.host_sides.get((network_id, container_id))
        if found is not None:
            return found
        return HostSide(self.host_status if self.host_status != VISIBLE else "not found")

    def nat_for(self, network: Network) -> tuple[tuple[DnatRule, ...], tuple[MasqueradeRule, ...]]:
        """DNAT rules targeting this network's endpoints and its subnets' MASQUERADE rules."""
        ips = {e.ipv4 for e in network.endpoints if e.ipv4}
        subnets = {p.subnet for p in network.pools}
        dnat = tuple(r for r in self.nat.dnat if r.to_ip in ips)
        masq = tuple(r for r in self.nat.masquerade if r.source in subnets)
        return dnat, masq
