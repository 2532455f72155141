"""Streaming samples and inventory from real sshd hosts, including hostile and broken ones."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from services.errors import ParseError
from services.hardware.inventory import collect_inventory
from services.hardware.sampler import SampleStream
from services.ssh.errors import Unreachable
from services.ssh.pool import ConnectionState
from services.ssh.runner import SshRunner
from services.ssh.stream import SshFrameStream, dead_after
from services.ssh.targets import resolve_target
from tests.ssh.helpers import NeverPrompter, wait_for


class Consumer(threading.Thread):
    """Iterates a stream on its own thread, timestamping items and the error that ends it."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream = stream
        self.times: list[float] = []
        self.items: list = []
        self.error: BaseException | None = None
        self.error_at: float | None = None
        self.start()

    def run(self) -> None:
        try:
            for item in self.stream:
                self.items.append(item)
                self.times.append(time.monotonic())
        except BaseException as exc:  # noqa: BLE001 - recorded for the test to inspect
            self.error, self.error_at = exc, time.monotonic()

    def stop(self) -> None:
        self.stream.close()
        self.join(15)
        assert not self.is_alive()


def _pool_and_targets(bed, home, factory, hosts):
    bed.write_ssh_config(home, hosts=hosts, known=True)
    return factory(NeverPrompter()), [resolve_target(h.name) for h in hosts]


def _first_items(stream, n: int) -> list:
    items = []
    try:
        for item in stream:
            items.append(item)
            if len(items) == n:
                break
    finally:
        stream.close()
    return items


def test_link_down_mid_stream_is_unreachable_in_time_while_others_stream(
        ssh_testbed, ssh_hosts, ssh_host_factory, ssh_home, ssh_pool_factory):
    cut, steady = ssh_host_factory(), ssh_hosts[1]
    pool, (cut_t, steady_t) = _pool_and_targets(ssh_testbed, ssh_home, ssh_pool_factory, [cut, steady])
    interval = 0.5
    a = Consumer(SshFrameStream(pool, cut_t, interval))
    b = Consumer(SshFrameStream(pool, steady_t, interval))
    try:
        assert wait_for(lambda: len(a.times) >= 2 and len(b.times) >= 2, 15)
        cut.link_down()
        down_at = time.monotonic()
        limit = dead_after(interval)
        assert wait_for(lambda: a.error is not None, limit + 5)
        assert isinstance(a.error, Unreachable), a.error
        assert a.error_at - down_at <= limit + 1.5
        during = [t for t in b.times if down_at <= t <= a.error_at]
        assert len(during) >= (a.error_at - down_at) / interval * 0.6
        assert b.error is None
        assert pool.state(cut.name)[0] is ConnectionState.UNREACHABLE
        assert pool.transport_count(cut.name) == 0 and pool.transport_count(steady.name) == 1
    finally:
        cut.link_up()
        b.stop()
        a.stop()


def test_close_unblocks_a_waiting_reader(ssh_testbed, ssh_hosts, ssh_home, ssh_pool_factory):
    pool, [target] = _pool_and_targets(ssh_testbed, ssh_home, ssh_pool_factory, ssh_hosts[:1])
    consumer = Consumer(SshFrameStream(pool, target, 30))
    assert wait_for(lambda: consumer.items, 10)
    started = time.monotonic()
    consumer.stop()
    assert time.monotonic() - started < 2 and consumer.error is None
    assert pool.transport_count(target.name) == 1  # the shared transport stays up


