"""The app's host inventory: round trips, kill-safe saves, corrupt files kept aside."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services.errors import ParseError
from services.hosts_inventory import (
    SCHEMA_VERSION,
    HostEntry,
    HostsInventory,
    InvalidHost,
    InventoryCorrupt,
    dump_inventory,
    parse_inventory,
)

REPO = Path(__file__).resolve().parents[2]


def test_add_edit_remove_group_round_trip(tmp_path):
    path = tmp_path / "hosts.json"
    inv = HostsInventory(path, ssh_config_path=tmp_path / "no-ssh-config")
    inv.add(HostEntry("web1", "10.0.0.5", user="ops", group="web"))
    inv.add(HostEntry("db1", "db.lab", port=2222, identity_file="/k/id", proxy_jump=("bastion",)))
    inv.save()

    again = HostsInventory(path, ssh_config_path=tmp_path / "no-ssh-config")
    again.load()
    assert [h.name for h in again.hosts()] == ["web1", "db1"]  # grouped hosts first
    assert again.get("db1") == HostEntry("db1", "db.lab", 2222, None, "/k/id", "", ("bastion",))

    again.update("db1", HostEntry("db2", "db2.lab", port=22, group="data"))
    again.set_group("web1", "front")
    again.remove("web1")
    again.add(HostEntry("web3", "10.0.0.7", group="front"))
    again.save()

    third = HostsInventory(path, ssh_config_path=tmp_path / "no-ssh-config")
    third.load()
    assert [(h.name, h.group, h.hostname) for h in third.hosts()] == [
        ("db2", "data", "db2.lab"),
        ("web3", "front", "10.0.0.7"),
    ]
    assert third.groups() == ["data", "front"]
    doc = json.loads(path.read_text())
    assert doc["version"] == SCHEMA_VERSION
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_validation_rejects_bad_entries(tmp_path):
    inv = HostsInventory(tmp_path / "hosts.json", ssh_config_path=tmp_path / "none")
    inv.add(HostEntry("a", "10.0.0.1"))
    with pytest.raises(InvalidHost) as err:
        inv.add(HostEntry("a", "h;rm -rf /", port=70000))
    assert set(err.value.problems) == {"name", "hostname", "port"}
    with pytest.raises(InvalidHost):
        inv.add(HostEntry("local", "10.0.0.1"))
    with pytest.raises(InvalidHost):
        inv.add(HostEntry("$(touch /tmp/x)", "10.0.0.1"))


SAVER = r"""
import sys
from services.hosts_inventory import HostEntry, HostsInventory
path, count = sys.argv[1], int(sys.argv[2])
inv = HostsInventory(path, ssh_config_path=path + ".none")
versions = []
for v in ("old", "new"):
    inv._app = {}
    for i in range(count):
        inv.add(HostEntry(f"{v}-{i}", f"10.1.{i // 250}.{i % 250 + 1}", group=v))
    versions.append(dict(inv._app))
inv._app = versions[0]
inv.save()
print("ready", flush=True)
n = 0
while True:
    n += 1
    inv._app = versions[n % 2]
    inv.save()
