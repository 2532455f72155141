"""Table model of Docker networks and the details tree of one network."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem

from services.docker.model import VISIBLE, DockerNetworksSnapshot, Network


def _yes(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


COLUMNS: tuple[tuple[str, object], ...] = (
    ("Name", lambda n: n.name),
    ("ID", lambda n: n.id[:12]),
    ("Driver", lambda n: n.driver),
    ("Scope", lambda n: n.scope),
    ("IPv4 subnets", lambda n: ", ".join(p.subnet for p in n.pools if not p.is_ipv6)),
    ("IPv4 gateways", lambda n: ", ".join(p.gateway for p in n.pools if not p.is_ipv6 and p.gateway)),
    ("IPv6 subnets", lambda n: ", ".join(p.subnet for p in n.pools if p.is_ipv6)),
    ("IPv6 gateways", lambda n: ", ".join(p.gateway for p in n.pools if p.is_ipv6 and p.gateway)),
    ("Internal", lambda n: _yes(n.internal)),
    ("Attachable", lambda n: _yes(n.attachable)),
    ("MTU", lambda n: "" if n.mtu is None else str(n.mtu)),
    ("Bridge", lambda n: n.bridge_name),
    ("Masquerade", lambda n: _yes(n.ip_masquerade)),
    ("Endpoints", lambda n: str(len(n.endpoints))),
    ("Labels", lambda n: ", ".join(f"{k}={v}" for k, v in n.labels)),
    ("Notes", lambda n: "kind cluster network" if n.is_kind else ""),
)
KIND_ROW_COLOR = QColor("#8e44ad")


class NetworksTableModel(QAbstractTableModel):
    """One row per network of the current snapshot; texts are shown verbatim."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._networks: tuple[Network, ...] = ()

    def set_networks(self, networks: tuple[Network, ...]) -> None:
        """Replace all rows."""
        self.beginResetModel()
        self._networks = networks
        self.endResetModel()

    def network_at(self, row: int) -> Network | None:
        """The network shown on a row."""
        return self._networks[row] if 0 <= row < len(self._networks) else None

    def row_of(self, network_id: str) -> int:
        """Row of a network id, or -1."""
        return next((i for i, n in enumerate(self._networks) if n.id == network_id), -1)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        """Number of networks."""
        return 0 if parent.isValid() else len(self._networks)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        """Number of columns."""
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        """Cell text; the kind network is drawn bold and purple."""
        network = self.network_at(index.row())
        if network is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[index.column()][1](network)
        if network.is_kind and role == Qt.ItemDataRole.ForegroundRole:
            return KIND_ROW_COLOR
        if network.is_kind and role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        """Column titles."""
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section][0]
        return None


class NetworkDetails(QTreeWidget):
    """IPAM, endpoints with their host side, port publishing and NAT of one network."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setColumnCount(2)
        self.setHeaderLabels(["Item", "Value"])
        self.setObjectName("networkDetails")

    def show_network(self, snapshot: DockerNetworksSnapshot, network: Network | None) -> None:
        """Fill the tree for one network (or clear it)."""
        self.clear()
        if network is None:
            return
        head = self._section(f"Network {network.name}")
        for key, text in (("ID", network.id), ("Driver", network.driver),
                          ("Internal", _yes(network.internal)), ("IPv6", _yes(network.ipv6_enabled)),
                          ("Bridge", network.bridge_name or "none")):
            self._row(head, key, text)
        for key, value in network.labels:
            self._row(head, f"label {key}", value)
        ipam = self._section(f"IPAM (driver {network.ipam_driver or 'default'})")
        for pool in network.pools:
            value = f"gateway {pool.gateway or '-'}" + (f", range {pool.ip_range}" if pool.ip_range else "")
            self._row(ipam, pool.subnet, value)
        endpoints = self._section(f"Endpoints ({len(network.endpoints)})")
        ports = self._section("Port publishing")
        for ep in network.endpoints:
            container = snapshot.container(ep.container_id)
            item = self._row(endpoints, ep.container_name, container.kind_description if container else "")
            self._row(item, "IPv4", ep.ipv4 or "-")
            self._row(item, "IPv6", ep.ipv6 or "-")
            self._row(item, "MAC", ep.mac or "-")
            self._row(item, "Host side", snapshot.host_side(network.id, ep.container_id).text)
            for port in container.ports if container else ():
                target = (f"{port.host_ip or '*'}:{port.host_port}" if port.host_port
                          else "not published")
                self._row(ports, f"{ep.container_name} {port.container_port}/{port.protocol}", target)
        dnat, masq = snapshot.nat_for(network)
        nat_state = snapshot.nat.status if snapshot.nat.status != VISIBLE else f"{len(dnat)} DNAT rules"
        nat = self._section(f"NAT ({nat_state})")
        if snapshot.nat.reason:
            self._row(nat, "reason", snapshot.nat.reason)
        for rule in dnat:
            self._row(nat, f"{rule.host_ip or '*'}:{rule.host_port}/{rule.protocol} -> "
                           f"{rule.to_ip}:{rule.to_port}", rule.rule)
        masq_title = "MASQUERADE" if snapshot.nat.status == VISIBLE else f"MASQUERADE ({snapshot.nat.status})"
        masq_section = self._section(masq_title)
        for rule in masq:
            self._row(masq_section, rule.source, rule.rule)
        self.expandAll()
        self.resizeColumnToContents(0)

    def show_container(self, snapshot: DockerNetworksSnapshot, container_id: str) -> None:
        """Fill the tree for one container chosen in the topology."""
        self.clear()
        container = snapshot.container(container_id)
        if container is None:
            return
        head = self._section(f"Container {container.name}")
        self._row(head, "ID", container.id)
        self._row(head, "State", container.state)
        if container.kind_description:
            self._row(head, "kind", container.kind_description)
        for key, value in container.labels:
            self._row(head, f"label {key}", value)
        for att in container.attachments:
            item = self._row(head, f"network {att.network_name}", att.ipv4 or att.ipv6 or "-")
            self._row(item, "MAC", att.mac or "-")
            self._row(item, "Host side", snapshot.host_side(att.network_id, container.id).text)
        self.expandAll()
        self.resizeColumnToContents(0)

    def texts(self) -> list[str]:
        """Every text in the tree, depth first (for tests and copy)."""
        found: list[str] = []

        def walk(item: QTreeWidgetItem) -> None:
            found.extend(item.text(c) for c in range(2) if item.text(c))
            for i in range(item.childCount()):
                walk(item.child(i))

        for i in range(self.topLevelItemCount()):
            walk(self.topLevelItem(i))
        return found

    def _section(self, title: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(self, [title])
        font = item.font(0)
        font.setBold(True)
        item.setFont(0, font)
        return item

    @staticmethod
    def _row(parent: QTreeWidgetItem, key: str, value: str) -> QTreeWidgetItem:
        return QTreeWidgetItem(parent, [key, value])
