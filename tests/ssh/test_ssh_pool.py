"""The shared transport pool: ProxyJump, one transport per host, reconnects, backoff."""
from __future__ import annotations

import threading
import time

import paramiko
import pytest

from services.errors import CommandFailed
from services.ssh.errors import Unreachable
from services.ssh.pool import ConnectionState
from services.ssh.runner import SshRunner
from services.ssh.targets import resolve_target
from tests.ssh.helpers import NeverPrompter, accepted_lines, wait_for


def _live_transport_threads() -> list:
    return [t for t in threading.enumerate() if isinstance(t, paramiko.Transport) and t.is_alive()]


def test_proxy_jump_reaches_the_hidden_host_and_shares_the_jump_transport(
        ssh_testbed, ssh_hosts, ssh_home, ssh_pool_factory):
    hidden, jump = ssh_testbed.hidden, ssh_testbed.jump
    assert not ssh_testbed.direct_route_exists(hidden.address)
    assert ssh_testbed.tcp_connect_fails(hidden.address)
    ssh_testbed.write_ssh_config(ssh_home, known=True)
    pool = ssh_pool_factory(NeverPrompter())
    target = resolve_target(hidden.name)
    assert [h.name for h in target.proxy_jump] == [jump.name]
    out = SshRunner(pool, target).run(["ip", "-4", "-o", "addr", "show", "dev", "eth0"]).stdout
    assert f"{hidden.address}/24" in out
    assert f"from {jump.address.rsplit('.', 1)[0].replace('10.240', '10.241')}.1" in accepted_lines(hidden)[-1]
    SshRunner(pool, resolve_target(jump.name)).run(["true"])
    assert pool.transport_count(jump.name) == 1 and pool.transport_count(hidden.name) == 1


def test_concurrent_callers_share_one_connect(ssh_testbed, ssh_hosts, ssh_home, ssh_pool_factory):
    host = ssh_hosts[1]
    ssh_testbed.write_ssh_config(ssh_home, known=True)
    pool = ssh_pool_factory(NeverPrompter())
    states = []
    pool.add_listener(lambda name, state, error: states.append((name, state)))
    target = resolve_target(host.name)
    before = len(accepted_lines(host))
    got, barrier = [], threading.Barrier(8)

    def call():
        barrier.wait()
        got.append(pool.transport(target))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(got) == 8 and len({id(t) for t in got}) == 1
    assert pool.transport_count(host.name) == 1
    assert len(accepted_lines(host)) == before + 1
    assert states == [(host.name, ConnectionState.CONNECTING), (host.name, ConnectionState.CONNECTED)]


def test_sshd_killed_then_restarted_reconnects_without_leaking(ssh_testbed, ssh_host_factory, ssh_home,
                                                               ssh_pool_factory):
    host = ssh_host_factory()
    ssh_testbed.write_ssh_config(ssh_home, hosts=[host], known=True)
    pool = ssh_pool_factory(NeverPrompter())
    target = resolve_target(host.name)
    first = pool.transport(target)
    host.kill_sshd()
    assert wait_for(lambda: not first.is_active(), 10)
    with pytest.raises(Unreachable) as err:
        pool.transport(target)
    assert "refused" in str(err.value).lower()
    assert pool.state(host.name) == (ConnectionState.UNREACHABLE, str(err.value))
    delay = pool.next_retry_delay(host.name)
    assert 0.5 < delay <= 1.0
    with pytest.raises(Unreachable) as again:  # within the backoff: no new attempt
        pool.transport(target)
    assert again.value is err.value
    host.start_sshd()
    assert wait_for(lambda: pool.next_retry_delay(host.name) == 0, 2)
    second = pool.transport(target)
    assert second is not first and second.is_active() and not first.is_active()
    assert pool.transport_count(host.name) == 1
    assert pool.state(host.name) == (ConnectionState.CONNECTED, None)
    pool.close_all()
    assert wait_for(lambda: not [t for t in _live_transport_threads() if t in (first, second)], 5)
    assert pool.transport_count(host.name) == 0


def test_backoff_doubles_and_mark_healthy_resets_it(ssh_testbed, ssh_host_factory, ssh_home,
                                                    ssh_pool_factory):
    host = ssh_host_factory()
    host.kill_sshd()
    ssh_testbed.write_ssh_config(ssh_home, hosts=[host], known=True)
    pool = ssh_pool_factory(NeverPrompter())
    target = resolve_target(host.name)
    delays = []
    for _ in range(3):
        assert wait_for(lambda: pool.next_retry_delay(host.name) == 0, 5)
        with pytest.raises(Unreachable):
            pool.transport(target)
        delays.append(pool.next_retry_delay(host.name))
    assert 0.7 < delays[0] <= 1.0 and 1.4 < delays[1] <= 2.0 and 2.9 < delays[2] <= 4.0
    pool.mark_healthy(host.name)
    pool.mark_failed(host.name, Unreachable("stream stalled"))
    assert pool.next_retry_delay(host.name) <= 1.0


