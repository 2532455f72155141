"""Host key policy against real sshd hosts (OpenSSH StrictHostKeyChecking=ask semantics)."""
from __future__ import annotations

import subprocess

import pytest

from services.ssh.errors import HostKeyChanged, HostKeyUnknown
from services.ssh.pool import ConnectionState
from services.ssh.prompts import BatchPrompter, HostKeyDecision
from services.ssh.targets import resolve_target
from services.paths import config_dir
from tests.ssh.helpers import NeverPrompter, ScriptedPrompter, login_attempts_logged


def test_unknown_key_is_rejected_in_batch_mode_before_any_auth(ssh_testbed, ssh_host_factory, ssh_home,
                                                              ssh_pool_factory):
    host = ssh_host_factory()  # a log no other test writes to
    ssh_testbed.write_ssh_config(ssh_home, hosts=[host])
    start = len(host.log_path.read_bytes())
    pool = ssh_pool_factory(BatchPrompter())
    with pytest.raises(HostKeyUnknown) as err:
        pool.transport(resolve_target(host.name))
    assert login_attempts_logged(host, start) == []
    assert err.value.fingerprint == host.fingerprint()  # what `ssh-keygen -lf` prints
    assert err.value.key_type == "ssh-ed25519" and err.value.host == host.name
    assert host.fingerprint() in str(err.value) and "\n" not in str(err.value)
    assert pool.state(host.name)[0] is ConnectionState.HOSTKEY_UNKNOWN
    assert not (config_dir() / "known_hosts").exists()


def test_prompt_shows_type_and_fingerprint_and_accept_once_saves_nothing(ssh_testbed, ssh_hosts, ssh_home,
                                                                        ssh_pool_factory):
    host = ssh_hosts[1]
    ssh_testbed.write_ssh_config(ssh_home)
    prompter = ScriptedPrompter(HostKeyDecision.ACCEPT_ONCE)
    pool = ssh_pool_factory(prompter)
    target = resolve_target(host.name)
    pool.transport(target)
    pool.close(host.name)
    pool.transport(target)  # accepted for this pool's lifetime: not asked again
    [prompt] = prompter.host_key_prompts
    assert (prompt.host, prompt.port, prompt.key_type, prompt.fingerprint) == (
        host.name, 22, "ssh-ed25519", host.fingerprint())
    assert not (config_dir() / "known_hosts").exists()
    with pytest.raises(HostKeyUnknown):
        ssh_pool_factory(BatchPrompter()).transport(target)


def test_accept_new_saves_atomically_and_the_next_connect_matches(ssh_testbed, ssh_hosts, ssh_home,
                                                                  ssh_pool_factory):
    host = ssh_hosts[2]
    ssh_testbed.write_ssh_config(ssh_home)
    target = resolve_target(host.name)
    ssh_pool_factory(BatchPrompter(accept_new=True)).transport(target)
    saved = config_dir() / "known_hosts"
    assert saved.read_text() == host.known_hosts_line()
    assert not list(saved.parent.glob(".known_hosts.*.tmp"))
    found = subprocess.run(["ssh-keygen", "-F", host.address, "-f", str(saved)], capture_output=True)
    assert found.returncode == 0
    ssh_pool_factory(NeverPrompter()).transport(target)


def test_hashed_user_known_hosts_entry_matches(ssh_testbed, ssh_hosts, ssh_home, ssh_pool_factory):
    host = ssh_hosts[0]
    ssh_testbed.write_ssh_config(ssh_home, known=True)
    known = ssh_home / ".ssh" / "known_hosts"
    subprocess.run(["ssh-keygen", "-q", "-H", "-f", str(known)], check=True, capture_output=True)
    assert host.address not in known.read_text() and "|1|" in known.read_text()
    ssh_pool_factory(NeverPrompter()).transport(resolve_target(host.name))


def test_changed_key_is_refused_with_both_fingerprints(ssh_testbed, ssh_host_factory, ssh_home, ssh_pool_factory):
    host = ssh_host_factory()
    ssh_testbed.write_ssh_config(ssh_home, hosts=[host], known=True)
    old = host.fingerprint()
    target = resolve_target(host.name)
    ssh_pool_factory(NeverPrompter()).transport(target)
    host.restart_with_new_hostkey()
    new = host.fingerprint()
    assert new != old
    start = len(host.log_path.read_bytes())
    # Even accept-new never overrides a changed key, as in OpenSSH.
    pool = ssh_pool_factory(ScriptedPrompter(HostKeyDecision.ACCEPT_AND_SAVE))
    with pytest.raises(HostKeyChanged) as err:
        pool.transport(target)
    assert (err.value.old_fingerprint, err.value.new_fingerprint) == (old, new)
    assert old in str(err.value) and new in str(err.value) and "\n" not in str(err.value)
    assert pool.prompter.host_key_prompts == []
    assert pool.state(host.name)[0] is ConnectionState.HOSTKEY_CHANGED
    assert login_attempts_logged(host, start) == []
    assert not (config_dir() / "known_hosts").exists()


def test_no_code_trusts_host_keys_blindly():
    # Names in code only (comments and docstrings may explain why they are absent).
    import io
    import tokenize
    from pathlib import Path

    banned = {"AutoAddPolicy", "WarningPolicy", "set_missing_host_key_policy", "MissingHostKeyPolicy"}
    root = Path(__file__).resolve().parents[2]
    files = [root / "main.py", *(p for d in ("app", "services", "views") for p in (root / d).rglob("*.py"))]
    assert len(files) > 20
    found = []
    for path in files:
        for token in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
            if token.type == tokenize.NAME and token.string in banned:
                found.append(f"{path.relative_to(root)}:{token.start[0]} {token.string}")
    assert found == []
