"""Authentication against real sshd hosts: key file, agent, password, encrypted key."""
from __future__ import annotations

import logging

import pytest

from services.ssh.errors import AuthFailed
from services.ssh.pool import ConnectionState
from services.ssh.prompts import HostKeyDecision, SecretAnswer
from services.ssh.runner import SshRunner
from services.ssh.secrets import KeyringSecrets
from services.ssh.targets import SshTarget, resolve_target
from tests.ssh.helpers import NeverPrompter, ScriptedPrompter, accepted_lines
from tests.ssh.testbed import ssh_keygen_fingerprint


def _whoami(pool, target) -> str:
    return SshRunner(pool, target).run(["id", "-un"]).stdout.strip()


def _bare(host, user="root", **kw) -> SshTarget:
    return SshTarget(f"{host.name}-{user}", host.address, 22, user, **kw)


def test_key_file_auth_from_ssh_config(ssh_testbed, ssh_hosts, ssh_home, ssh_pool_factory):
    host = ssh_hosts[1]
    ssh_testbed.write_ssh_config(ssh_home, known=True)
    before = len(accepted_lines(host))
    pool = ssh_pool_factory(NeverPrompter())
    assert _whoami(pool, resolve_target(host.name)) == "root"
    new = accepted_lines(host)[before:]
    assert len(new) == 1 and "publickey for root" in new[0]
    assert ssh_keygen_fingerprint(f"{ssh_testbed.client_key}.pub") in new[0]


def test_agent_auth(ssh_testbed, ssh_hosts, ssh_home, ssh_agent, ssh_pool_factory):
    host = ssh_hosts[2]
    before = len(accepted_lines(host))
    pool = ssh_pool_factory(ScriptedPrompter(HostKeyDecision.ACCEPT_ONCE))
    assert _whoami(pool, _bare(host)) == "root"
    new = accepted_lines(host)[before:]
    assert len(new) == 1 and ssh_keygen_fingerprint(f"{ssh_testbed.agent_key}.pub") in new[0]


def test_identities_only_skips_the_agent(ssh_testbed, ssh_hosts, ssh_home, ssh_agent, ssh_pool_factory):
    host = ssh_hosts[2]
    pool = ssh_pool_factory(ScriptedPrompter(HostKeyDecision.ACCEPT_ONCE))
    with pytest.raises(AuthFailed):
        pool.transport(_bare(host, identities_only=True))
    assert pool.state(f"{host.name}-root")[0] is ConnectionState.AUTH_FAILED


def test_password_auth_through_the_prompter(ssh_testbed, ssh_hosts, ssh_home, ssh_pool_factory):
    host = ssh_hosts[0]
    prompter = ScriptedPrompter(HostKeyDecision.ACCEPT_ONCE, secrets=["wrong", ssh_testbed.password])
    pool = ssh_pool_factory(prompter)
    assert _whoami(pool, _bare(host, ssh_testbed.user)) == ssh_testbed.user
    assert [p.kind for p in prompter.secret_prompts] == ["password", "password"]
    assert prompter.secret_prompts[0].detail == f"{ssh_testbed.user}@{host.address}"
    assert f"Accepted password for {ssh_testbed.user}" in accepted_lines(host)[-1]


def test_encrypted_key_asks_for_its_passphrase(ssh_testbed, ssh_hosts, ssh_home, ssh_pool_factory):
    host = ssh_hosts[0]
    key = str(ssh_testbed.encrypted_key)
    prompter = ScriptedPrompter(HostKeyDecision.ACCEPT_ONCE, secrets=["nope", ssh_testbed.passphrase])
    pool = ssh_pool_factory(prompter)
    assert _whoami(pool, _bare(host, identity_files=(key,), identities_only=True)) == "root"
    assert [(p.kind, p.detail) for p in prompter.secret_prompts] == [("passphrase", key)] * 2
    assert ssh_keygen_fingerprint(f"{key}.pub") in accepted_lines(host)[-1]


def test_auth_failed_is_one_line_and_sets_the_state(ssh_testbed, ssh_hosts, ssh_home, ssh_pool_factory):
    host = ssh_hosts[0]
    pool = ssh_pool_factory(ScriptedPrompter(HostKeyDecision.ACCEPT_ONCE, secrets=["a", "b", "c"]))
    target = _bare(host, ssh_testbed.user)
    with pytest.raises(AuthFailed) as err:
        pool.transport(target)
    assert "\n" not in str(err.value) and ssh_testbed.user in str(err.value)
    state, last_error = pool.state(target.name)
    assert state is ConnectionState.AUTH_FAILED and last_error == str(err.value)
    assert pool.transport_count(target.name) == 0


def test_secrets_never_reach_the_log(ssh_testbed, ssh_hosts, ssh_home, ssh_pool_factory, caplog):
    host = ssh_hosts[0]
    caplog.set_level(logging.DEBUG)
    answer = SecretAnswer(ssh_testbed.password, remember=True)
    prompter = ScriptedPrompter(HostKeyDecision.ACCEPT_ONCE, secrets=[answer])
    pool = ssh_pool_factory(prompter, secrets=KeyringSecrets())
    assert _whoami(pool, _bare(host, ssh_testbed.user)) == ssh_testbed.user
    assert caplog.records  # paramiko did log the session at DEBUG
    assert ssh_testbed.password not in caplog.text
    assert ssh_testbed.password not in repr(answer)
