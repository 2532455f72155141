"""HardwareSampler and SampleStream over real local frames and recorded frame sequences."""
import glob
import math
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from services.hardware.frames import FrameDecoder, read_local_frame
from services.hardware.model import HardwareSample
from services.hardware.sampler import HardwareSampler, SampleStream, counter_delta
from services.streams import IntervalStream

DATA = Path(__file__).parent / "data" / "hardware"
NET_HEADER = (
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs"
    " drop fifo colls carrier compressed\n"
)


def recorded_frames(name: str) -> list[dict[str, str]]:
    """Frames of a recorded (or derived) sampling-loop output."""
    return FrameDecoder().feed((DATA / name).read_text())


def net_dev(**rx_tx: tuple[int, int]) -> str:
    """A /proc/net/dev text in the kernel's format with the given rx/tx byte counters."""
    rows = "".join(
        f"{name:>6}: {rx:>7} 0 0 0 0 0 0 0 {tx:>8} 0 0 0 0 0 0 0\n"
        for name, (rx, tx) in rx_tx.items())
    return NET_HEADER + rows


def feed_all(frames) -> list[HardwareSample | None]:
    """Feed frames to one sampler and return every result."""
    sampler = HardwareSampler()
    return [sampler.feed(frame) for frame in frames]


def _send_over_loopback(nbytes: int) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        conn, _ = server.accept()
        received = 0

        def sink():
            nonlocal received
            while chunk := conn.recv(1 << 16):
                received += len(chunk)

        reader = threading.Thread(target=sink)
        reader.start()
        client.sendall(b"x" * nbytes)
        client.close()
        reader.join(timeout=10)
        conn.close()
        assert received == nbytes


def test_two_real_local_frames_a_second_apart():
    sampler = HardwareSampler()
    assert sampler.feed(read_local_frame()) is None
    _send_over_loopback(4 << 20)
    time.sleep(1)
    sample = sampler.feed(read_local_frame())

    assert 0.9 <= sample.interval <= 5
    assert 0 <= sample.cpu_percent <= 100
    online = [line for line in Path("/proc/stat").read_text().split("\n")
              if line[:3] == "cpu" and line[3:4].isdigit()]
    assert len(sample.cpu_per_core) == len(online)
    assert sample.memory.total == os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert 0 < sample.memory.available <= sample.memory.total
    # Our own 4 MiB crossed lo during the interval; other traffic can only add to it.
    assert sample.net_rx_bps["lo"] * sample.interval >= 4 << 20
    # The partition rule must leave exactly the kernel's whole disks (/sys/block).
    assert set(sample.disk_read_bps) == set(os.listdir("/sys/block"))
    if glob.glob("/sys/class/hwmon/hwmon*/temp*_input"):
        assert sample.temperatures
    else:
        assert sample.temperatures == ()
        assert sample.unavailable == {"temperatures": "no hwmon sensors"}


def test_recorded_busy_frames():
    first, second = feed_all(recorded_frames("debian12-kvm/frames-busy.txt"))
    assert first is None
    assert second.interval == pytest.approx(1.06)
    assert second.cpu_percent == pytest.approx(98.122, abs=0.001)
    # dd wrote 64 MiB with O_DIRECT during the interval
    assert second.disk_write_bps["vda"] * second.interval == pytest.approx(64 << 20, rel=0.01)
    assert second.net_rx_bps["lo"] > 100e6
    assert second.net_rx_bps["eth0"] == 0
    assert second.memory.swap_total == 0
    assert second.load_average is not None


def test_recorded_idle_frames_give_a_sample_per_frame_after_the_first():
    results = feed_all(recorded_frames("debian12-kvm/frames.txt"))
    assert results[0] is None and all(isinstance(r, HardwareSample) for r in results[1:])
    assert [r.timestamp for r in results[1:]] == [437.62, 438.63]
    assert all(r.unavailable == {"temperatures": "no hwmon sensors"} for r in results[1:])


def test_hwmon_frames():
    _, second, third = feed_all(recorded_frames("derived/frames-hwmon.txt"))
    assert [(t.chip, t.label) for t in second.temperatures][:3] == [
        ("acpitz", "temp1"), ("k10temp", "Tctl"), ("k10temp", "Tccd1")]
    assert second.temperatures[1].celsius == 45.75 and third.temperatures[1].celsius == 46.25
    assert "temperatures" not in second.unavailable


def test_many_cores():
    base = recorded_frames("debian12-kvm/frames.txt")[0]
    frames = [
        {**base, "/proc/uptime": "100.00 150.00\n",
         "/proc/stat": (DATA / "derived/proc_stat-64cores").read_text()},
        {**base, "/proc/uptime": "101.00 151.00\n",
         "/proc/stat": (DATA / "derived/proc_stat-64cores.2").read_text()},
    ]
    sample = feed_all(frames)[1]
    assert sample.cpu_per_core == tuple(float(n) for n in range(64))
    assert sample.cpu_percent == pytest.approx(31.5)


