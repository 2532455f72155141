"""Host key records: fingerprints as ssh-keygen prints them, hashed and [host]:port entries."""
from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import paramiko
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from services.ssh.known_hosts import CHANGED, MATCH, UNKNOWN, HostKeyStore, fingerprint_sha256
from tests.ssh.testbed import ssh_keygen_fingerprint


@pytest.fixture
def keys(tmp_path):
    """Two ed25519 and one ECDSA key pairs made by ssh-keygen: (PKey, public line, .pub path)."""
    made = {}
    for name, kind in (("a", "ed25519"), ("b", "ed25519"), ("e", "ecdsa")):
        path = tmp_path / f"key_{name}"
        subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-f", str(path)], check=True)
        pub = Path(f"{path}.pub")
        kt, b64 = pub.read_text().split()[:2]
        made[name] = (paramiko.PKey.from_type_string(kt, __import__("base64").b64decode(b64)),
                      f"{kt} {b64}", pub)
    return made


def test_fingerprint_matches_ssh_keygen(keys):
    for pkey, _, pub in keys.values():
        assert fingerprint_sha256(pkey) == ssh_keygen_fingerprint(pub)


def test_plain_port_and_changed_entries(tmp_path, keys):
    user = tmp_path / "known_hosts"
    user.write_text(f"10.9.0.1 {keys['a'][1]}\n[10.9.0.2]:2222 {keys['a'][1]}\n# comment\ngarbage line\n")
    store = HostKeyStore(user, tmp_path / "app_known_hosts")
    a, b, e = keys["a"][0], keys["b"][0], keys["e"][0]
    assert store.check("10.9.0.1", 22, a) == (MATCH, None)
    assert store.check("10.9.0.2", 2222, a) == (MATCH, None)
    assert store.check("10.9.0.2", 22, a) == (UNKNOWN, None)
    assert store.check("10.9.0.1", 22, b) == (CHANGED, fingerprint_sha256(a))
    assert store.check("10.9.0.1", 22, e) == (UNKNOWN, None)  # another key type is not a change
    assert store.known_key_types("10.9.0.1", 22) == ["ssh-ed25519"]


def test_hashed_entries_written_by_ssh_keygen(tmp_path, keys):
    user = tmp_path / "known_hosts"
    user.write_text(f"10.9.0.1 {keys['a'][1]}\n[10.9.0.3]:2200 {keys['b'][1]}\n")
    subprocess.run(["ssh-keygen", "-q", "-H", "-f", str(user)], check=True, capture_output=True)
    text = user.read_text()
    assert "10.9.0" not in text and text.count("|1|") == 2
    store = HostKeyStore(user, tmp_path / "app")
    assert store.check("10.9.0.1", 22, keys["a"][0]) == (MATCH, None)
    assert store.check("10.9.0.3", 2200, keys["b"][0]) == (MATCH, None)
    assert store.check("10.9.0.3", 2200, keys["a"][0]) == (CHANGED, fingerprint_sha256(keys["b"][0]))
    assert store.check("10.9.0.4", 22, keys["a"][0]) == (UNKNOWN, None)


def test_damaged_hashed_entries_name_no_host(tmp_path, keys):
    # paramiko parses these lines but cannot hash against their salt: they must not
    # break the lookup of every other host.
    user = tmp_path / "known_hosts"
    user.write_text(f"|1| {keys['b'][1]}\n|1|!!!|zz {keys['b'][1]}\n|1|abc {keys['b'][1]}\n"
                    f"10.9.0.1 {keys['a'][1]}\n")
    store = HostKeyStore(user, tmp_path / "app")
    assert store.check("10.9.0.1", 22, keys["a"][0]) == (MATCH, None)
    assert store.check("10.9.0.2", 22, keys["b"][0]) == (UNKNOWN, None)


def test_wildcards_and_negation(tmp_path, keys):
    user = tmp_path / "known_hosts"
    user.write_text(f"*.lab,!bad.lab {keys['a'][1]}\n")
    store = HostKeyStore(user, tmp_path / "app")
    assert store.check("db.lab", 22, keys["a"][0])[0] == MATCH
    assert store.check("bad.lab", 22, keys["a"][0])[0] == UNKNOWN


def test_save_appends_to_the_app_file_only(tmp_path, keys):
    user = tmp_path / "known_hosts"
    user.write_text(f"10.9.0.1 {keys['a'][1]}\n")
    before = user.read_bytes()
    app = tmp_path / "cfg" / "known_hosts"
    store = HostKeyStore(user, app)
    store.save("10.9.0.5", 22, keys["a"][0])
    store.save("10.9.0.6", 2022, keys["e"][0])
    assert user.read_bytes() == before
    assert app.read_text().splitlines() == [f"10.9.0.5 {keys['a'][1]}", f"[10.9.0.6]:2022 {keys['e'][1]}"]
    assert oct(app.stat().st_mode & 0o777) == "0o600"
    assert store.check("10.9.0.6", 2022, keys["e"][0]) == (MATCH, None)
    # The file OpenSSH itself would accept: ssh-keygen finds the saved host in it.
    found = subprocess.run(["ssh-keygen", "-F", "[10.9.0.6]:2022", "-f", str(app)], capture_output=True, text=True)
    assert found.returncode == 0 and keys["e"][1] in found.stdout


def test_concurrent_saves_lose_nothing(tmp_path, keys):
    store = HostKeyStore(tmp_path / "none", tmp_path / "app")
    threads = [threading.Thread(target=store.save, args=(f"10.9.1.{i}", 22, keys["a"][0])) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.app_file.read_text().splitlines()) == 20
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


@settings(max_examples=60, deadline=None,  # file I/O: timing varies on a loaded machine
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.lists(st.text(max_size=80), max_size=6))
def test_damaged_known_hosts_lines_are_skipped(tmp_path, keys, garbage):
    user = tmp_path / "fuzzed_known_hosts"
    user.write_text("\n".join(garbage + [f"10.9.0.1 {keys['a'][1]}"] + garbage) + "\n",
                    encoding="utf-8", errors="surrogatepass")
    store = HostKeyStore(user, tmp_path / "app")
    assert store.check("10.9.0.1", 22, keys["a"][0])[0] == MATCH
