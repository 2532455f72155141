"""Pure parsers for the inventory: os-release, lscpu, /proc/cpuinfo, lsblk, df, ip, lspci,
dmidecode, virtualization hints and /sys/class/net attributes.

Every parser takes text and returns model values, or raises ParseError. Output of both
the util-linux/iproute2/procps tools and their BusyBox counterparts is understood.
"""
from __future__ import annotations

import json
import re
import shlex
from typing import Any

from services.errors import ParseError
from services.hardware.model import BlockDevice, CpuInfo, Dimm, Filesystem, NetInterface, PciDevice
from services.hardware.parsers_proc import counter, guarded


def _key_values(text: str, sep: str = ":") -> dict[str, str]:
    pairs = {}
    for line in text.split("\n"):
        key, found, value = line.partition(sep)
        if found:
            pairs.setdefault(key.strip(), value.strip())
    return pairs


@guarded("os-release")
def parse_os_release(text: str) -> str:
    """The distribution's display name from os-release (shell-quoted KEY=value lines)."""
    values = {}
    for line in text.split("\n"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, raw = line.partition("=")
        if not sep or not key.isidentifier():
            raise ValueError(f"not a KEY=value line: {line[:60]!r}")
        words = shlex.split(raw)
        values[key] = " ".join(words)
    name = values.get("PRETTY_NAME") or " ".join(
        v for v in (values.get("NAME"), values.get("VERSION")) if v
    )
    if not name:
        raise ParseError("os-release", "neither PRETTY_NAME nor NAME")
    return name


def _topology(value: str | None) -> int | None:
    # lscpu prints "-" for counts it cannot know (some ARM boards, containers).
    if value is None or value == "-":
        return None
    return counter(value)


@guarded("lscpu")
def parse_lscpu(text: str) -> CpuInfo:
    """Model, sockets, cores and threads from `lscpu` (C locale)."""
    info = _key_values(text)
    threads = _topology(info.get("CPU(s)"))
    if threads is None:
        raise ParseError("lscpu", "no CPU(s) line")
    sockets = _topology(info.get("Socket(s)"))
    # ARM lscpu counts cores per cluster and may print "Socket(s): -".
    groups = sockets if sockets is not None else _topology(info.get("Cluster(s)"))
    per_group = _topology(info.get("Core(s) per socket") or info.get("Core(s) per cluster"))
    cores = per_group * groups if per_group is not None and groups is not None else None
    return CpuInfo(info.get("Model name") or None, sockets, cores, threads)


_CPUINFO_MODEL_KEYS = ("model name", "Model", "cpu model", "Hardware", "cpu")


@guarded("/proc/cpuinfo")
def parse_cpuinfo(text: str) -> CpuInfo:
    """CPU topology from /proc/cpuinfo, for hosts without lscpu (BusyBox)."""
    blocks = [_key_values(block) for block in text.split("\n\n") if block.strip()]
    processors = [b for b in blocks if "processor" in b]
    if not processors:
        raise ParseError("/proc/cpuinfo", "no processor entries")
    for block in processors:
        counter(block["processor"])
    model = next(
        (b[k] for k in _CPUINFO_MODEL_KEYS for b in blocks if b.get(k)), None
    )
    packages = {b["physical id"] for b in processors if "physical id" in b}
    cores = {(b.get("physical id"), b["core id"]) for b in processors if "core id" in b}
    return CpuInfo(model, len(packages) or None, len(cores) or None, len(processors))


def _size(value: Any) -> int | None:
    # lsblk -b prints numbers; lsblk before 2.33 prints every JSON value as a string.
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str):
        return counter(value)
    raise ValueError(f"bad size {value!r}")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return value.strip() or None


def _block_device(node: Any, depth: int = 0) -> BlockDevice:
    if depth > 16 or not isinstance(node, dict):
        raise ValueError("malformed lsblk device")
    if "mountpoints" in node:
        points = node["mountpoints"] or []
        if not isinstance(points, list):
            raise ValueError("mountpoints is not a list")
    else:
        points = [node.get("mountpoint")]
    children = node.get("children") or []
    if not isinstance(children, list):
        raise ValueError("children is not a list")
    name = _text(node["name"])
    if name is None:
        raise ValueError("device without a name")
    return BlockDevice(
        name=name,
        type=_text(node.get("type")) or "unknown",
        size_bytes=_size(node.get("size")),
        model=_text(node.get("model")),
        mountpoints=tuple(p for p in map(_text, points) if p),
        children=tuple(_block_device(child, depth + 1) for child in children),
    )


