"""A docker SDK APIClient whose HTTP connections are sockets from a dial function.

Used for engines behind the app's shared SSH transport: each HTTP connection is one
exec channel running `docker system dial-stdio` on the remote host, so the engine is
reached without a second SSH connection and without the SDK's own SSH client.
"""
from __future__ import annotations

import queue
import weakref
from typing import Any, Callable

DIALED_BASE_URL = "http://dialed-engine:2375"
MIN_API_VERSION = "1.24"


def dialed_api_client(dial: Callable[[], Any], timeout: float) -> Any:
    """An APIClient talking HTTP over sockets returned by dial(), at the engine's API version."""
    import docker
    import requests.adapters
    import urllib3
    from docker.transport.basehttpadapter import BaseHTTPAdapter
    from docker.utils import version_lt

    # Every channel dialed, idle or in use: a streaming response (the event stream) holds
    # its channel outside the pool, and the SDK cannot cancel a stream over a channel,
    # so closing the client must close them all, or the channel and its reader leak.
    dialed: weakref.WeakSet = weakref.WeakSet()

    class DialedConnection(urllib3.connection.HTTPConnection):
        """An HTTP connection over one dialed socket-like channel."""

        def connect(self) -> None:
            """Dial instead of opening a TCP connection."""
            sock = dial()
            dialed.add(sock)
            sock.settimeout(self.timeout if isinstance(self.timeout, (int, float)) else None)
            self.sock = sock

    class DialedPool(urllib3.connectionpool.HTTPConnectionPool):
        """Connection pool creating DialedConnections."""

        def _new_conn(self):
            return DialedConnection("localhost", timeout=self.timeout.connect_timeout)

        def _get_conn(self, timeout=None):
            # Like the SDK's SSH pool: skip urllib3's liveness probe, which would call
            # fileno() on the channel and leak a pipe per reuse.
            try:
                conn = self.pool.get(block=self.block, timeout=timeout)
            except AttributeError as exc:
                raise urllib3.exceptions.ClosedPoolError(self, "Pool is closed.") from exc
            except queue.Empty:
                conn = None
            return conn or self._new_conn()

    class DialedAdapter(BaseHTTPAdapter):
        """Transport adapter handing out one pool of dialed connections."""

        __attrs__ = requests.adapters.HTTPAdapter.__attrs__ + ["pools"]

        def __init__(self) -> None:
            self.pools = {}
            super().__init__()

        def get_connection(self, url, proxies=None):
            """The single pool (every request goes to the same engine)."""
            if "pool" not in self.pools:
                self.pools["pool"] = DialedPool("localhost", timeout=timeout, maxsize=4)
            return self.pools["pool"]

        def close(self) -> None:
            """Close every channel, pooled or still held by a response."""
            for pool in self.pools.values():
                pool.close()
            for channel in list(dialed):
                channel.close()
            super().close()

    api = docker.APIClient(base_url=DIALED_BASE_URL, version=MIN_API_VERSION, timeout=timeout)
    api.mount(DIALED_BASE_URL, DialedAdapter())
    try:
        server = api.version(api_version=False)
    except BaseException:
        api.close()  # the pool may hold a dialed channel
        raise
    server_api = str(server.get("ApiVersion", MIN_API_VERSION))
    default = docker.constants.DEFAULT_DOCKER_API_VERSION
    # The SDK has no public setter for a version learnt after construction.
    api._version = server_api if version_lt(server_api, default) else default
    return api
