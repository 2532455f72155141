"""Hardware parsers over recorded real outputs and the documented derived variants."""
from pathlib import Path

import pytest

from services.errors import ParseError
from services.hardware import parsers_proc as proc
from services.hardware import parsers_tools as tools
from services.hardware.model import CpuInfo, Dimm, PciDevice, Temperature

DATA = Path(__file__).parent / "data" / "hardware"
KVM, BUSYBOX, DERIVED = DATA / "debian12-kvm", DATA / "busybox", DATA / "derived"


def read(path: Path) -> str:
    """Text of one data file."""
    return path.read_text()


def test_proc_stat_recorded_two_cores():
    stat = proc.parse_proc_stat(read(KVM / "proc_stat"))
    # cpu  10823 0 3583 70058 1630 0 68 295 0 0 -> idle+iowait 71688 of 86457
    assert stat.total == proc.CpuTimes(busy=14769, total=86457)
    assert sorted(stat.cores) == [0, 1]
    assert stat.cores[1] == proc.CpuTimes(busy=9203 + 2532 + 58 + 136, total=43241)


def test_proc_stat_many_cores():
    stat = proc.parse_proc_stat(read(DERIVED / "proc_stat-64cores"))
    assert sorted(stat.cores) == list(range(64))
    assert stat.total.total == sum(c.total for c in stat.cores.values())


def test_proc_stat_core_numbers_beyond_linux_limits_are_rejected():
    # A core number sizes the per-core tuple: a hostile one must not allocate billions.
    with pytest.raises(ParseError, match="out of range"):
        proc.parse_proc_stat("cpu  1 0 0 1\ncpu4000000000 1 0 0 1\n")


@pytest.mark.parametrize("name, columns", [("proc_stat-2.6.18", 8), ("proc_stat-2.4", 4)])
def test_proc_stat_old_kernels(name, columns):
    stat = proc.parse_proc_stat(read(DERIVED / name))
    first = read(DERIVED / name).split("\n")[0].split()[1:]
    assert len(first) == columns
    assert stat.total.total == sum(map(int, first))


def test_proc_stat_old_kernel_idle_includes_iowait():
    stat = proc.parse_proc_stat(read(DERIVED / "proc_stat-2.6.18"))
    assert stat.total.total - stat.total.busy == 98765432 + 87654


def test_meminfo_recorded_no_swap():
    mem = proc.parse_meminfo(read(KVM / "proc_meminfo"))
    assert mem.total == 24684096 * 1024
    assert mem.available == 24306888 * 1024
    assert mem.used == mem.total - mem.available
    assert mem.cached == (8032 + 260356 + 126496) * 1024  # Buffers + Cached + SReclaimable
    assert mem.swap_total == 0 and mem.swap_used == 0


def test_meminfo_with_swap():
    mem = proc.parse_meminfo(read(DERIVED / "proc_meminfo-swap"))
    assert mem.swap_total == 2097148 * 1024
    assert mem.swap_used == (2097148 - 1572860) * 1024


def test_meminfo_without_memavailable_estimates_it():
    mem = proc.parse_meminfo(read(DERIVED / "proc_meminfo-2.6.32"))
    assert mem.available == (60936 + 120708 + 593704) * 1024
    assert mem.cached == (120708 + 593704 + 86900) * 1024
    assert mem.swap_used == (2064376 - 2043308) * 1024


def test_meminfo_missing_total_is_a_parse_error():
    with pytest.raises(ParseError, match="/proc/meminfo"):
        proc.parse_meminfo("MemFree: 10 kB\n")


def test_loadavg_and_uptime_recorded():
    assert proc.parse_loadavg(read(KVM / "proc_loadavg")) == (0.11, 0.23, 0.13)
    assert proc.parse_uptime(read(KVM / "proc_uptime")) == 434.08


def test_net_dev_recorded():
    net = proc.parse_net_dev(read(KVM / "proc_net_dev"))
    assert list(net) == ["lo", "ifb0", "ifb1", "eth0"]
    assert net["eth0"] == proc.NetCounters(rx_bytes=348577745, tx_bytes=528129)


def test_net_dev_counter_glued_to_colon():
    net = proc.parse_net_dev(read(DERIVED / "proc_net_dev-2.6"))
    assert net["eth0"] == proc.NetCounters(3841875209, 1943223710)


