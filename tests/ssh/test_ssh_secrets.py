"""Remembered secrets: only through the keyring API, never in files, forgotten when stale."""
from __future__ import annotations

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from services.ssh.prompts import HostKeyDecision, SecretAnswer
from services.ssh.runner import SshRunner
from services.ssh.secrets import SERVICE, KeyringSecrets, secret_key
from services.ssh.targets import SshTarget
from tests.ssh.helpers import ScriptedPrompter


class MemoryKeyring(KeyringBackend):
    """A keyring backend holding secrets in memory (this machine has no Secret Service)."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        self.items.pop((service, username), None)


@pytest.fixture
def use_keyring():
    """Install a keyring backend for one test and restore the previous one."""
    previous = keyring.get_keyring()
    installed = []

    def install(backend):
        keyring.set_keyring(backend)
        installed.append(backend)
        return backend

    yield install
    keyring.set_keyring(previous)


def _files(path):
    return sorted(p for p in path.rglob("*") if p.is_file())


def test_no_backend_means_nothing_is_remembered(use_keyring, ssh_home, lab_home):
    use_keyring(fail.Keyring())
    before = _files(ssh_home) + _files(lab_home)
    secrets = KeyringSecrets()
    assert not secrets.available()
    assert secrets.set("password", "u", "h", 22, "s3cret") is False
    assert secrets.get("password", "u", "h", 22) is None
    secrets.forget("password", "u", "h", 22)
    assert _files(ssh_home) + _files(lab_home) == before


def test_password_remembered_when_ticked_and_forgotten_when_stale(
        use_keyring, ssh_testbed, ssh_hosts, ssh_home, ssh_pool_factory):
    store = use_keyring(MemoryKeyring())
    host = ssh_hosts[0]
    target = SshTarget("pw-host", host.address, 22, ssh_testbed.user)
    entry = (SERVICE, secret_key("password", ssh_testbed.user, host.address, 22))

    first = ScriptedPrompter(HostKeyDecision.ACCEPT_ONCE, [SecretAnswer(ssh_testbed.password, remember=True)])
    SshRunner(ssh_pool_factory(first, KeyringSecrets()), target).run(["true"])
    assert store.items == {entry: ssh_testbed.password}

    again = ScriptedPrompter(HostKeyDecision.ACCEPT_ONCE)
    SshRunner(ssh_pool_factory(again, KeyringSecrets()), target).run(["true"])
    assert again.secret_prompts == []  # the remembered password was used

    store.items[entry] = "stale"
    stale = ScriptedPrompter(HostKeyDecision.ACCEPT_ONCE, [SecretAnswer(ssh_testbed.password, remember=False)])
    SshRunner(ssh_pool_factory(stale, KeyringSecrets()), target).run(["true"])
    assert len(stale.secret_prompts) == 1 and entry not in store.items


def test_a_remembered_passphrase_belongs_to_its_key_file(
        use_keyring, ssh_testbed, ssh_hosts, ssh_home, ssh_pool_factory, tmp_path):
    from tests.ssh.testbed import keygen

    store = use_keyring(MemoryKeyring())
    host = ssh_hosts[0]
    key = str(ssh_testbed.encrypted_key)
    other = str(keygen(tmp_path / "other_encrypted", passphrase="another passphrase"))
    remember = ScriptedPrompter(HostKeyDecision.ACCEPT_ONCE, [SecretAnswer(ssh_testbed.passphrase, remember=True)])
    SshRunner(ssh_pool_factory(remember, KeyringSecrets()),
              SshTarget("enc", host.address, 22, "root", (key,), True)).run(["true"])
    assert list(store.items.values()) == [ssh_testbed.passphrase]

    # The other encrypted key comes first: its prompt is cancelled, and the remembered
    # passphrase, which does not open it, must still open the right key and stay stored.
    both = ScriptedPrompter(HostKeyDecision.ACCEPT_ONCE)
    SshRunner(ssh_pool_factory(both, KeyringSecrets()),
              SshTarget("enc", host.address, 22, "root", (other, key), True)).run(["true"])
    assert [(p.kind, p.detail) for p in both.secret_prompts] == [("passphrase", other)]
    assert list(store.items.values()) == [ssh_testbed.passphrase]
