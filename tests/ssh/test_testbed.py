"""The test bed itself: a removed host leaves no namespace, link or process behind."""
from __future__ import annotations

from pathlib import Path

from tests.ssh.testbed import sh


def _netns_names() -> set[str]:
    return {line.split()[0] for line in sh(["ip", "netns", "list"]).stdout.splitlines() if line.strip()}


def _link_exists(name: str) -> bool:
    return sh(["ip", "link", "show", "dev", name], check=False).returncode == 0


def _running(pid: int) -> bool:
    # A killed session reparented to an init that does not reap stays a zombie: gone all the same.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_a_removed_host_leaves_nothing_behind(ssh_testbed):
    host = ssh_testbed.add_host(None)
    pids = host.pids()
    assert pids and host.netns in _netns_names() and _link_exists(host.root_veth)
    ssh_testbed.remove_host(host)
    assert host.netns not in _netns_names()
    assert not _link_exists(host.root_veth)
    assert not [p for p in pids if _running(p)]
    assert host.name not in ssh_testbed.hosts