def test_diskstats_recorded_whole_disks():
    disks = proc.parse_diskstats(read(KVM / "proc_diskstats"))
    assert set(disks) == {f"loop{n}" for n in range(8)} | {"vda", "zram0"}
    # vda: 2387986 sectors read, 3780112 written, in 512-byte sectors
    assert disks["vda"] == proc.DiskCounters(2387986 * 512, 3780112 * 512)


def test_diskstats_excludes_partitions():
    disks = proc.parse_diskstats(read(DERIVED / "proc_diskstats-partitions"))
    assert sorted(disks) == sorted(
        ["loop0", "loop1", "loop10", "nvme0n1", "sda", "mmcblk0", "mmcblk0boot0", "dm-0",
         "md127", "sr0"])
    assert disks["nvme0n1"] == proc.DiskCounters(31880134 * 512, 61204554 * 512)


def test_diskstats_old_kernel_partition_lines():
    disks = proc.parse_diskstats(read(DERIVED / "proc_diskstats-2.6.18"))
    assert sorted(disks) == ["hda", "md0", "ram0", "sda"]
    assert disks["sda"] == proc.DiskCounters(4125946 * 512, 10837832 * 512)


@pytest.mark.parametrize("name, parent", [
    ("sda1", "sda"), ("nvme0n1p2", "nvme0n1"), ("mmcblk0p1", "mmcblk0"), ("loop0p1", "loop0"),
    ("loop10", None), ("nvme0n1", None), ("sdb1", None), ("md127", None), ("sda", None),
    ("nvme0n12", None),
])
def test_partition_rule(name, parent):
    names = {"sda", "nvme0n1", "mmcblk0", "loop0", "loop1", "loop10", "md127", name}
    assert proc.partition_parent(name, names) == parent


def test_hwmon_temperatures():
    from services.hardware.frames import FrameDecoder

    frame = FrameDecoder().feed(read(DERIVED / "frames-hwmon.txt"))[0]
    assert proc.parse_hwmon(frame) == (
        Temperature("acpitz", "temp1", 27.8),
        Temperature("k10temp", "Tctl", 45.25),
        Temperature("k10temp", "Tccd1", 38.25),
        Temperature("nvme", "Composite", 38.85),
        Temperature("nvme", "Sensor 1", 45.85),
    )


def test_hwmon_orders_chips_numerically_and_defaults_names():
    frame = {
        "/sys/class/hwmon/hwmon10/temp1_input": "50000\n",
        "/sys/class/hwmon/hwmon2/temp1_input": "-5500\n",
    }
    assert proc.parse_hwmon(frame) == (
        Temperature("hwmon2", "temp1", -5.5), Temperature("hwmon10", "temp1", 50.0))


def test_hwmon_garbage_value():
    with pytest.raises(ParseError, match="hwmon"):
        proc.parse_hwmon({"/sys/class/hwmon/hwmon0/temp1_input": "N/A\n"})


def test_os_release_recorded():
    assert tools.parse_os_release(read(KVM / "etc_os-release")) == "Debian GNU/Linux 12 (bookworm)"
    assert tools.parse_os_release('NAME=Alpine\nVERSION="3.20"\n') == "Alpine 3.20"


def test_lscpu_recorded_and_cpuinfo_agree():
    from_lscpu = tools.parse_lscpu(read(KVM / "lscpu.txt"))
    assert from_lscpu == tools.parse_cpuinfo(read(KVM / "proc_cpuinfo"))
    assert (from_lscpu.model, from_lscpu.sockets, from_lscpu.cores, from_lscpu.threads) == (
        "AMD EPYC", 1, 2, 2)


def test_lscpu_and_cpuinfo_arm():
    assert tools.parse_lscpu(read(DERIVED / "lscpu-arm-rpi4.txt")) == CpuInfo(
        "Cortex-A72", None, 4, 4)
    info = tools.parse_cpuinfo(read(DERIVED / "cpuinfo-arm-rpi4"))
    assert (info.model, info.sockets, info.cores, info.threads) == (
        "Raspberry Pi 4 Model B Rev 1.1", None, None, 4)


def test_lsblk_recorded_both_column_styles():
    devices = tools.parse_lsblk(read(KVM / "lsblk.json"))
    assert [(d.name, d.type, d.size_bytes, d.mountpoints) for d in devices] == [
        ("zram0", "disk", 0, ()), ("vda", "disk", 274877906944, ("/",))]
    assert tools.parse_lsblk(read(KVM / "lsblk-mountpoint.json")) == devices


