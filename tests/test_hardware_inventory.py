"""collect_inventory through the real LocalRunner, with real missing tools and files."""
import os
import platform
import socket
from pathlib import Path
from typing import Sequence

import pytest

from services.errors import TargetUnavailable
from services.hardware.inventory import collect_inventory
from services.hardware.model import CpuInfo
from services.hardware.parsers_tools import parse_dmi_product
from services.runner import CommandResult, LocalRunner

BUSYBOX = "/bin/busybox"
ABSENT_DIR = "/nonexistent-cluster-lab-bin"


class RestrictedRunner(LocalRunner):
    """A LocalRunner on which some tools and files really do not exist.

    A missing tool is looked up in a directory that does not exist, and a missing file
    is read from there, so the failures are the operating system's own.
    """

    def __init__(self, missing_tools: Sequence[str] = (), missing_files: Sequence[str] = ()):
        self.missing_tools = set(missing_tools)
        self.missing_files = set(missing_files)

    def run(self, argv, timeout=10.0):
        """Run argv, unless its tool is one of the missing ones."""
        if argv[0] in self.missing_tools:
            argv = [f"{ABSENT_DIR}/{argv[0]}", *argv[1:]]
        return super().run(argv, timeout)

    def read_text(self, path, timeout=10.0):
        """Read path, unless it is one of the missing files."""
        return super().read_text(ABSENT_DIR + path if path in self.missing_files else path)


class BusyBoxRunner(LocalRunner):
    """This machine as a BusyBox host sees it: every command is a busybox applet."""

    def run(self, argv, timeout=10.0):
        """Run argv as a busybox applet (unknown applets exit 127, as on such hosts)."""
        return super().run([BUSYBOX, *argv], timeout)


class UnreachableRunner:
    """A target whose connection is gone: every call fails with TargetUnavailable."""

    name = "gone"

    def run(self, argv: Sequence[str], timeout: float = 10.0) -> CommandResult:
        """Fail as an SSH runner does when the host stopped answering."""
        raise TargetUnavailable("gone: connection lost")

    def read_text(self, path: str, timeout: float = 10.0) -> str:
        """Fail as an SSH runner does when the host stopped answering."""
        raise TargetUnavailable("gone: connection lost")


def interface_names() -> set[str]:
    """Names of this machine's network interfaces, from the kernel."""
    return {name for _, name in socket.if_nameindex()}


def assert_same_interfaces(collect):
    """Collect an inventory and check its interfaces against the kernel's list.

    Containers and namespaces may come and go meanwhile, so an interface only has to
    exist before or after the collection, and every one present throughout must appear.
    """
    before = interface_names()
    inventory = collect()
    after = interface_names()
    names = {i.name for i in inventory.interfaces}
    assert before & after <= names <= before | after
    return inventory


@pytest.fixture(scope="module")
def local_inventory():
    return assert_same_interfaces(lambda: collect_inventory(LocalRunner()))


def test_local_identity(local_inventory):
    inv = local_inventory
    assert inv.hostname == socket.gethostname()
    assert inv.kernel == os.uname().release
    assert inv.distribution == platform.freedesktop_os_release()["PRETTY_NAME"]
    assert 0 < inv.uptime_seconds < float(Path("/proc/uptime").read_text().split()[0]) + 60
    assert inv.virtualization  # systemd-detect-virt is installed here and always answers


def test_local_cpu_and_memory(local_inventory):
    inv = local_inventory
    assert inv.cpu.threads == os.cpu_count()
    assert inv.cpu.threads % inv.cpu.cores == 0
    assert inv.cpu.sockets >= 1 and inv.cpu.model
    assert inv.memory_total_bytes == os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def test_local_devices(local_inventory):
    inv = local_inventory
    assert {d.name for d in inv.block_devices} <= set(os.listdir("/sys/block"))
    root = next(f for f in inv.filesystems if f.mountpoint == "/")
    stat = os.statvfs("/")
    assert root.size_bytes == stat.f_blocks * stat.f_frsize
    lo = next(i for i in inv.interfaces if i.name == "lo")
    assert "127.0.0.1/8" in lo.addresses and lo.mtu == int(Path("/sys/class/net/lo/mtu").read_text())
    assert len(inv.pci_devices) == len(os.listdir("/sys/bus/pci/devices"))


