"""The hardware panel with a real Poller and the real local hardware sources.

Each test builds one panel. The first tests watch it render this machine's own
inventory and live samples; the others stop its real topics and feed fabricated
snapshots through the poller's signals, so the expected values are known exactly.
"""
import math
import platform
import socket

import pytest

from app.context import AppContext
from app.poller import Poller
from services.errors import TargetUnavailable
from services.hardware.frames import read_local_frame
from services.hardware.model import (
    CpuInfo, Dimm, Filesystem, HardwareInventory, HardwareSample, MemorySample, NetInterface,
    Temperature,
)
from services.hardware.sources import HardwareSource, HardwareSources
from services.runner import LocalRunner
from services.streams import IntervalStream
from app.topics import inventory_topic, sample_topic
from views.hardware_panel import PANEL, HardwarePanel

LOCAL_SAMPLES = sample_topic("local")
LOCAL_INVENTORY = inventory_topic("local")


@pytest.fixture
def poller():
    poller = Poller()
    yield poller
    poller.shutdown()


@pytest.fixture
def sources():
    return HardwareSources()


@pytest.fixture
def panel(qtbot, poller, sources):
    panel = HardwarePanel(AppContext(poller, sources))
    qtbot.addWidget(panel)
    panel.resize(1200, 800)
    panel.show()
    yield panel
    panel.shutdown()


@pytest.fixture
def quiet_panel(panel, poller):
    """The panel with its real topics stopped, fed only by the test."""
    for topic in panel.owned_topics():
        poller.remove(topic)
    return panel


def make_sample(t, cpu=10.0, cores=(5.0, 15.0), net=None, temps=(), unavailable=None):
    """A HardwareSample at target time t with the given values."""
    net = net if net is not None else {"eth0": (1000.0, 2000.0)}
    return HardwareSample(
        timestamp=t,
        interval=1.0,
        cpu_percent=cpu,
        cpu_per_core=tuple(cores),
        memory=MemorySample(total=8 << 30, used=3 << 30, cached=1 << 30, available=5 << 30,
                            swap_total=1 << 30, swap_used=1 << 20),
        load_average=(0.5, 0.25, 0.125),
        net_rx_bps={name: rx for name, (rx, _) in net.items()},
        net_tx_bps={name: tx for name, (_, tx) in net.items()},
        disk_read_bps={"vda": 4096.0},
        disk_write_bps={"vda": 8192.0},
        temperatures=tuple(temps),
        unavailable=unavailable or {},
    )


def y_values(panel, plot, curve):
    return panel.charts.curves(plot).data(curve)[1].tolist()


def test_panel_spec_is_registered_with_stable_name():
    assert PANEL.object_name == "hardwarePanel"
    assert PANEL.title == "Hardware"
    assert PANEL.factory is HardwarePanel
    assert PANEL.shortcut == "Ctrl+1"


def test_renders_real_local_inventory_and_live_samples(qtbot, panel, poller):
    assert panel.owned_topics() == {LOCAL_SAMPLES, LOCAL_INVENTORY}
    assert {LOCAL_SAMPLES, LOCAL_INVENTORY} <= set(poller.topics())
    qtbot.waitUntil(panel.has_live_data, timeout=15000)
    qtbot.waitUntil(
        lambda: panel.inventory.value("System", "Hostname") == socket.gethostname(),
        timeout=30000,
    )
    assert panel.inventory.value("System", "Kernel") == platform.release()
    assert panel.inventory.value("Memory", "Total").endswith("iB")
    cpu = y_values(panel, "cpu", "total")
    assert cpu and all(0.0 <= v <= 100.0 for v in cpu)
    assert len(panel.charts.curves("cores")) >= 1
    memory_used = y_values(panel, "memory", "used")
    assert memory_used and memory_used[-1] > 0
    assert "lo rx" in panel.charts.curves("network")
    assert panel.age_label.text().startswith("updated")

    # The source stops answering: after 3 missed intervals the panel says it is stale.
    poller.remove(LOCAL_SAMPLES)
    qtbot.waitUntil(lambda: panel.age_label.text().startswith("STALE"), timeout=8000)
    assert panel.age_label.is_stale


