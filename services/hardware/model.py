"""Frozen snapshots of a machine's hardware: static inventory and live samples.

A field that could not be read is None (or an empty tuple); `unavailable` says why, so
a missing tool degrades one field instead of taking the whole snapshot down.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CpuInfo:
    """Processor model and topology."""

    model: str | None = None
    sockets: int | None = None
    cores: int | None = None
    threads: int | None = None


@dataclass(frozen=True)
class Dimm:
    """One memory module as dmidecode reports it."""

    locator: str
    size_bytes: int | None
    type: str | None = None
    speed: str | None = None


@dataclass(frozen=True)
class BlockDevice:
    """A disk or partition from lsblk."""

    name: str
    type: str
    size_bytes: int | None
    model: str | None = None
    mountpoints: tuple[str, ...] = ()
    children: tuple["BlockDevice", ...] = ()


@dataclass(frozen=True)
class Filesystem:
    """A mounted filesystem and its usage."""

    source: str
    mountpoint: str
    fstype: str | None
    size_bytes: int
    used_bytes: int
    available_bytes: int


@dataclass(frozen=True)
class NetInterface:
    """A network interface with its addresses."""

    name: str
    mac: str | None = None
    mtu: int | None = None
    state: str | None = None
    speed_mbps: int | None = None
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class PciDevice:
    """One lspci line: slot, class, vendor and device names."""

    slot: str
    device_class: str
    vendor: str
    device: str


@dataclass(frozen=True)
class HardwareInventory:
    """What rarely changes on a machine: read once per connection."""

    hostname: str | None = None
    kernel: str | None = None
    distribution: str | None = None
    uptime_seconds: float | None = None
    virtualization: str | None = None
    cpu: CpuInfo = CpuInfo()
    memory_total_bytes: int | None = None
    dimms: tuple[Dimm, ...] = ()
    block_devices: tuple[BlockDevice, ...] = ()
    filesystems: tuple[Filesystem, ...] = ()
    interfaces: tuple[NetInterface, ...] = ()
    pci_devices: tuple[PciDevice, ...] = ()
    unavailable: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MemorySample:
    """Memory and swap in bytes."""

    total: int
    used: int
    cached: int
    available: int
    swap_total: int
    swap_used: int


@dataclass(frozen=True)
class Temperature:
    """One hwmon temperature sensor in degrees Celsius."""

    chip: str
    label: str
    celsius: float


@dataclass(frozen=True)
class HardwareSample:
    """One live sample; rates are per second over the interval since the last sample."""

    timestamp: float
    interval: float
    cpu_percent: float
    cpu_per_core: tuple[float, ...]  # index = core number; NaN for a core that is offline
    memory: MemorySample | None
    load_average: tuple[float, float, float] | None
    net_rx_bps: dict[str, float]
    net_tx_bps: dict[str, float]
    disk_read_bps: dict[str, float]
    disk_write_bps: dict[str, float]
    temperatures: tuple[Temperature, ...] = ()
    unavailable: dict[str, str] = field(default_factory=dict)