def test_local_unavailable_is_explained(local_inventory):
    inv = local_inventory
    # Only DIMMs may be missing here: dmidecode needs a DMI table this VM may not have.
    assert set(inv.unavailable) <= {"dimms"}
    if "dimms" in inv.unavailable:
        assert inv.dimms == () and inv.unavailable["dimms"].startswith("dmidecode")


def test_missing_tools_degrade_each_field():
    tools = ["lscpu", "lsblk", "lspci", "dmidecode", "ip", "df", "systemd-detect-virt", "ls"]
    inv = collect_inventory(RestrictedRunner(missing_tools=tools))
    assert inv.hostname == socket.gethostname() and inv.kernel == os.uname().release
    # lscpu is gone, /proc/cpuinfo answers instead
    assert inv.cpu.threads == os.cpu_count() and inv.cpu.model
    assert inv.block_devices == () and inv.pci_devices == () and inv.filesystems == ()
    assert inv.interfaces == () and inv.dimms == ()
    assert inv.unavailable["pci_devices"] == f"{ABSENT_DIR}/lspci: not installed"
    assert "lsblk: not installed" in inv.unavailable["block_devices"]
    for tool in ("ip", "ls"):
        assert f"{ABSENT_DIR}/{tool}: not installed" in inv.unavailable["interfaces"]
    assert "df: not installed" in inv.unavailable["filesystems"]
    assert set(inv.unavailable) == {"block_devices", "pci_devices", "filesystems", "interfaces",
                                    "dimms"}
    dmi = Path("/sys/class/dmi/id/product_name")
    flags = next(l for l in Path("/proc/cpuinfo").read_text().split("\n") if l.startswith("flags"))
    expected = (parse_dmi_product(dmi.read_text()) if dmi.exists()
                else "vm" if "hypervisor" in flags.split() else "none")
    assert inv.virtualization == expected  # the fallbacks of systemd-detect-virt


def test_missing_files_fall_back_and_degrade():
    files = ["/proc/sys/kernel/hostname", "/proc/sys/kernel/osrelease", "/etc/os-release",
             "/usr/lib/os-release", "/proc/meminfo", "/proc/uptime"]
    inv = collect_inventory(RestrictedRunner(missing_tools=["lscpu"],
                                             missing_files=files + ["/proc/cpuinfo"]))
    assert inv.hostname == socket.gethostname()  # from uname -n
    assert inv.kernel == os.uname().release  # from uname -r
    assert inv.distribution is None and inv.memory_total_bytes is None
    assert inv.uptime_seconds is None and inv.cpu == CpuInfo()
    assert "No such file or directory" in inv.unavailable["distribution"]
    assert set(inv.unavailable) >= {"distribution", "memory", "uptime", "cpu"}
    assert inv.interfaces and inv.filesystems


def test_busybox_host():
    inv = assert_same_interfaces(lambda: collect_inventory(BusyBoxRunner()))
    assert inv.unavailable["pci_devices"] == "lspci: not installed"
    assert "lsblk: not installed" in inv.unavailable["block_devices"]
    assert inv.cpu.threads == os.cpu_count()  # /proc/cpuinfo fallback for lscpu
    # interfaces came from the `ip addr` text, since BusyBox refuses -j: no operstate
    assert inv.interfaces and all(i.state is None for i in inv.interfaces)
    assert any(f.mountpoint == "/" for f in inv.filesystems)  # busybox df -P -B1


def test_unreachable_target_propagates():
    with pytest.raises(TargetUnavailable):
        collect_inventory(UnreachableRunner())


def test_without_ip_interfaces_come_from_sysfs():
    inv = assert_same_interfaces(lambda: collect_inventory(RestrictedRunner(missing_tools=["ip"])))
    lo = next(i for i in inv.interfaces if i.name == "lo")
    assert lo.mac == "00:00:00:00:00:00" and lo.addresses == ()
    assert lo.mtu == int(Path("/sys/class/net/lo/mtu").read_text())
    assert lo.state == Path("/sys/class/net/lo/operstate").read_text().strip().upper()
    assert "interfaces" not in inv.unavailable
