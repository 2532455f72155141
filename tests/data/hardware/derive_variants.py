"""Rebuild tests/data/hardware/derived/ from the recordings in debian12-kvm/.

Each variant changes a recorded file only where the machine it stands for differs, and
keeps the kernel's exact line format (see README.md in this directory).
Run: .venv/bin/python tests/data/hardware/derive_variants.py
"""
from pathlib import Path

HERE = Path(__file__).parent
REC = HERE / "debian12-kvm"
OUT = HERE / "derived"


def stat_64_cores(step: int) -> str:
    """/proc/stat of a 64-core host: core n spends n of every 100 jiffies busy per step."""
    recorded = (REC / "proc_stat").read_text().split("\n")
    tail = [line for line in recorded if not line.startswith("cpu")]
    cores = []
    for n in range(64):
        base = 1000 + 37 * n
        busy = base + n * step
        idle = 40000 + base + (100 - n) * step
        # user nice system idle iowait irq softirq steal guest guest_nice
        cores.append([busy // 2, 0, busy - busy // 2, idle, 5, 0, 3, 0, 0, 0])
    total = [sum(column) for column in zip(*cores)]
    lines = ["cpu  " + " ".join(map(str, total))]
    lines += [f"cpu{n} " + " ".join(map(str, c)) for n, c in enumerate(cores)]
    return "\n".join(lines + tail)


def meminfo_with_swap() -> str:
    """The recorded meminfo on a host with a 2 GiB swap partition, 512 MiB of it in use."""
    text = (REC / "proc_meminfo").read_text()
    return (text.replace("SwapTotal:             0 kB", "SwapTotal:       2097148 kB")
                .replace("SwapFree:              0 kB", "SwapFree:        1572860 kB")
                .replace("SwapCached:            0 kB", "SwapCached:         1024 kB"))


# Three chips as a desktop with an AMD CPU and an NVMe disk exposes them, in the kernel's
# hwmon sysfs ABI: tempN_input in millidegrees Celsius, optional tempN_label, chip `name`.
HWMON = (
    ("/sys/class/hwmon/hwmon0/name", "acpitz"),
    ("/sys/class/hwmon/hwmon0/temp1_input", "27800"),
    ("/sys/class/hwmon/hwmon1/name", "k10temp"),
    ("/sys/class/hwmon/hwmon1/temp1_input", "{tctl}"),
    ("/sys/class/hwmon/hwmon1/temp3_input", "38250"),
    ("/sys/class/hwmon/hwmon1/temp1_label", "Tctl"),
    ("/sys/class/hwmon/hwmon1/temp3_label", "Tccd1"),
    ("/sys/class/hwmon/hwmon2/name", "nvme"),
    ("/sys/class/hwmon/hwmon2/temp1_input", "38850"),
    ("/sys/class/hwmon/hwmon2/temp2_input", "45850"),
    ("/sys/class/hwmon/hwmon2/temp1_label", "Composite"),
    ("/sys/class/hwmon/hwmon2/temp2_label", "Sensor 1"),
)


def frames_with_hwmon() -> str:
    """The recorded frame stream as a host with hwmon sensors prints it.

    The shell loop prints the hwmon files after the /proc ones, grouped by glob
    (names, then inputs, then labels); Tctl rises by 0.5 degrees per frame.
    """
    frames = (REC / "frames.txt").read_text().split("@@end\n")
    out = []
    for n, frame in enumerate(f for f in frames if f):
        extra = "".join(
            f"@@file {path}\n{value.format(tctl=45250 + 500 * n)}\n"
            for order in ("/name", "_input", "_label")
            for path, value in HWMON if path.endswith(order)
        )
        out.append(frame + extra + "@@end\n")
    return "".join(out)


def main() -> None:
    """Write every derived variant."""
    OUT.mkdir(exist_ok=True)
    (OUT / "proc_stat-64cores").write_text(stat_64_cores(0))
    (OUT / "proc_stat-64cores.2").write_text(stat_64_cores(1))
    (OUT / "proc_meminfo-swap").write_text(meminfo_with_swap())
    (OUT / "frames-hwmon.txt").write_text(frames_with_hwmon())


if __name__ == "__main__":
    main()
