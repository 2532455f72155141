"""Fixtures: one private real dockerd per session, emptied after every test."""
from __future__ import annotations

import itertools
import socket
import subprocess
from pathlib import Path

import pytest

from services.docker.engines import engine_for_url
from tests.docker.dockerd_bed import IMAGE, DockerdBed, wait_until

_names = itertools.count(1)


@pytest.fixture(scope="session")
def dockerd_session():
    """Start a real dockerd; fail (never skip) if it cannot start; remove all of it after."""
    bed = DockerdBed()
    try:
        bed.start()
        bed.build_busybox_image()
    except Exception as exc:
        problems = bed.stop_and_clean()
        pytest.fail(f"cannot start the test dockerd: {exc}; leftovers: {problems}")
    yield bed
    problems = bed.stop_and_clean()
    assert not problems, f"test dockerd left things behind: {problems}"


@pytest.fixture
def dockerd(dockerd_session):
    """The session dockerd, running, with no containers or user networks left by a test."""
    bed = dockerd_session
    if bed.proc is None or bed.proc.poll() is not None:
        bed.start()
    yield bed
    if bed.proc is None or bed.proc.poll() is not None:
        bed.start()
    bed.remove_workloads()


@pytest.fixture
def engine(dockerd):
    """An EngineTarget for the test dockerd, with this machine as its inspectable host."""
    return engine_for_url(dockerd.url)


@pytest.fixture
def unique():
    """Makes names unique across the session: unique('net') -> 'net-7'."""
    return lambda prefix: f"{prefix}-{next(_names)}"


def run_container(bed: DockerdBed, name: str, *options: str) -> str:
    """Start a sleeping busybox container; stops fast because of --stop-timeout."""
    return bed.docker("run", "-d", "--stop-timeout", "1", "--name", name, *options, IMAGE, "sleep", "3600")


@pytest.fixture
def engine_ssh_host(ssh_testbed, ssh_home, tmp_path):
    """An SSH host that really runs the test dockerd: sshd in this machine's own network
    namespace on a free loopback port, so its veths and nat table are the engine's.

    Yields the ssh_config alias (written, with its known host key, into the test's HOME).
    """
    from tests.ssh.testbed import ROOT_BASHRC, SSHD, keygen

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hostkey = keygen(tmp_path / "engine_hostkey", comment="engine-host")
    options = [
        f"ListenAddress=127.0.0.1:{port}", f"HostKey={hostkey}", f"PidFile={tmp_path / 'sshd.pid'}",
        "UsePAM=no", "StrictModes=no", "PermitRootLogin=prohibit-password",
        f"AuthorizedKeysFile={ssh_testbed.authorized_keys}", "PasswordAuthentication=no",
        "MaxSessions=50", "LogLevel=VERBOSE",
    ]
    argv = ["unshare", "--mount", "--propagation", "private"]
    if ROOT_BASHRC.exists():
        # As on the bed's hosts: root's own rc must not run in the sessions (it can hang).
        argv += ["sh", "-c", 'mount --bind "$1" "$2" && shift 2 && exec "$@"', "sh",
                 str(ssh_testbed.root_rc), str(ROOT_BASHRC)]
    argv += [SSHD, "-D", "-e", "-f", "/dev/null", *(w for o in options for w in ("-o", o))]
    log = open(tmp_path / "engine_sshd.log", "ab")
    sshd = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    log.close()
    try:
        if not wait_until(lambda: sshd.poll() is not None or _ssh_banner(port), timeout=10):
            raise RuntimeError("sshd on loopback did not answer")
        if sshd.poll() is not None:
            raise RuntimeError((tmp_path / "engine_sshd.log").read_text(errors="replace")[-2000:])
        ssh_dir = ssh_home / ".ssh"
        (ssh_dir / "config").write_text(
            f"Host engine-host\n    HostName 127.0.0.1\n    Port {port}\n    User root\n"
            f"    IdentityFile {ssh_testbed.client_key}\n    IdentitiesOnly yes\n")
        kind, key = Path(f"{hostkey}.pub").read_text().split()[:2]
        (ssh_dir / "known_hosts").write_text(f"[127.0.0.1]:{port} {kind} {key}\n")
        yield "engine-host"
    finally:
        sshd.terminate()
        sshd.wait(timeout=10)


def _ssh_banner(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            return conn.recv(4).startswith(b"SSH-")
    except OSError:
        return False


def event_readers() -> set:
    """The event-stream reader threads alive now (DockerEventStream names them)."""
    import threading

    return {t for t in threading.enumerate() if t.name == "docker-events" and t.is_alive()}
