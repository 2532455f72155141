"""Fixtures for the real SSH test bed (see tests/ssh/testbed.py).

ssh_testbed (session): h1 (also the jump host), h2, h3, the hidden host, client keys,
  agent, password user; ssh_hosts (session): [h1, h2, h3], never to be faulted;
ssh_host_factory: extra hosts to kill, cut or re-key, removed after the test;
ssh_home: a private HOME; ssh_agent: SSH_AUTH_SOCK of the bed's agent;
ssh_pool_factory: SshPools on ssh_home's files, closed after the test;
busybox_bin: a PATH directory of BusyBox applets only.

tests/conftest.py loads this module as a plugin, so every test directory shares one
session bed (two beds in one run would clash on their names).
"""
from __future__ import annotations

import os

import pytest

from tests.ssh.testbed import NetnsHost, SshTestbed


def _require_root() -> None:
    if os.geteuid() != 0:
        raise RuntimeError("the SSH test bed needs root (network namespaces, sshd, useradd)")


@pytest.fixture(scope="session")
def ssh_testbed():
    """The whole bed: h1 (also the jump host), h2, h3, the hidden host, keys, agent, user."""
    _require_root()
    bed = SshTestbed()
    try:
        yield bed
    finally:
        bed.close()


@pytest.fixture(scope="session")
def ssh_hosts(ssh_testbed) -> list[NetnsHost]:
    """Three directly reachable hosts; tests must not fault them (use ssh_host_factory)."""
    return ssh_testbed.main_hosts()


@pytest.fixture
def ssh_host_factory(ssh_testbed):
    """Make extra hosts for one test (to kill, cut or re-key); removed after the test.

    Call it as ``ssh_host_factory(sshd_options=(...), uts_hostname=None)``.
    """
    made: list[NetnsHost] = []

    def make(sshd_options=(), uts_hostname=None) -> NetnsHost:
        host = ssh_testbed.add_host(None, sshd_options=sshd_options, uts_hostname=uts_hostname)
        made.append(host)
        return host

    yield make
    for host in made:
        ssh_testbed.remove_host(host)


@pytest.fixture
def ssh_home(tmp_path, monkeypatch):
    """A temporary HOME (with no agent) so ~/.ssh/config and known_hosts are the test's own."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return home


@pytest.fixture
def ssh_agent(ssh_testbed, monkeypatch) -> str:
    """Point SSH_AUTH_SOCK at the bed's agent, which holds the agent key; returns the socket."""
    monkeypatch.setenv("SSH_AUTH_SOCK", ssh_testbed.agent_sock)
    return ssh_testbed.agent_sock


@pytest.fixture
def ssh_pool_factory(ssh_home):
    """Make SshPools on the test's HOME known_hosts and app known_hosts; all closed after."""
    from services.ssh.known_hosts import HostKeyStore
    from services.ssh.pool import SshPool
    from services.ssh.prompts import BatchPrompter

    pools = []

    def make(prompter=None, secrets=None) -> "SshPool":
        pool = SshPool(HostKeyStore(), prompter or BatchPrompter(), secrets=secrets)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.close_all()


@pytest.fixture(scope="session")
def busybox_bin(ssh_testbed):
    """A directory holding only BusyBox applets (no lsblk, lscpu, lspci, dmidecode, ip -j)."""
    import shutil
    from pathlib import Path

    busybox = shutil.which("busybox") or "/bin/busybox"
    if not Path(busybox).exists():
        raise RuntimeError("busybox-static is not installed (apt-get install busybox-static)")
    bin_dir = ssh_testbed.dir / "busybox-bin"
    bin_dir.mkdir()
    for applet in ("sh", "cat", "sleep", "ls", "df", "uname", "ip", "hostname", "printf", "head", "id"):
        (bin_dir / applet).symlink_to(busybox)
    return bin_dir