@guarded("lsblk")
def parse_lsblk(text: str) -> tuple[BlockDevice, ...]:
    """Block device tree from `lsblk -J -b -o NAME,TYPE,SIZE,MODEL,MOUNTPOINT[S]`."""
    data = json.loads(text)
    devices = data["blockdevices"]
    if not isinstance(devices, list):
        raise ValueError("blockdevices is not a list")
    return tuple(_block_device(node) for node in devices)


_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")


@guarded("/proc/mounts")
def parse_mounts(text: str) -> dict[str, str]:
    """Filesystem type per mount point; the last mount on a path is the visible one."""
    types = {}
    for line in text.split("\n"):
        if not line.strip():
            continue
        _source, mountpoint, fstype, *_ = line.split()
        # The kernel escapes space, tab, newline and backslash as octal (\040 ...).
        types[_OCTAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), mountpoint)] = fstype
    return types


@guarded("df")
def parse_df(text: str, block_bytes: int = 1, fstypes: dict[str, str] | None = None
             ) -> tuple[Filesystem, ...]:
    """Parse POSIX `df -P` output whose sizes are in blocks of block_bytes.

    BusyBox without -P wraps a long source name onto its own line; such a line is
    joined to the next one.
    """
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        raise ParseError("df", "no output")
    # The header line is skipped unread: outside the C locale it is translated.
    result = []
    pending: list[str] = []
    for line in lines[1:]:
        tokens = pending + line.split()
        if len(tokens) == 1:
            pending = tokens
            continue
        pending = []
        cap = next((i for i in range(4, len(tokens)) if tokens[i][-1:] in ("%", "-")), None)
        if cap is None:
            raise ValueError(f"no capacity column in {line[:60]!r}")
        size, used, avail = (counter(t) * block_bytes for t in tokens[cap - 3:cap])
        mountpoint = " ".join(tokens[cap + 1:])
        if not mountpoint.startswith("/"):
            raise ValueError(f"bad mount point in {line[:60]!r}")
        fstype = (fstypes or {}).get(mountpoint)
        result.append(Filesystem(" ".join(tokens[:cap - 3]), mountpoint, fstype, size, used, avail))
    if pending:
        raise ParseError("df", "truncated output")
    return tuple(result)


def _address_list(items: Any) -> tuple[str, ...]:
    if not isinstance(items, list):
        raise ValueError("addr_info is not a list")
    return tuple(f"{_text(a['local'])}/{counter(str(a['prefixlen']))}" for a in items)


def _mtu(value: Any) -> int | None:
    return None if value is None else counter(str(value))


@guarded("ip -j addr")
def parse_ip_json(text: str) -> tuple[NetInterface, ...]:
    """Interfaces from iproute2's `ip -j addr`."""
    data = json.loads(text)
    if not isinstance(data, list):
        raise ValueError("top level is not a list")
    result = []
    for link in data:
        if not link:
            continue  # iproute2 emits {} for links that vanish while it lists them
        name = _text(link["ifname"])
        if name is None:
            raise ValueError("interface without a name")
        result.append(NetInterface(
            name=name,
            mac=_text(link.get("address")),
            mtu=_mtu(link.get("mtu")),
            state=_text(link.get("operstate")),
            addresses=_address_list(link.get("addr_info", [])),
        ))
    return tuple(result)


@guarded("ip addr")
def parse_ip_text(text: str) -> tuple[NetInterface, ...]:
    """Interfaces from the text of `ip addr`, iproute2 or BusyBox (which has no -j)."""
    links: list[dict[str, Any]] = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        words = line.split()
        if not line[0].isspace():
            counter(words[0].rstrip(":"))
            name = words[1].rstrip(":").split("@")[0]
            if not name or not words[2].startswith("<"):
                raise ValueError(f"bad link line {line[:60]!r}")
            attrs = dict(zip(words[3::2], words[4::2]))
            links.append({"name": name, "mtu": attrs.get("mtu"), "state": attrs.get("state"),
                          "mac": None, "addresses": []})
        elif not links:
            raise ValueError("address line before any link")
        elif words[0].startswith("link/") and len(words) > 1:
            links[-1]["mac"] = words[1]
        elif words[0] in ("inet", "inet6"):
            _address, slash, prefix = words[1].partition("/")
            if slash:
                counter(prefix)
            links[-1]["addresses"].append(words[1])
    return tuple(
        NetInterface(l["name"], l["mac"], _mtu(l["mtu"]), l["state"], None, tuple(l["addresses"]))
        for l in links
    )