def test_lsblk_old_string_values_and_children():
    sda, sr0 = tools.parse_lsblk(read(DERIVED / "lsblk-2.33.json"))
    assert sda.model == "Samsung SSD 860" and sda.size_bytes == 500107862016
    assert [c.name for c in sda.children] == ["sda1", "sda2"]
    assert sda.children[1].children[0].mountpoints == ("/",)
    assert sr0.type == "rom"


def test_df_recorded_gnu_and_busybox():
    mounts = tools.parse_mounts(read(KVM / "proc_mounts"))
    gnu = tools.parse_df(read(KVM / "df-P-B1.txt"), 1, mounts)
    root = next(f for f in gnu if f.mountpoint == "/")
    assert (root.source, root.fstype, root.size_bytes) == ("/dev/vda", "ext4", 270553174016)
    kilo = tools.parse_df(read(KVM / "df-kP.txt"), 1024, mounts)
    assert [f.mountpoint for f in kilo] == [f.mountpoint for f in gnu]
    assert next(f for f in kilo if f.mountpoint == "/").size_bytes == 270553174016
    wrapped = tools.parse_df(read(BUSYBOX / "df.txt"), 1024)
    posix = tools.parse_df(read(BUSYBOX / "df-kP.txt"), 1024)
    assert [(f.source, f.mountpoint, f.size_bytes) for f in wrapped] == [
        (f.source, f.mountpoint, f.size_bytes) for f in posix]
    assert wrapped[3].source == "vendor_tools_ro" and wrapped[3].size_bytes == 4096


def test_mounts_unescapes_octal():
    assert tools.parse_mounts("/dev/sdb1 /media/my\\040disk vfat rw 0 0\n") == {
        "/media/my disk": "vfat"}


def test_ip_json_and_text_agree_on_recording():
    interfaces = tools.parse_ip_json(read(KVM / "ip-j-addr.json"))
    assert tools.parse_ip_text(read(KVM / "ip-addr.txt")) == interfaces
    eth0 = interfaces[3]
    assert (eth0.name, eth0.mac, eth0.mtu, eth0.state) == ("eth0", "02:fc:00:00:00:01", 1400, "UP")
    assert eth0.addresses == ("192.0.2.2/24", "fd00::2/64", "fe80::fc:ff:fe00:1/64")


def test_ip_busybox_text():
    interfaces = tools.parse_ip_text(read(BUSYBOX / "ip-addr.txt"))
    assert [i.name for i in interfaces] == ["lo", "ifb0", "ifb1", "eth0"]
    assert interfaces[3].state is None and interfaces[3].mtu == 1400
    assert interfaces[0].addresses == ("127.0.0.1/8", "::1/128")


def test_link_speed():
    assert tools.parse_link_speed(read(KVM / "sys_class_net_eth0_speed")) is None
    assert tools.parse_link_speed("1000\n") == 1000
    with pytest.raises(ParseError):
        tools.parse_link_speed("fast\n")


def test_lspci_recorded():
    devices = tools.parse_lspci(read(KVM / "lspci-mm.txt"))
    assert len(devices) == 6
    assert devices[3] == PciDevice(
        "00:03.0", "Ethernet controller", "Red Hat, Inc.", "Virtio 1.0 network device")


def test_dmidecode_recorded_without_dmi_has_no_modules():
    assert tools.parse_dmidecode_memory(read(KVM / "dmidecode-memory.txt")) == ()


def test_dmidecode_two_modules_two_empty_slots():
    dimms = tools.parse_dmidecode_memory(read(DERIVED / "dmidecode-memory-2dimms.txt"))
    assert dimms == (
        Dimm("P0 CHANNEL A, DIMM 1", 16 << 30, "DDR4", "3200 MT/s"),
        Dimm("P0 CHANNEL B, DIMM 1", 16 << 30, "DDR4", "2933 MT/s"),
    )


def test_virtualization_hints():
    assert tools.parse_detect_virt(read(KVM / "systemd-detect-virt.txt")) == "docker"
    assert tools.cpuinfo_has_hypervisor(read(KVM / "proc_cpuinfo")) is True
    assert tools.parse_dmi_product("Standard PC (Q35 + ICH9, 2009)\n") == "qemu"
    assert tools.parse_dmi_product("PowerEdge R740\n") == "none"
    with pytest.raises(ParseError):
        tools.cpuinfo_has_hypervisor(read(DERIVED / "cpuinfo-arm-rpi4"))
