"""Local engine discovery from DOCKER_HOST, docker contexts and the default socket."""
from __future__ import annotations

import hashlib
import json
import socket

import pytest

from services.docker.client import collect_snapshot
from services.docker.engines import DEFAULT_SOCKET_URL, LOCAL_ENGINE, engine_for_url, local_engines
from services.errors import TargetUnavailable


def _context(home, name, host):
    meta = home / ".docker" / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest()
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(json.dumps(
        {"Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False}}}
    ))


def test_default_socket_without_configuration(tmp_path):
    (engine,) = local_engines(env={}, home=tmp_path)
    assert (engine.name, engine.url) == (LOCAL_ENGINE, DEFAULT_SOCKET_URL)
    assert engine.host_runner is not None


def test_current_context_then_docker_host_wins(tmp_path):
    _context(tmp_path, "lab", "unix:///run/lab.sock")
    _context(tmp_path, "far", "tcp://10.77.0.9:2375")
    _context(tmp_path, "viassh", "ssh://me@far")
    (tmp_path / ".docker" / "config.json").write_text(json.dumps({"currentContext": "lab"}))
    engines = local_engines(env={}, home=tmp_path)
    assert [(e.name, e.url) for e in engines] == [
        (LOCAL_ENGINE, "unix:///run/lab.sock"), ("context:far", "tcp://10.77.0.9:2375"),
    ]
    # A TCP engine's host cannot be inspected from here.
    assert engines[1].host_runner is None
    assert local_engines(env={"DOCKER_HOST": "unix:///x.sock"}, home=tmp_path)[0].url == "unix:///x.sock"
    assert local_engines(env={"DOCKER_CONTEXT": "far"}, home=tmp_path)[0].url == "tcp://10.77.0.9:2375"


def test_broken_context_files_are_skipped(tmp_path):
    meta = tmp_path / ".docker" / "contexts" / "meta"
    for i, text in enumerate(["{", "[]", json.dumps({"Name": 3, "Endpoints": {}})]):
        (meta / str(i)).mkdir(parents=True)
        (meta / str(i) / "meta.json").write_text(text)
    (tmp_path / ".docker" / "config.json").write_text("not json")
    assert [e.url for e in local_engines(env={}, home=tmp_path)] == [DEFAULT_SOCKET_URL]


def test_explicit_url_with_sudo_prefix():
    engine = engine_for_url("unix:///run/docker.sock", ("sudo", "-n"))
    assert engine.privilege_prefix == ("sudo", "-n") and engine.host_runner is not None
    assert engine_for_url("tcp://127.0.0.1:2375", ("sudo", "-n")).privilege_prefix == ()


def test_an_engine_that_is_not_there_gives_a_clear_reason(tmp_path):
    with pytest.raises(TargetUnavailable, match="the socket does not exist"):
        collect_snapshot(engine_for_url(f"unix://{tmp_path / 'docker.sock'}"))
    with socket.socket() as probe:  # a loopback port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TargetUnavailable, match="refused the connection"):
        collect_snapshot(engine_for_url(f"tcp://127.0.0.1:{port}"))
