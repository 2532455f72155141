"""Talks to one Docker engine through the docker SDK, imported only when first used."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from services.docker.engines import EngineTarget
from services.docker.hostside import HostInspector
from services.docker.model import NOT_VISIBLE, PENDING, DockerNetworksSnapshot, EngineInfo, NatTable
from services.docker.parsers import parse_containers, parse_networks
from services.docker.snapshot import merge_endpoints
from services.errors import ServiceError, TargetUnavailable

API_TIMEOUT = 10.0
INSPECT_WORKERS = 4


_SOCKET_REASONS = (
    (FileNotFoundError, "no engine there (the socket does not exist)"),
    (ConnectionRefusedError, "the engine refused the connection (is dockerd running?)"),
    (PermissionError, "permission denied on the engine's socket "
                      "(run as a member of the docker group)"),
    (TimeoutError, "the engine did not answer in time"),
)


def _socket_error(exc: BaseException, depth: int = 0) -> OSError | None:
    """The socket error at the root of an SDK, requests or urllib3 error, if any."""
    if isinstance(exc, tuple(kind for kind, _ in _SOCKET_REASONS)):
        return exc
    if depth > 6:
        return None
    # requests and urllib3 wrap the socket error in args rather than as the cause.
    nested = [exc.__cause__, exc.__context__, *(a for a in exc.args if isinstance(a, BaseException))]
    for inner in nested:
        if inner is not None:
            found = _socket_error(inner, depth + 1)
            if found is not None:
                return found
    return None


def _reason(exc: BaseException) -> str:
    root = _socket_error(exc)
    for kind, text in _SOCKET_REASONS:
        if isinstance(root, kind):
            return text
    return " ".join(str(exc).split())[:300] or type(exc).__name__


class _RunnerUntilClosed:
    """A host runner that refuses new commands once its client is closed.

    A snapshot still running when its stream is closed must not reconnect a transport
    the app is closing (a host removed from the inventory would come back to life).
    """

    def __init__(self, runner, closed: threading.Event, engine: str):
        self._runner = runner
        self._closed = closed
        self._engine = engine
        self.name = getattr(runner, "name", engine)

    def _check(self) -> None:
        if self._closed.is_set():
            raise TargetUnavailable(f"docker engine {self._engine}: closed")

    def run(self, argv, timeout: float = 10.0):
        """Run argv on the engine's host unless the client was closed."""
        self._check()
        return self._runner.run(argv, timeout=timeout)

    def read_text(self, path: str, timeout: float = 10.0) -> str:
        """Read a file on the engine's host unless the client was closed."""
        self._check()
        return self._runner.read_text(path, timeout=timeout)