def test_fabricated_samples_are_plotted(qtbot, quiet_panel, poller):
    shown = []
    quiet_panel.live_data_shown.connect(lambda: shown.append(True))
    for i, cpu in enumerate((10.0, 20.0, 30.0)):
        poller.snapshot_ready.emit(LOCAL_SAMPLES, make_sample(100.0 + i, cpu=cpu))
    assert quiet_panel.has_live_data() and shown == [True]
    assert y_values(quiet_panel, "cpu", "total") == [10.0, 20.0, 30.0]
    assert y_values(quiet_panel, "cores", "cpu1") == [15.0, 15.0, 15.0]
    assert y_values(quiet_panel, "memory", "used") == [float(3 << 30)] * 3
    assert y_values(quiet_panel, "load", "15 min") == [0.125] * 3
    assert y_values(quiet_panel, "network", "eth0 tx") == [2000.0] * 3
    assert y_values(quiet_panel, "disk", "vda write") == [8192.0] * 3
    times = quiet_panel.charts.curves("cpu").data("total")[0]
    assert list(times[1:] - times[:-1]) == [1.0, 1.0]  # the target's spacing is kept
    assert quiet_panel.charts.plot("temperatures").isHidden()


def test_new_cores_and_interfaces_add_curves_and_reuse_old_ones(quiet_panel, poller):
    curves = quiet_panel.charts.curves
    poller.snapshot_ready.emit(LOCAL_SAMPLES, make_sample(10.0))
    first_core, first_net = curves("cores").curve("cpu0"), curves("network").curve("eth0 rx")
    poller.snapshot_ready.emit(LOCAL_SAMPLES, make_sample(
        11.0, cores=(1.0, 2.0, 3.0), net={"eth0": (1.0, 2.0), "wlan0": (3.0, 4.0)}))
    assert curves("cores").names() == ["cpu0", "cpu1", "cpu2"]
    assert curves("cores").curve("cpu0") is first_core
    assert curves("network").curve("eth0 rx") is first_net
    assert y_values(quiet_panel, "network", "wlan0 tx") == [4.0]
    assert y_values(quiet_panel, "cores", "cpu2") == [3.0]


def test_nan_values_are_skipped_and_temperatures_shown(quiet_panel, poller):
    temps = (Temperature("k10temp", "Tctl", 48.5),)
    poller.snapshot_ready.emit(LOCAL_SAMPLES, make_sample(1.0, cpu=12.0, temps=temps))
    poller.snapshot_ready.emit(LOCAL_SAMPLES, make_sample(2.0, cpu=math.nan, temps=temps))
    assert y_values(quiet_panel, "cpu", "total") == [12.0]
    assert y_values(quiet_panel, "temperatures", "k10temp Tctl") == [48.5, 48.5]
    assert not quiet_panel.charts.plot("temperatures").isHidden()


def test_sensors_with_the_same_name_keep_separate_curves(quiet_panel, poller):
    temps = (Temperature("nvme", "Composite", 41.0), Temperature("nvme", "Composite", 52.0))
    for t in (1.0, 2.0):
        poller.snapshot_ready.emit(LOCAL_SAMPLES, make_sample(t, temps=temps))
    assert quiet_panel.charts.curves("temperatures").names() == [
        "nvme Composite", "nvme Composite #2"]
    assert y_values(quiet_panel, "temperatures", "nvme Composite") == [41.0, 41.0]
    assert y_values(quiet_panel, "temperatures", "nvme Composite #2") == [52.0, 52.0]


def test_sample_unavailable_parts_are_named(quiet_panel, poller):
    sample = make_sample(1.0, unavailable={"temperatures": "no hwmon sensors"})
    poller.snapshot_ready.emit(LOCAL_SAMPLES, sample)
    label = quiet_panel.unavailable_label
    assert not label.isHidden()
    assert label.text() == "not available: temperatures: no hwmon sensors"
    poller.snapshot_ready.emit(LOCAL_SAMPLES, make_sample(2.0))
    assert label.isHidden()


def test_other_topics_are_ignored(quiet_panel, poller):
    poller.snapshot_ready.emit(sample_topic("elsewhere"), make_sample(1.0))
    poller.snapshot_ready.emit("docker.networks", make_sample(1.0))
    assert not quiet_panel.has_live_data()
    assert len(quiet_panel.charts.curves("cpu")) == 0