@pytest.mark.parametrize("force_command, reason", [
    ("printf 'hello world\\n'; sleep 2", "text outside a frame"),
    ("printf '@@frame\\n@@file /proc/uptime\\n12.5 '", "ended unexpectedly"),
    ("printf '@@frame\\n@@file /etc/shadow\\n'; sleep 2", "unexpected file"),
    ("head -c 5000000 /dev/zero; sleep 2", "line too long"),
])
def test_garbage_or_truncated_stream_is_a_parse_error(ssh_testbed, ssh_host_factory, ssh_home, ssh_pool_factory,
                                                      force_command, reason):
    host = ssh_host_factory(sshd_options=(f"ForceCommand={force_command}",))
    pool, [target] = _pool_and_targets(ssh_testbed, ssh_home, ssh_pool_factory, [host])
    with pytest.raises(ParseError) as err:
        _first_items(SshFrameStream(pool, target, 0.5), 2)
    assert reason in str(err.value)
    assert pool.state(host.name)[0] is ConnectionState.CONNECTED  # the host is fine, its output is not
    assert pool.transport_count(host.name) == 1


def test_inventory_and_samples_over_ssh(ssh_testbed, ssh_hosts, ssh_home, ssh_pool_factory):
    host = ssh_hosts[2]
    pool, [target] = _pool_and_targets(ssh_testbed, ssh_home, ssh_pool_factory, [host])
    inventory = collect_inventory(SshRunner(pool, target))
    eth0 = next(i for i in inventory.interfaces if i.name == "eth0")
    assert f"{host.address}/24" in eth0.addresses
    assert inventory.memory_total_bytes and inventory.cpu.threads
    samples = _first_items(SampleStream(SshFrameStream(pool, target, 0.5)), 2)
    assert "eth0" in samples[-1].net_rx_bps and 0 <= samples[-1].cpu_percent <= 100
    assert pool.transport_count(host.name) == 1


def test_shell_metacharacters_in_hostname_and_interface_names_stay_data(
        ssh_testbed, ssh_host_factory, ssh_home, ssh_pool_factory):
    marker = Path(f"/tmp/clpwn-{os.getpid()}")
    hostname = f"$(touch {marker})`touch {marker}`"
    host = ssh_host_factory(uts_hostname=hostname)
    ifnames = ["$(touch${IFS}x)", "a;touch${IFS}y", "`touch${IFS}z`"]
    for n, name in enumerate(ifnames):  # veth pairs: this kernel has no dummy module
        host.exec(["ip", "link", "add", name, "type", "veth", "peer", "name", f"peer{n}"])
        host.exec(["ip", "link", "set", name, "up"])
    planted = [marker, Path("/root/x"), Path("/root/y"), Path("/root/z")]
    assert not any(p.exists() for p in planted)
    pool, [target] = _pool_and_targets(ssh_testbed, ssh_home, ssh_pool_factory, [host])
    inventory = collect_inventory(SshRunner(pool, target))
    assert inventory.hostname == hostname
    assert set(ifnames) <= {i.name for i in inventory.interfaces}
    samples = _first_items(SampleStream(SshFrameStream(pool, target, 0.5)), 2)
    assert set(ifnames) <= set(samples[-1].net_rx_bps)
    assert not any(p.exists() for p in planted)


def test_busybox_host_shows_what_it_has(ssh_testbed, ssh_host_factory, ssh_home, ssh_pool_factory, busybox_bin):
    # Sessions on this host find only BusyBox applets on PATH, as on a minimal appliance.
    host = ssh_host_factory(sshd_options=(f"SetEnv=PATH={busybox_bin}",))
    pool, [target] = _pool_and_targets(ssh_testbed, ssh_home, ssh_pool_factory, [host])
    runner = SshRunner(pool, target)
    assert runner.run(["sh", "-c", "readlink /proc/$$/exe"]).stdout.strip().endswith("busybox")
    inventory = collect_inventory(runner)
    assert "not installed" in inventory.unavailable.get("pci_devices", "")
    eth0 = next(i for i in inventory.interfaces if i.name == "eth0")
    assert f"{host.address}/24" in eth0.addresses
    samples = _first_items(SampleStream(SshFrameStream(pool, target, 0.5)), 2)
    assert "eth0" in samples[-1].net_rx_bps and samples[-1].memory is not None