"""


def test_kill_during_save_loses_nothing(tmp_path):
    path = tmp_path / "hosts.json"
    count = 400
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for round_ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(path), str(count)],
            cwd=REPO, env=env, stdout=subprocess.PIPE, text=True,
        )
        try:
            assert proc.stdout.readline().strip() == "ready"
            time.sleep(0.05 + 0.037 * round_)  # land the kill at varying points of a save
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        assert proc.returncode == -signal.SIGKILL
        hosts, _ = parse_inventory(path.read_text())
        names = {h.name for h in hosts}
        assert names in ({f"old-{i}" for i in range(count)}, {f"new-{i}" for i in range(count)})
    inv = HostsInventory(path, ssh_config_path=tmp_path / "none")
    inv.load()
    assert len(inv.hosts()) == count


@pytest.mark.parametrize(
    "content",
    ["{not json", '{"version": 99, "hosts": []}', '{"version": 1, "hosts": [{"name": "x"}]}',
     '{"version": 1, "hosts": [{"name": "a b", "hostname": "h"}]}', "\udcff"],
)
def test_corrupt_file_is_reported_and_kept_aside(tmp_path, content):
    path = tmp_path / "hosts.json"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    inv = HostsInventory(path, ssh_config_path=tmp_path / "none")
    with pytest.raises(InventoryCorrupt) as err:
        inv.load()
    moved = err.value.moved_to
    assert moved.name.startswith("hosts.json.corrupt-")
    assert moved.read_bytes() == content.encode("utf-8", "surrogateescape")
    assert not path.exists()
    assert str(moved) in str(err.value)
    assert inv.hosts() == []
    inv.add(HostEntry("fresh", "10.0.0.1"))
    inv.save()
    assert moved.read_bytes() == content.encode("utf-8", "surrogateescape")  # never overwritten
    assert parse_inventory(path.read_text())[0][0].name == "fresh"


def test_dump_and_parse_are_inverse():
    hosts = [HostEntry("a", "10.0.0.1", 2200, "u", "/id", "g", ("j1", "j2"))]
    assert parse_inventory(dump_inventory(hosts, {"cfg": "g"})) == (hosts, {"cfg": "g"})


def test_ssh_config_hosts_are_merged_read_only_and_can_be_adopted(tmp_path):
    ssh_dir = tmp_path / ".ssh"
    (ssh_dir / "conf.d").mkdir(parents=True)
    (ssh_dir / "conf.d" / "lab.conf").write_text(
        "Host bastion\n    HostName 10.5.0.1\n    User ops\n\n"
        "Host db\n    HostName 10.6.0.2\n    Port 2222\n    ProxyJump bastion\n"
        "    IdentityFile /keys/db\n")
    config = ssh_dir / "config"
    config.write_text(f"Include {ssh_dir}/conf.d/*.conf\n\nHost *\n    ServerAliveInterval 5\n")
    path = tmp_path / "hosts.json"
    inv = HostsInventory(path, ssh_config_path=config)
    inv.load()
    inv.load_ssh_config()
    rows = {h.name: h for h in inv.hosts()}
    assert set(rows) == {"bastion", "db"}
    assert rows["db"].read_only and rows["db"].proxy_jump == ("bastion",)
    assert (rows["db"].hostname, rows["db"].port, rows["db"].identity_file) == ("10.6.0.2", 2222, "/keys/db")
    assert inv.target("db").proxy_jump[0].hostname == "10.5.0.1"

    inv.set_group("db", "data")  # adopt
    inv.add(HostEntry("web", "10.7.0.3", proxy_jump=("bastion",)))
    with pytest.raises(InvalidHost):
        inv.add(HostEntry("db", "10.9.9.9"))  # the alias is taken by ssh_config
    inv.save()
    saved = json.loads(path.read_text())
    assert saved["adopted"] == {"db": "data"}
    assert [h["name"] for h in saved["hosts"]] == ["web"]  # ssh_config rows are not copied

    again = HostsInventory(path, ssh_config_path=config)
    again.load()
    again.load_ssh_config()
    assert again.get("db").group == "data" and again.get("db").read_only
    assert again.target("web").proxy_jump[0].user == "ops"  # the hop resolved via ssh_config
    again.remove("db")  # un-adopts; the row stays
    assert again.get("db").group == ""


def test_a_proxy_jump_loop_between_app_hosts_is_a_parse_error(tmp_path):
    inv = HostsInventory(tmp_path / "hosts.json", ssh_config_path=tmp_path / "none")
    inv.add(HostEntry("a", "10.0.0.1", proxy_jump=("b",)))
    inv.add(HostEntry("b", "10.0.0.2", proxy_jump=("a",)))
    inv.add(HostEntry("c", "10.0.0.3", proxy_jump=("c",)))
    with pytest.raises(ParseError, match="a -> b -> a"):
        inv.target("a")
    with pytest.raises(ParseError, match="c -> c"):
        inv.target("c")
    inv.update("b", HostEntry("b", "10.0.0.2"))
    assert [h.name for h in inv.target("a").proxy_jump] == ["b"]