def test_unreachable_address_is_a_one_line_error(ssh_testbed, ssh_home, ssh_pool_factory):
    pool = ssh_pool_factory(NeverPrompter())
    with pytest.raises(Unreachable) as err:
        pool.transport(resolve_target(f"root@{ssh_testbed.hidden.address}"))
    assert "\n" not in str(err.value) and ssh_testbed.hidden.address in str(err.value)


def test_multi_hop_proxy_jump(ssh_testbed, ssh_hosts, ssh_home, ssh_pool_factory):
    hidden, h1, h2 = ssh_testbed.hidden, ssh_testbed.jump, ssh_hosts[1]
    extra = (f"Host twohops\n    HostName {hidden.address}\n    User root\n"
             f"    IdentityFile {ssh_testbed.client_key}\n    ProxyJump {h2.name},{h1.name}\n")
    ssh_testbed.write_ssh_config(ssh_home, known=True, extra=extra)
    pool = ssh_pool_factory(NeverPrompter())
    out = SshRunner(pool, resolve_target("twohops")).run(["cat", "/proc/sys/kernel/hostname"])
    assert out.ok
    assert f"from {h2.address} " in accepted_lines(h1)[-1]  # h1 was reached through h2
    assert "from 10.241." in accepted_lines(hidden)[-1]  # and the target through h1
    assert all(pool.transport_count(n) == 1 for n in (h2.name, h1.name, "twohops"))


def test_command_timeout_keeps_the_transport(ssh_testbed, ssh_hosts, ssh_home, ssh_pool_factory):
    ssh_testbed.write_ssh_config(ssh_home, known=True)
    pool = ssh_pool_factory(NeverPrompter())
    runner = SshRunner(pool, resolve_target(ssh_hosts[0].name))
    started = time.monotonic()
    with pytest.raises(CommandFailed, match="timed out"):
        runner.run(["sleep", "30"], timeout=1)
    assert time.monotonic() - started < 3
    assert runner.run(["true"]).ok and pool.transport_count(ssh_hosts[0].name) == 1


def test_command_on_a_dead_link_marks_the_host_unreachable(ssh_testbed, ssh_host_factory, ssh_home,
                                                           ssh_pool_factory):
    host = ssh_host_factory()
    ssh_testbed.write_ssh_config(ssh_home, hosts=[host], known=True)
    pool = ssh_pool_factory(NeverPrompter())
    runner = SshRunner(pool, resolve_target(host.name))
    runner.run(["true"])
    host.link_down()
    try:
        with pytest.raises(Unreachable):
            runner.run(["true"], timeout=2)
        assert pool.state(host.name)[0] is ConnectionState.UNREACHABLE
        assert pool.transport_count(host.name) == 0
    finally:
        host.link_up()


def test_a_refused_session_keeps_the_shared_transport_and_its_stream(
        ssh_testbed, ssh_host_factory, ssh_home, ssh_pool_factory):
    from services.ssh.stream import SshFrameStream

    host = ssh_host_factory(sshd_options=("MaxSessions=1",))
    ssh_testbed.write_ssh_config(ssh_home, hosts=[host], known=True)
    pool = ssh_pool_factory(NeverPrompter())
    target = resolve_target(host.name)
    frames = iter(SshFrameStream(pool, target, 0.5))
    try:
        next(frames)  # the stream holds the host's only session
        with pytest.raises(CommandFailed, match="refused a new session"):
            SshRunner(pool, target).run(["true"])
        assert pool.state(host.name) == (ConnectionState.CONNECTED, None)
        next(frames)  # the stream goes on over the same transport
        assert pool.transport_count(host.name) == 1
    finally:
        frames.close()


def test_backoff_is_jittered_and_capped_at_30_s(ssh_home, ssh_pool_factory):
    import socket

    from services.ssh.targets import SshTarget

    with socket.socket() as probe:  # a loopback port that refuses connections
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    target = SshTarget("closed-port", "127.0.0.1", port, "root")
    first_delays = []
    for _ in range(20):
        pool = ssh_pool_factory(NeverPrompter())
        with pytest.raises(Unreachable, match="refused"):
            pool.transport(target)
        first_delays.append(pool.next_retry_delay(target.name))
    assert all(0.7 < d <= 1.0 for d in first_delays)
    assert max(first_delays) - min(first_delays) > 0.05  # jittered: hosts do not retry in step
    for _ in range(12):
        pool.mark_failed(target.name, Unreachable("still down"))
    assert 22 < pool.next_retry_delay(target.name) <= 30.0
