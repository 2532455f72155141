"""Static hardware inventory of one target, read through any CommandRunner.

Every field is collected on its own: a missing tool, a refused file or unparsable
output leaves that field empty and says why in `unavailable`; only an unreachable
target (TargetUnavailable from the runner) stops the whole collection. Everything goes
through runner.run(argv) and runner.read_text(path), so the same code serves the local
machine and SSH hosts.
"""
from __future__ import annotations

import re
from typing import Callable, Sequence, TypeVar

from services.errors import CommandFailed, ParseError
from services.hardware import parsers_tools as tools
from services.hardware.model import CpuInfo, Dimm, Filesystem, HardwareInventory, NetInterface
from services.hardware.parsers_proc import parse_meminfo, parse_uptime
from services.runner import CommandResult, CommandRunner

T = TypeVar("T")

# Interface names come from the target; only names the kernel could have created are
# ever joined into a /sys path.
_IFNAME = re.compile(r"[A-Za-z0-9_.:@+-]{1,15}")
_NOT_PERMITTED = ("permission denied", "operation not permitted", "must be root")


class _Unavailable(Exception):
    """One inventory source could not be read; the message is the user-facing reason."""


class InventoryCollector:
    """Reads each inventory field independently and remembers why one was not available."""

    def __init__(self, runner: CommandRunner):
        self._runner = runner
        self.unavailable: dict[str, str] = {}

    def run(self, argv: Sequence[str]) -> CommandResult:
        """The result of argv, or _Unavailable when it could not be started at all."""
        try:
            return self._runner.run(argv)
        except CommandFailed as exc:
            raise _Unavailable(str(exc)) from None

    def command(self, argv: Sequence[str]) -> str:
        """stdout of argv, or _Unavailable with a short reason ("lspci: not installed")."""
        result = self.run(argv)
        if result.ok:
            return result.stdout
        detail = (result.stderr.strip() or result.stdout.strip()).split("\n")[-1]
        if result.returncode == 127:  # what a remote shell answers for a missing command
            raise _Unavailable(f"{argv[0]}: not installed")
        if any(m in detail.lower() for m in _NOT_PERMITTED):
            raise _Unavailable(f"{argv[0]}: not permitted")
        raise _Unavailable(f"{argv[0]}: exited {result.returncode}: {detail[:160]}")

    def text(self, path: str) -> str:
        """Text of a file, or _Unavailable."""
        try:
            return self._runner.read_text(path)
        except CommandFailed as exc:
            raise _Unavailable(str(exc)) from None

    def field(self, key: str, read: Callable[[], T], default: T) -> T:
        """read(), or default with the reason recorded under key."""
        try:
            return read()
        except (_Unavailable, ParseError) as exc:
            self.unavailable[key] = str(exc)
            return default

    def first(self, *reads: Callable[[], T]) -> T:
        """The first read that succeeds; the reasons of all failures if none does."""
        reasons = []
        for read in reads:
            try:
                return read()
            except (_Unavailable, ParseError) as exc:
                reasons.append(str(exc))
        raise _Unavailable("; ".join(reasons))


def collect_inventory(runner: CommandRunner) -> HardwareInventory:
    """Read the static inventory of the runner's target; never fails on one missing piece."""
    c = InventoryCollector(runner)
    return HardwareInventory(
        hostname=c.field("hostname", lambda: c.first(
            lambda: _line(c.text("/proc/sys/kernel/hostname")),
            lambda: _line(c.command(["uname", "-n"])),
        ), None),
        kernel=c.field("kernel", lambda: c.first(
            lambda: _line(c.text("/proc/sys/kernel/osrelease")),
            lambda: _line(c.command(["uname", "-r"])),
        ), None),
        distribution=c.field("distribution", lambda: c.first(
            lambda: tools.parse_os_release(c.text("/etc/os-release")),
            lambda: tools.parse_os_release(c.text("/usr/lib/os-release")),
        ), None),
        uptime_seconds=c.field("uptime", lambda: parse_uptime(c.text("/proc/uptime")), None),
        virtualization=c.field("virtualization", lambda: _virtualization(c), None),
        cpu=c.field("cpu", lambda: c.first(
            lambda: tools.parse_lscpu(c.command(["lscpu"])),
            lambda: tools.parse_cpuinfo(c.text("/proc/cpuinfo")),
        ), CpuInfo()),
        memory_total_bytes=c.field(
            "memory", lambda: parse_meminfo(c.text("/proc/meminfo")).total, None
        ),
        dimms=c.field("dimms", lambda: _dimms(c), ()),
        block_devices=c.field("block_devices", lambda: c.first(
            lambda: tools.parse_lsblk(c.command(
                ["lsblk", "-J", "-b", "-o", "NAME,TYPE,SIZE,MODEL,MOUNTPOINTS"])),
            # util-linux before 2.37 knows only the single MOUNTPOINT column.
            lambda: tools.parse_lsblk(c.command(
                ["lsblk", "-J", "-b", "-o", "NAME,TYPE,SIZE,MODEL,MOUNTPOINT"])),
        ), ()),
        filesystems=c.field("filesystems", lambda: _filesystems(c), ()),
        interfaces=c.field("interfaces", lambda: _interfaces(c), ()),
        pci_devices=c.field("pci_devices", lambda: tools.parse_lspci(c.command(["lspci", "-mm"])), ()),
        unavailable=c.unavailable,
    )


