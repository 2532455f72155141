"""Fixtures: one private real dockerd per session, emptied after every test."""
from __future__ import annotations

import itertools

import pytest

from services.docker.engines import engine_for_url
from tests.docker.dockerd_bed import IMAGE, DockerdBed

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
