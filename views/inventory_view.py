"""The static hardware inventory of one target as a two-column tree."""
from __future__ import annotations

from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QTreeWidgetItemIterator

from services.hardware.model import BlockDevice, HardwareInventory

UNKNOWN = "unknown"
LABEL_COLUMN_MAX = 170  # pixels


def format_bytes(value: float | None) -> str:
    """Human-readable binary size: 1536 -> '1.5 KiB'."""
    if value is None:
        return UNKNOWN
    if abs(value) < 1024:
        return f"{value:.0f} B"
    size = float(value)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        size /= 1024
        if abs(size) < 1024:
            break
    return f"{size:.1f} {unit}"


def format_duration(seconds: float | None) -> str:
    """Uptime as '3 d 4 h 5 min'."""
    if seconds is None:
        return UNKNOWN
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days} d"] if days else []
    if days or hours:
        parts.append(f"{hours} h")
    parts.append(f"{minutes} min")
    return " ".join(parts)


def _text(value: object) -> str:
    return UNKNOWN if value is None else str(value)


class InventoryView(QTreeWidget):
    """Sections (System, CPU, Memory, ...) of label/value rows; unreadable parts say why."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("inventoryView")
        self.setColumnCount(2)
        self.setHeaderLabels(["Item", "Value"])
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self._unavailable: dict[str, str] = {}
        self._message: QTreeWidgetItem | None = None
        self.show_waiting()

    # -- public ----------------------------------------------------------------
    def show_inventory(self, inventory: HardwareInventory) -> None:
        """Replace the tree with this inventory, keeping the scroll position."""
        scrolled = self.verticalScrollBar().value()
        self.clear()
        self._message = None
        self._unavailable = dict(inventory.unavailable)
        self._system(inventory)
        self._cpu(inventory)
        self._memory(inventory)
        self._listing("Block devices", "block_devices", inventory.block_devices, self._block)
        self._listing("Filesystems", "filesystems", inventory.filesystems, self._filesystem)
        self._listing("Network interfaces", "interfaces", inventory.interfaces, self._interface)
        self._listing("PCI devices", "pci_devices", inventory.pci_devices, self._pci)
        if self._unavailable:  # reasons whose field has no row of its own
            section = self._section("Not available")
            for key, reason in sorted(self._unavailable.items()):
                QTreeWidgetItem(section, [key, f"not available: {reason}"])
        for index in range(self.topLevelItemCount()):
            self.topLevelItem(index).setExpanded(True)
        # Long mount paths would push the values out of sight; they stay in tooltips.
        iterator = QTreeWidgetItemIterator(self)
        while iterator.value():
            item = iterator.value()
            item.setToolTip(0, item.text(0))
            item.setToolTip(1, item.text(1))
            iterator += 1
        self.resizeColumnToContents(0)
        self.setColumnWidth(0, min(self.columnWidth(0), LABEL_COLUMN_MAX))
        self.verticalScrollBar().setValue(scrolled)

    def show_waiting(self) -> None:
        """Empty the tree until the next inventory arrives."""
        self.clear()
        self._message = None
        self.show_message("waiting for data…")

    def show_message(self, message: str) -> None:
        """Show a one-line status (e.g. why the inventory could not be read) on top."""
        if self._message is None:
            self._message = QTreeWidgetItem(["Inventory", message])
            self.insertTopLevelItem(0, self._message)
        else:
            self._message.setText(1, message)

    def value(self, section: str, label: str) -> str | None:
        """Text in the Value column of a row, looked up by section and label."""
        for index in range(self.topLevelItemCount()):
            top = self.topLevelItem(index)
            if top.text(0) == section:
                for child_index in range(top.childCount()):
                    child = top.child(child_index)
                    if child.text(0) == label:
                        return child.text(1)
        return None

    # -- sections --------------------------------------------------------------
    def _section(self, title: str, summary: str = "") -> QTreeWidgetItem:
        return QTreeWidgetItem(self, [title, summary])

    def _row(self, parent: QTreeWidgetItem, label: str, key: str | None, value: str | None):
        reason = self._unavailable.pop(key, None) if key else None
        if reason is not None:
            value = f"not available: {reason}"
        return QTreeWidgetItem(parent, [label, value if value is not None else UNKNOWN])

    def _system(self, inv: HardwareInventory) -> None:
        section = self._section("System")
        self._row(section, "Hostname", "hostname", inv.hostname)
        self._row(section, "Kernel", "kernel", inv.kernel)
        self._row(section, "Distribution", "distribution", inv.distribution)
        self._row(section, "Uptime", "uptime", format_duration(inv.uptime_seconds))
        self._row(section, "Virtualization", "virtualization", inv.virtualization)

    def _cpu(self, inv: HardwareInventory) -> None:
        section = self._section("CPU")
        reason = self._unavailable.pop("cpu", None)
        if reason is not None:
            section.setText(1, f"not available: {reason}")
        self._row(section, "Model", None, inv.cpu.model)
        self._row(section, "Sockets", None, _text(inv.cpu.sockets))
        self._row(section, "Cores", None, _text(inv.cpu.cores))
        self._row(section, "Threads", None, _text(inv.cpu.threads))

    def _memory(self, inv: HardwareInventory) -> None:
        section = self._section("Memory")
        self._row(section, "Total", "memory", format_bytes(inv.memory_total_bytes))
        dimm_reason = self._unavailable.pop("dimms", None)
        if dimm_reason is not None:
            QTreeWidgetItem(section, ["DIMMs", f"not available: {dimm_reason}"])
            return
        dimms = QTreeWidgetItem(section, ["DIMMs", f"{len(inv.dimms)} modules"])
        for dimm in inv.dimms:
            detail = " ".join(
                part for part in (format_bytes(dimm.size_bytes), dimm.type, dimm.speed) if part
            )
            QTreeWidgetItem(dimms, [dimm.locator, detail])

    def _listing(self, title, key, items, add_item) -> None:
        reason = self._unavailable.pop(key, None)
        if reason is not None:
            self._section(title, f"not available: {reason}")
            return
        section = self._section(title, str(len(items)))
        for item in items:
            add_item(section, item)

    @staticmethod
    def _block(parent: QTreeWidgetItem, device: BlockDevice) -> None:
        detail = [device.type, format_bytes(device.size_bytes)]
        if device.model:
            detail.append(device.model)
        if device.mountpoints:
            detail.append("on " + ", ".join(device.mountpoints))
        row = QTreeWidgetItem(parent, [device.name, " · ".join(detail)])
        for child in device.children:
            InventoryView._block(row, child)

    @staticmethod
    def _filesystem(parent: QTreeWidgetItem, fs) -> None:
        percent = 100.0 * fs.used_bytes / fs.size_bytes if fs.size_bytes else 0.0
        usage = f"{format_bytes(fs.used_bytes)} of {format_bytes(fs.size_bytes)} ({percent:.0f}%)"
        detail = " · ".join(part for part in (fs.source, fs.fstype, usage) if part)
        QTreeWidgetItem(parent, [fs.mountpoint, detail])

    @staticmethod
    def _interface(parent: QTreeWidgetItem, iface) -> None:
        row = QTreeWidgetItem(parent, [iface.name, _text(iface.state)])
        QTreeWidgetItem(row, ["Addresses", ", ".join(iface.addresses) or "none"])
        QTreeWidgetItem(row, ["MAC", _text(iface.mac)])
        QTreeWidgetItem(row, ["MTU", _text(iface.mtu)])
        speed = f"{iface.speed_mbps} Mb/s" if iface.speed_mbps is not None else UNKNOWN
        QTreeWidgetItem(row, ["Speed", speed])

    @staticmethod
    def _pci(parent: QTreeWidgetItem, device) -> None:
        QTreeWidgetItem(parent, [device.slot, f"{device.device_class}: {device.vendor} {device.device}"])