def test_missing_and_garbage_parts_degrade_only_themselves():
    first, second, third = recorded_frames("debian12-kvm/frames.txt")
    del second["/proc/diskstats"]
    second["/proc/meminfo"] = "MemTotal: lots\n"
    third.pop("/proc/loadavg")
    _, s2, s3 = feed_all([first, second, third])
    assert s2.disk_read_bps == {} and s2.unavailable["disk"] == "/proc/diskstats missing from the frame"
    assert s2.memory is None and s2.unavailable["memory"].startswith("/proc/meminfo:")
    assert s2.load_average is not None and s2.net_rx_bps and not math.isnan(s2.cpu_percent)
    # diskstats is back: its rate spans the two frames that had it
    assert set(s3.disk_read_bps) == set(feed_all([first, third])[1].disk_read_bps)
    assert s3.memory is not None and s3.load_average is None
    assert "disk" not in s3.unavailable and "load_average" in s3.unavailable


def test_interfaces_appear_vanish_and_reset():
    frames = [
        {"/proc/uptime": "10.0 0\n", "/proc/net/dev": net_dev(lo=(1000, 1000), eth0=(5000, 100))},
        {"/proc/uptime": "12.0 0\n", "/proc/net/dev": net_dev(lo=(3000, 1400), veth1=(10, 10))},
        {"/proc/uptime": "14.0 0\n", "/proc/net/dev": net_dev(lo=(100, 50), veth1=(30, 50))},
    ]
    _, s2, s3 = feed_all(frames)
    assert s2.net_rx_bps == {"lo": 1000.0} and s2.net_tx_bps == {"lo": 200.0}
    # lo was reset (re-created); a 32-bit wrap is ruled out, so it has no rate this time
    assert s3.net_rx_bps == {"veth1": 10.0} and s3.net_tx_bps == {"veth1": 20.0}
    assert math.isnan(s2.cpu_percent) and s2.unavailable["cpu"] == "/proc/stat missing from the frame"


def test_counter_delta_wrap_and_reset():
    assert counter_delta(100, 250) == 150
    assert counter_delta((1 << 32) - 100, 50) == 150  # 32-bit counter wrapped
    assert counter_delta(1_000_000_000, 10) is None  # too far for one wrap: a reset
    assert counter_delta(1 << 40, 5) is None  # 64-bit counters never wrap in practice


def test_core_hotplug():
    def stat(*cores):
        lines = [f"cpu{n} {u} 0 0 {i} 0 0 0 0 0 0" for n, u, i in cores]
        return "cpu  1 0 0 1 0 0 0 0 0 0\n" + "\n".join(lines) + "\nintr 0\n"

    frames = [
        {"/proc/uptime": "1.0 0\n", "/proc/stat": stat((0, 0, 0), (1, 0, 0))},
        {"/proc/uptime": "2.0 0\n", "/proc/stat": stat((0, 50, 50))},
        {"/proc/uptime": "3.0 0\n", "/proc/stat": stat((0, 100, 100), (1, 30, 70))},
    ]
    _, offline, back = feed_all(frames)
    assert offline.cpu_per_core == (50.0,)
    assert back.cpu_per_core[0] == 50.0 and math.isnan(back.cpu_per_core[1])


def test_an_offline_core_leaves_a_gap_not_a_shift():
    def stat(*cores):
        lines = [f"cpu{n} {u} 0 0 {i} 0 0 0 0 0 0" for n, u, i in cores]
        return "cpu  1 0 0 1 0 0 0 0 0 0\n" + "\n".join(lines) + "\nintr 0\n"

    frames = [
        {"/proc/uptime": "1.0 0\n", "/proc/stat": stat((0, 0, 0), (1, 0, 0), (2, 0, 0))},
        {"/proc/uptime": "2.0 0\n", "/proc/stat": stat((0, 10, 90), (2, 80, 20))},
    ]
    cores = feed_all(frames)[1].cpu_per_core
    assert cores[0] == 10.0 and math.isnan(cores[1]) and cores[2] == 80.0


def test_reboot_restarts_rates():
    first, second, third = recorded_frames("debian12-kvm/frames.txt")
    rebooted = {**third, "/proc/uptime": "3.50 1.00\n"}
    results = feed_all([first, second, rebooted, third])
    assert results[1] is not None and results[2] is None
    assert results[3].interval == pytest.approx(438.63 - 3.50)


def test_without_uptime_the_arrival_clock_is_used():
    ticks = iter([50.0, 52.0])
    sampler = HardwareSampler(clock=lambda: next(ticks))
    frames = [{k: v for k, v in f.items() if k != "/proc/uptime"}
              for f in recorded_frames("debian12-kvm/frames.txt")[:2]]
    assert sampler.feed(frames[0]) is None
    sample = sampler.feed(frames[1])
    assert sample.interval == 2.0 and "uptime" in sample.unavailable


def test_sample_stream_over_real_interval_stream():
    stream = SampleStream(IntervalStream(read_local_frame, 0.2))
    samples = []
    for sample in stream:
        samples.append(sample)
        if len(samples) == 2:
            stream.close()
    assert len(samples) == 2
    assert all(0.15 <= s.interval <= 3 for s in samples)
    assert samples[1].timestamp > samples[0].timestamp


def test_sample_stream_close_from_another_thread_ends_iteration():
    stream = SampleStream(IntervalStream(read_local_frame, 0.1))
    seen = []
    consumer = threading.Thread(target=lambda: seen.extend(stream))
    consumer.start()
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:
        time.sleep(0.05)
    stream.close()
    consumer.join(timeout=5)
    assert not consumer.is_alive() and seen