def test_time_window_limits_the_plotted_samples(quiet_panel, poller):
    for t in range(0, 400):
        poller.snapshot_ready.emit(LOCAL_SAMPLES, make_sample(float(t + 1), cpu=float(t % 100)))
    assert len(y_values(quiet_panel, "cpu", "total")) == 301  # 5 min window, both ends
    quiet_panel.window_combo.setCurrentIndex(0)  # 1 min
    assert quiet_panel.window_seconds == 60
    assert len(y_values(quiet_panel, "cpu", "total")) == 61
    quiet_panel.set_window(900)
    assert len(y_values(quiet_panel, "cpu", "total")) == 400


def test_fabricated_inventory_is_rendered(quiet_panel, poller):
    inventory = HardwareInventory(
        hostname="node-7", kernel="6.1.0-28-amd64", distribution="Debian GNU/Linux 12",
        uptime_seconds=93784.0, virtualization="kvm",
        cpu=CpuInfo("AMD EPYC 7B13", sockets=1, cores=4, threads=8),
        memory_total_bytes=16 << 30,
        dimms=(Dimm("DIMM 0", 8 << 30, "DDR4", "3200 MT/s"),),
        filesystems=(Filesystem("/dev/vda1", "/", "ext4", 100 << 30, 25 << 30, 75 << 30),),
        interfaces=(NetInterface("eth0", "52:54:00:12:34:56", 1500, "UP", 1000,
                                 ("10.0.0.7/24",)),),
        unavailable={"pci_devices": "lspci: not installed", "selinux": "not supported"},
    )
    poller.snapshot_ready.emit(LOCAL_INVENTORY, inventory)
    view = quiet_panel.inventory
    assert view.value("System", "Hostname") == "node-7"
    assert view.value("System", "Uptime") == "1 d 2 h 3 min"
    assert view.value("CPU", "Threads") == "8"
    assert view.value("Memory", "Total") == "16.0 GiB"
    assert view.value("Memory", "DIMMs") == "1 modules"
    assert view.value("Filesystems", "/") == "/dev/vda1 · ext4 · 25.0 GiB of 100.0 GiB (25%)"
    assert view.value("Network interfaces", "eth0") == "UP"
    sections = {view.topLevelItem(i).text(0): view.topLevelItem(i).text(1)
                for i in range(view.topLevelItemCount())}
    assert sections["PCI devices"] == "not available: lspci: not installed"
    assert view.value("Not available", "selinux") == "not available: not supported"


def test_errors_are_shown_with_their_reason(quiet_panel, poller):
    poller.snapshot_ready.emit(LOCAL_SAMPLES, make_sample(1.0))
    poller.error_raised.emit(LOCAL_SAMPLES, TargetUnavailable("local: connection refused"))
    assert "live samples failed: local: connection refused" in quiet_panel.age_label.text()
    poller.error_raised.emit(LOCAL_INVENTORY, RuntimeError("lsblk hung"))
    assert quiet_panel.inventory.topLevelItem(0).text(1) == "could not read inventory: lsblk hung"
    poller.snapshot_ready.emit(LOCAL_SAMPLES, make_sample(2.0))
    assert "failed" not in quiet_panel.age_label.text()


def test_state_round_trip(qtbot, poller, sources, panel):
    assert panel.save_state() == {"target": "local", "interval": 1, "window_seconds": 300}
    panel.restore_state({"target": "local", "interval": 4, "window_seconds": 900})
    state = panel.save_state()
    assert state == {"target": "local", "interval": 4, "window_seconds": 900}
    assert panel.interval_spin.value() == 4 and panel.window_combo.currentText() == "15 min"

    other = HardwarePanel(AppContext(poller, sources))
    qtbot.addWidget(other)
    other.restore_state(state)
    assert other.save_state() == state
    other.shutdown()


def test_a_restored_host_is_shown_once_it_is_registered(qtbot, panel, sources):
    # SSH hosts are registered after the first paint, long after restore_state().
    frames = HardwareSource(LocalRunner, lambda s: IntervalStream(read_local_frame, s))
    panel.restore_state({"target": "lab", "interval": 1, "window_seconds": 300})
    assert panel.target == "local"
    sources.register("lab", frames)
    qtbot.waitUntil(lambda: panel.target == "lab")
    assert panel.target_combo.currentText() == "lab"

    # A target the user picks before the saved one appears wins.
    panel.restore_state({"target": "later"})
    panel.set_target("local")
    sources.register("later", frames)
    qtbot.waitUntil(lambda: panel.target_combo.count() == 3)
    assert panel.target == "local"