def _line(text: str) -> str:
    value = text.strip()
    if not value or "\n" in value:
        raise ParseError("identity", f"expected one line, got {value[:40]!r}")
    return value


def _virtualization(c: InventoryCollector) -> str:
    def detect_virt() -> str:
        result = c.run(["systemd-detect-virt"])
        # It exits 1 after printing "none" on bare metal; that is an answer, not a failure.
        if result.returncode in (0, 1) and result.stdout.strip():
            return tools.parse_detect_virt(result.stdout)
        return tools.parse_detect_virt(c.command(["systemd-detect-virt"]))

    def from_cpu_flags() -> str:
        return "vm" if tools.cpuinfo_has_hypervisor(c.text("/proc/cpuinfo")) else "none"

    return c.first(
        detect_virt,
        lambda: tools.parse_dmi_product(c.text("/sys/class/dmi/id/product_name")),
        from_cpu_flags,
    )


def _dimms(c: InventoryCollector) -> tuple[Dimm, ...]:
    text = c.command(["dmidecode", "-t", "memory"])
    dimms = tools.parse_dmidecode_memory(text)
    if not dimms:
        raise _Unavailable("dmidecode: no memory devices in the DMI table")
    return dimms


def _filesystems(c: InventoryCollector) -> tuple[Filesystem, ...]:
    fstypes = c.field("filesystem_types", lambda: tools.parse_mounts(c.text("/proc/mounts")), {})
    return c.first(
        lambda: tools.parse_df(c.command(["df", "-P", "-B1"]), 1, fstypes),
        # BusyBox builds without -B still know POSIX kilobyte output.
        lambda: tools.parse_df(c.command(["df", "-kP"]), 1024, fstypes),
    )


def _interfaces(c: InventoryCollector) -> tuple[NetInterface, ...]:
    interfaces = c.first(
        lambda: tools.parse_ip_json(c.command(["ip", "-j", "addr"])),
        lambda: tools.parse_ip_text(c.command(["ip", "addr"])),
        lambda: _interfaces_from_sysfs(c),
    )
    return tuple(
        NetInterface(i.name, i.mac, i.mtu, i.state, _link_speed(c, i.name), i.addresses)
        for i in interfaces
    )


def _sys_net(c: InventoryCollector, name: str, attribute: str) -> str | None:
    if not _IFNAME.fullmatch(name) or name in (".", ".."):
        return None
    try:
        return c.text(f"/sys/class/net/{name}/{attribute}").strip() or None
    except _Unavailable:
        return None  # e.g. speed of a virtual or down link: EINVAL, which means unknown


def _link_speed(c: InventoryCollector, name: str) -> int | None:
    text = _sys_net(c, name, "speed")
    try:
        return None if text is None else tools.parse_link_speed(text)
    except ParseError:
        return None


def _interfaces_from_sysfs(c: InventoryCollector) -> tuple[NetInterface, ...]:
    names = c.command(["ls", "-1", "/sys/class/net"]).split()
    result = []
    for name in names:
        if not _IFNAME.fullmatch(name):
            raise ParseError("/sys/class/net", f"unexpected entry {name[:20]!r}")
        mtu = _sys_net(c, name, "mtu")
        result.append(NetInterface(
            name=name,
            mac=_sys_net(c, name, "address"),
            mtu=int(mtu) if mtu and mtu.isdigit() else None,
            state=(_sys_net(c, name, "operstate") or "").upper() or None,
        ))
    return tuple(result)
