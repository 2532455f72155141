"""ssh_config resolution: aliases, Include, ProxyJump chains, destinations (no network)."""
from __future__ import annotations

import getpass
import textwrap

import pytest
from hypothesis import given, strategies as st

from services.errors import ParseError
from services.ssh.targets import (
    SshTarget, immediate_jump, load_config_targets, resolve_target, split_destination,
)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A HOME whose ~/.ssh/config Includes two files, one by a relative glob."""
    home = tmp_path / "home"
    ssh = home / ".ssh"
    (ssh / "conf.d").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    (ssh / "config").write_text(textwrap.dedent("""\
        Include conf.d/*.conf
        Include ~/.ssh/extra

        Host db1
            HostName 10.0.0.5
            User admin
            Port 2222
            IdentityFile ~/.ssh/id_%h_%r_%u
            IdentitiesOnly yes

        Host hop2
            HostName 10.1.0.2
            ProxyJump bastion

        Host deep
            HostName 10.2.0.9
            ProxyJump bastion,hop2

        Host web-* *.lab !excluded
            User www

        Host *
            User fallback
    """))
    (ssh / "conf.d" / "b.conf").write_text("Host bastion\n    HostName 192.0.2.10\n    User jump\n")
    (ssh / "conf.d" / "a.conf").write_text("Host alpha beta\n    HostName 198.51.100.%h\n")
    (ssh / "extra").write_text("Host extra1\n    HostName 203.0.113.1\n")
    return home


def test_aliases_from_config_and_includes_in_order(home):
    names = [t.name for t in load_config_targets()]
    assert names == ["alpha", "beta", "bastion", "extra1", "db1", "hop2", "deep"]


def test_alias_options_and_token_expansion(home):
    t = resolve_target("db1")
    assert (t.hostname, t.port, t.user, t.identities_only) == ("10.0.0.5", 2222, "admin", True)
    local = getpass.getuser()  # %u is the local user, %r the remote one, as in OpenSSH
    assert t.identity_files == (str(home / ".ssh" / f"id_10.0.0.5_admin_{local}"),)
    assert resolve_target("extra1").user == "fallback"


def test_user_at_alias_overrides_the_config_user(home):
    t = resolve_target("someone@db1:2200")
    assert (t.name, t.hostname, t.port, t.user) == ("someone@db1:2200", "10.0.0.5", 2200, "someone")


def test_proxy_jump_multi_hop(home):
    deep = resolve_target("deep")
    assert [h.name for h in deep.proxy_jump] == ["bastion", "hop2"]
    assert deep.proxy_jump[0].hostname == "192.0.2.10" and deep.proxy_jump[0].user == "jump"
    first = immediate_jump(deep)
    assert first.name == "hop2" and first.hostname == "10.1.0.2"
    assert [h.name for h in first.proxy_jump] == ["bastion"]
    assert immediate_jump(resolve_target("bastion")) is None


def test_proxy_jump_loop_is_a_parse_error(tmp_path):
    config = tmp_path / "config"
    config.write_text("Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n")
    with pytest.raises(ParseError):
        resolve_target("a", config)


def test_include_loop_is_a_parse_error(tmp_path):
    config = tmp_path / "config"
    config.write_text(f"Include {config}\n")
    with pytest.raises(ParseError):
        load_config_targets(config)


def test_missing_config_gives_plain_destination(tmp_path):
    t = resolve_target("root@[fd00::5]:2022", tmp_path / "nothing")
    assert t == SshTarget("root@[fd00::5]:2022", "fd00::5", 2022, "root")


@pytest.mark.parametrize("text, parts", [
    ("host", (None, "host", None)),
    ("u@host", ("u", "host", None)),
    ("u@host:23", ("u", "host", 23)),
    ("[::1]:2200", (None, "::1", 2200)),
    ("fd00::1", (None, "fd00::1", None)),
    ("a@b@host", ("a@b", "host", None)),
])
def test_split_destination(text, parts):
    assert split_destination(text) == parts


@pytest.mark.parametrize("text", ["", "host:0", "host:99999", "host:x", "[::1", "[::1]x", "u@", "a b"])
def test_bad_destinations_are_parse_errors(text):
    with pytest.raises(ParseError):
        split_destination(text)


@given(st.text(max_size=40))
def test_any_destination_text_resolves_or_is_a_parse_error(text):
    try:
        user, host, port = split_destination(text)
    except ParseError:
        return
    assert host and (port is None or 0 < port < 65536)


def test_lines_after_an_include_stay_in_the_enclosing_block(home, tmp_path):
    # OpenSSH restores the block that held the Include once the included file ends.
    (home / ".ssh" / "block.conf").write_text("Host inner\n    HostName 10.3.0.2\n")
    config = tmp_path / "config"
    config.write_text("Include block.conf\nPort 2200\n\n"
                      "Host outer\n    Include block.conf\n    User alice\n")
    outer, inner = resolve_target("outer", config), resolve_target("inner", config)
    assert (outer.user, outer.port) == ("alice", 2200)
    assert (inner.hostname, inner.user, inner.port) == ("10.3.0.2", None, 2200)
    assert [t.name for t in load_config_targets(config)] == ["inner", "outer"]