def test_restore_ignores_bad_values(panel):
    panel.restore_state({"target": "gone", "interval": "often", "window_seconds": 42})
    assert panel.save_state() == {"target": "local", "interval": 1, "window_seconds": 300}
    panel.restore_state({"interval": 99})
    assert panel.interval == 10
    panel.restore_state("not a dict")
    assert panel.interval == 10


def test_interval_change_reschedules_the_stream(qtbot, panel, poller):
    seen = []
    poller.snapshot_ready.connect(
        lambda topic, obj: seen.append(obj.interval) if topic == LOCAL_SAMPLES else None)
    qtbot.waitUntil(lambda: bool(seen), timeout=15000)
    panel.interval_spin.setValue(2)
    assert panel.interval == 2 and LOCAL_SAMPLES in panel.owned_topics()
    seen.clear()
    qtbot.waitUntil(lambda: bool(seen), timeout=15000)
    # The replaced stream samples every 2 s; the old 1 s stream was stopped.
    assert all(interval == pytest.approx(2.0, abs=0.6) for interval in seen)


def test_target_switch_releases_shared_streams_without_stopping_them(
    qtbot, panel, poller, sources
):
    frames = HardwareSource(LocalRunner, lambda s: IntervalStream(read_local_frame, s))
    sources.register("lab", frames)
    # Another panel already streams "lab" samples: switching away must not stop it.
    other_panel = object()
    poller.ensure_stream(sample_topic("lab"), sources.sample_stream("lab", 1.0), owner=other_panel)
    qtbot.waitUntil(lambda: panel.target_combo.count() == 2)

    panel.target_combo.setCurrentText("lab")
    assert panel.target == "lab"
    assert LOCAL_SAMPLES not in poller.topics() and LOCAL_INVENTORY not in poller.topics()
    assert panel.owned_topics() == {inventory_topic("lab"), sample_topic("lab")}
    assert poller.owners(sample_topic("lab")) == 2
    qtbot.waitUntil(panel.has_live_data, timeout=15000)

    panel.set_target("local")
    assert sample_topic("lab") in poller.topics()  # still held by the other panel
    assert poller.owners(sample_topic("lab")) == 1
    assert inventory_topic("lab") not in poller.topics()

    sources.unregister("lab")
    qtbot.waitUntil(lambda: panel.target_combo.count() == 1)
    assert panel.target == "local"


def test_refresh_never_overlaps_a_running_inventory_read(qtbot, panel, sources):
    reads = []

    def counted_runner():
        reads.append(True)  # one runner per inventory read
        return LocalRunner()

    sources.register("counted", HardwareSource(
        counted_runner, lambda s: IntervalStream(read_local_frame, s)))
    panel.set_target("counted")
    for _ in range(5):  # F5 held down while the first read is still running
        panel.refresh_inventory()
    qtbot.waitUntil(
        lambda: panel.inventory.value("System", "Hostname") == socket.gethostname(),
        timeout=30000,
    )
    assert len(reads) == 1
    panel.refresh_inventory()  # the read is done: Refresh reads again at once
    qtbot.waitUntil(lambda: len(reads) == 2, timeout=30000)


def test_shutdown_removes_its_topics(panel, poller):
    panel.shutdown()
    assert LOCAL_SAMPLES not in poller.topics() and LOCAL_INVENTORY not in poller.topics()
    poller.snapshot_ready.emit(LOCAL_SAMPLES, make_sample(1.0))
    assert not panel.has_live_data()
    panel.restore_state({"interval": 3})  # a closed panel starts nothing again
    panel.refresh_inventory()
    assert LOCAL_SAMPLES not in poller.topics() and LOCAL_INVENTORY not in poller.topics()


def test_busiest_interfaces_lead_a_capped_legend(quiet_panel, poller):
    net = {f"veth{i:02d}": (float(i), 0.0) for i in range(12)}
    poller.snapshot_ready.emit(LOCAL_SAMPLES, make_sample(1.0, net=net))
    legend = quiet_panel.charts.plot("network").getPlotItem().legend
    labels = [label.text for _, label in legend.items]
    assert labels[:2] == ["veth11 rx", "veth11 tx"]  # the busiest first
    assert len(labels) == 9 and labels[-1] == "+16 more"
    assert len(quiet_panel.charts.curves("network")) == 24