class DockerEngineClient:
    """One engine's API: version, networks, containers and the event stream."""

    def __init__(self, target: EngineTarget, timeout: float = API_TIMEOUT):
        self.target = target
        self._timeout = timeout
        self._api: Any = None
        self._version: dict = {}
        self._pids: dict[str, int] = {}
        self._inner_links: dict = {}
        self._closed = threading.Event()
        self._api_lock = threading.Lock()

    @property
    def api(self) -> Any:
        """The SDK's low-level APIClient, connected on first use; refused once closed."""
        self._refuse_if_closed()
        api = self._api
        if api is not None:
            return api
        api = self._connect()
        with self._api_lock:
            if not self._closed.is_set():
                self._api = api
                return api
        api.close()  # close() ran while this connected: nobody else would close it
        raise TargetUnavailable(f"docker engine {self.target.name}: closed")

    def _refuse_if_closed(self) -> None:
        # A snapshot still running on the stream's thread when close() is called must
        # not open a new API client (or dial a new channel) that nobody would close.
        if self._closed.is_set():
            raise TargetUnavailable(f"docker engine {self.target.name}: closed")

    def _connect(self) -> Any:
        import docker  # heavy: imported only once an engine is actually used

        if self.target.dialer is not None:
            from services.docker.dial import dialed_api_client

            api = self._call("connect", dialed_api_client, self._dial, self._timeout)
        else:
            api = self._call("connect", docker.APIClient, base_url=self.target.url,
                             version="auto", timeout=self._timeout)
        try:
            self._version = self._call("version", api.version)
        except ServiceError:
            api.close()  # its pool may hold an open channel
            raise
        return api

    def _dial(self) -> Any:
        self._refuse_if_closed()
        return self.target.dialer()

    def engine_info(self, state: str = "running", last_event_at: float | None = None) -> EngineInfo:
        """Name, URL, state and version of the engine."""
        version = self._version if isinstance(self._version, dict) else {}
        return EngineInfo(
            self.target.name,
            self.target.url,
            state,
            str(version.get("Version", "")),
            str(version.get("ApiVersion", "")),
            last_event_at,
        )

    def _call(self, what: str, call, *args, **kwargs) -> Any:
        try:
            return call(*args, **kwargs)
        except ServiceError:
            raise
        except Exception as exc:  # noqa: BLE001 - SDK, requests and socket errors alike
            raise TargetUnavailable(f"docker engine {self.target.name}: {what}: {_reason(exc)}") from exc

    def snapshot(
        self,
        last_event_at: float | None = None,
        host_side: bool = True,
        previous: DockerNetworksSnapshot | None = None,
    ) -> DockerNetworksSnapshot:
        """Read networks, containers, and (unless host_side is False) the host side.

        Without the host side, a previous snapshot's veths and NAT are carried over and
        the status is 'reading…', so endpoints not seen before show as pending.
        """
        api = self.api
        networks = parse_networks(self._call("networks", api.networks))
        containers = parse_containers(self._call("containers", api.containers, all=True))
        host_status, sides, nat = NOT_VISIBLE, {}, NatTable(NOT_VISIBLE)
        if self.target.host_runner is not None and not host_side:
            host_status, nat = PENDING, NatTable(PENDING)
            if previous is not None:
                sides, nat = previous.host_sides, previous.nat
        elif self.target.host_runner is not None:
            containers = self._with_pids(containers)
            runner = _RunnerUntilClosed(self.target.host_runner(), self._closed, self.target.name)
            inspector = HostInspector(runner, self.target.privilege_prefix)
            view = inspector.read(containers, self._inner_links)
            host_status, sides, nat = view.status, view.sides, view.nat
        return DockerNetworksSnapshot(
            engine=self.engine_info("running", last_event_at),
            networks=merge_endpoints(networks, containers),
            containers=containers,
            host_sides=sides,
            host_status=host_status,
            nat=nat,
            taken_at=time.time(),
        )

    def has_host_side(self) -> bool:
        """True when the engine's host can be inspected (veths, bridges, nat table)."""
        return self.target.host_runner is not None

    def _with_pids(self, containers):
        """Containers with their pid, which only `inspect` reports; pids are cached
        until forget() is told the container started or stopped."""
        present = {c.id for c in containers}
        for gone in set(self._pids) - present:
            del self._pids[gone]
        unknown = [c.id for c in containers if c.state == "running" and c.id not in self._pids]
        # Inspections are independent requests; a few in parallel hide their latency.
        with ThreadPoolExecutor(max_workers=INSPECT_WORKERS) as pool:
            for container_id, pid in zip(unknown, pool.map(self._pid_of, unknown)):
                if pid:
                    self._pids[container_id] = pid
        return tuple(
            replace(c, pid=self._pids[c.id]) if c.state == "running" and c.id in self._pids else c
            for c in containers
        )

    def _pid_of(self, container_id: str) -> int | None:
        """The container's pid, or None when it exited meanwhile."""
        from docker.errors import NotFound

        try:
            detail = self._call("inspect", self.api.inspect_container, container_id)
        except TargetUnavailable as exc:
            if isinstance(exc.__cause__, NotFound):
                return None
            raise
        (inspected,) = parse_containers([detail], "container inspect")
        return inspected.pid

    def forget(self, container_id: str) -> None:
        """Drop what is cached about a container (its process started or ended)."""
        self._pids.pop(container_id, None)

    def engine_time(self) -> int | None:
        """The engine's own clock in whole seconds (from /info), None if unreadable."""
        info = self._call("info", self.api.info)
        text = info.get("SystemTime") if isinstance(info, dict) else None
        try:
            moment = datetime.strptime(str(text)[:19], "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            return None
        return int(moment.replace(tzinfo=timezone.utc).timestamp())

    def events(self, since: int | None) -> Any:
        """The SDK's cancellable stream of decoded network and container events."""
        return self._call(
            "events", self.api.events, since=since, decode=True,
            filters={"type": ["network", "container"]},
        )

    def close(self) -> None:
        """Close the HTTP session; later dials and host commands are refused."""
        self._closed.set()
        with self._api_lock:
            api, self._api = self._api, None
        if api is not None:
            try:
                api.close()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass


def collect_snapshot(target: EngineTarget) -> DockerNetworksSnapshot:
    """One blocking snapshot of an engine (for the CLI and the first paint)."""
    client = DockerEngineClient(target)
    try:
        return client.snapshot()
    finally:
        client.close()