@guarded("/sys/class/net/*/speed")
def parse_link_speed(text: str) -> int | None:
    """Link speed in Mb/s; the kernel prints -1 (or 4294967295) when it is unknown."""
    value = text.strip()
    if value in ("-1", "4294967295", "0", ""):
        return None
    return counter(value)


@guarded("lspci -mm")
def parse_lspci(text: str) -> tuple[PciDevice, ...]:
    """PCI devices from machine-readable `lspci -mm`."""
    result = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        # slot "class" "vendor" "device" [-rREV] [-pPROGIF] ["subvendor" "subdevice"]
        words = shlex.split(line)
        if len(words) < 4 or ":" not in words[0] or any(w[:1] == "-" for w in words[1:4]):
            raise ValueError(f"bad lspci line {line[:60]!r}")
        result.append(PciDevice(*words[:4]))
    return tuple(result)


_SIZE_UNITS = {"bytes": 1, "kB": 1 << 10, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30,
               "TB": 1 << 40}
_UNKNOWN = ("Unknown", "Not Specified", "None", "")


def _dimm_size(value: str) -> int | None:
    number, _, unit = value.partition(" ")
    if unit not in _SIZE_UNITS:
        raise ValueError(f"bad DIMM size {value[:40]!r}")
    return counter(number) * _SIZE_UNITS[unit]


@guarded("dmidecode -t memory")
def parse_dmidecode_memory(text: str) -> tuple[Dimm, ...]:
    """Installed memory modules from `dmidecode -t memory`; empty slots are left out."""
    result = []
    for block in text.split("\n\n"):
        lines = block.strip().split("\n")
        if len(lines) < 2 or lines[1].strip() != "Memory Device":
            continue
        fields = _key_values("\n".join(lines[2:]))
        size = fields.get("Size", "")
        if size.startswith("No Module Installed") or size in _UNKNOWN:
            continue
        speed = fields.get("Configured Memory Speed") or fields.get("Speed")
        result.append(Dimm(
            # Locators repeat per channel ("DIMM 1" twice); the bank tells them apart.
            locator=", ".join(v for v in (fields.get("Bank Locator"), fields.get("Locator"))
                              if v and v not in _UNKNOWN) or "?",
            size_bytes=_dimm_size(size),
            type=None if fields.get("Type") in _UNKNOWN else fields.get("Type"),
            speed=None if speed in _UNKNOWN else speed,
        ))
    return tuple(result)


_DMI_PRODUCTS = (
    ("KVM", "kvm"), ("QEMU", "qemu"), ("Standard PC", "qemu"), ("VirtualBox", "oracle"),
    ("VMware", "vmware"), ("HVM domU", "xen"), ("Bochs", "bochs"), ("Parallels", "parallels"),
    ("BHYVE", "bhyve"), ("Google Compute Engine", "google"), ("Virtual Machine", "microsoft"),
)


@guarded("virtualization")
def parse_dmi_product(product_name: str) -> str:
    """The hypervisor that /sys/class/dmi/id/product_name betrays, or "none"."""
    product = product_name.strip()
    return next((kind for marker, kind in _DMI_PRODUCTS if marker in product), "none")


@guarded("systemd-detect-virt")
def parse_detect_virt(text: str) -> str:
    """systemd-detect-virt prints one identifier: "none", "kvm", "docker"..."""
    value = text.strip()
    if not value or not all(c.isalnum() or c in "-_" for c in value) or len(value) > 40:
        raise ValueError(f"unexpected output {value[:40]!r}")
    return value


@guarded("/proc/cpuinfo")
def cpuinfo_has_hypervisor(text: str) -> bool:
    """Whether any x86 CPU advertises the `hypervisor` flag (running under a VM)."""
    flags = _key_values(text).get("flags")
    if flags is None:
        raise ParseError("/proc/cpuinfo", "no flags line (not x86)")
    return "hypervisor" in flags.split()
