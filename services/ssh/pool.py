"""One shared SSH transport per host, with host-key checks, auth, state and backoff.

Every panel, stream and CLI call of one process gets its transport here, so a host sees
at most one TCP connection from the app. Concurrent callers for a host wait on the same
connect attempt. The host key is verified on the bare transport, before any credential
is offered; no paramiko missing-host-key policy is ever installed, so an unknown key
is only trusted after the prompter's answer.

Backoff: after a failure the pool refuses new attempts for that host until a jittered,
doubling delay (about 1 s up to 30 s) has passed, re-raising the last error instead, so
a dead host is not hammered by every panel at once. The delay resets once a connection
has been healthy (a stream reported data, or it stayed up for HEALTHY_AFTER seconds).
"""
from __future__ import annotations

import enum
import logging
import random
import socket
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Callable

from services.errors import TargetUnavailable
from services.ssh.auth import Authenticator
from services.ssh.errors import AuthFailed, HostKeyChanged, HostKeyUnknown, Unreachable
from services.ssh.known_hosts import CHANGED, MATCH, HostKeyStore, fingerprint_sha256
from services.ssh.prompts import HostKeyDecision, HostKeyPrompt, Prompter
from services.ssh.targets import SshTarget, immediate_jump

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
BANNER_TIMEOUT = 10.0
AUTH_TIMEOUT = 15.0
KEEPALIVE_INTERVAL = 15
MIN_BACKOFF = 1.0
MAX_BACKOFF = 30.0
HEALTHY_AFTER = 30.0


class ConnectionState(enum.Enum):
    """Where a host's connection stands, as the Hosts dock shows it."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    AUTH_FAILED = "auth failed"
    UNREACHABLE = "unreachable"
    HOSTKEY_UNKNOWN = "host key unknown"
    HOSTKEY_CHANGED = "host key changed"
    DISCONNECTED = "disconnected"


Listener = Callable[[str, ConnectionState, "str | None"], None]


def _quiet_paramiko() -> None:
    paramiko_log = logging.getLogger("paramiko")
    if not any(isinstance(h, logging.NullHandler) for h in paramiko_log.handlers):
        paramiko_log.addHandler(logging.NullHandler())


def state_for_error(exc: BaseException) -> ConnectionState:
    """The connection state an error puts a host in."""
    if isinstance(exc, HostKeyUnknown):
        return ConnectionState.HOSTKEY_UNKNOWN
    if isinstance(exc, HostKeyChanged):
        return ConnectionState.HOSTKEY_CHANGED
    if isinstance(exc, AuthFailed):
        return ConnectionState.AUTH_FAILED
    return ConnectionState.UNREACHABLE


@dataclass
class _Host:
    transport: object | None = None
    pending: Future | None = None
    state: ConnectionState = ConnectionState.DISCONNECTED
    last_error: str | None = None
    last_exc: BaseException | None = None
    failures: int = 0
    retry_at: float = 0.0
    connected_at: float = 0.0
    created: list = field(default_factory=list)
    hops: int = 0


class SshPool:
    """Hands out one shared, verified, authenticated paramiko Transport per host name."""

    def __init__(self, store: HostKeyStore, prompter: Prompter, secrets=None):
        self.store = store
        self.prompter = prompter
        self.secrets = secrets
        self._lock = threading.Lock()
        self._hosts: dict[str, _Host] = {}
        self._listeners: list[Listener] = []
        self._accepted_once: set[tuple[str, int, bytes]] = set()
        self._closed = False

    # -- public API ---------------------------------------------------------------------
    def transport(self, target: SshTarget):
        """Return the host's live transport, connecting (once, shared) if needed."""
        with self._lock:
            if self._closed:
                raise Unreachable(f"{target.name}: connection pool is closed")
            host = self._hosts.setdefault(target.name, _Host())
            host.hops = len(target.proxy_jump)
            live = host.transport
            if live is not None and live.is_active():
                return live
            if live is not None:
                self._drop(host)
            if host.pending is None:
                if host.last_exc is not None and time.monotonic() < host.retry_at:
                    # A fresh traceback each time: re-raising the stored error as it is
                    # would grow its traceback by a few frames on every refused call.
                    raise host.last_exc.with_traceback(None)
                host.pending = Future()
                starter = True
            else:
                starter = False
            pending = host.pending
        if starter:
            self._run_connect(target, host, pending)
        return pending.result()

    def state(self, name: str) -> tuple[ConnectionState, str | None]:
        """The host's connection state and its last error message (None when fine)."""
        with self._lock:
            host = self._hosts.get(name)
            return (host.state, host.last_error) if host else (ConnectionState.DISCONNECTED, None)

    def add_listener(self, callback: Listener) -> None:
        """Call callback(name, state, last_error) on every state change (worker threads)."""
        self._listeners.append(callback)

    def mark_failed(self, name: str, exc: BaseException, transport=None) -> None:
        """Report that the host's connection broke (stream or command timed out, EOF...).

        With transport given, a report about a transport that is no longer the host's
        (already dropped, reported by another stream, or replaced) is ignored, so one
        broken link counts as one failure for the backoff.
        """
        with self._lock:
            host = self._hosts.get(name)
            if host is None or (transport is not None and host.transport is not transport):
                return
            self._drop(host)
            if host.connected_at and time.monotonic() - host.connected_at >= HEALTHY_AFTER:
                host.failures = 0
            self._fail(host, exc)
        self._notify(name, state_for_error(exc), str(exc))

    def mark_healthy(self, name: str) -> None:
        """Report that data arrived over the host's connection; resets the backoff."""
        with self._lock:
            host = self._hosts.get(name)
            if host is not None:
                host.failures = 0

    def next_retry_delay(self, name: str) -> float:
        """Seconds until the pool will try to connect to the host again (0: now)."""
        with self._lock:
            host = self._hosts.get(name)
            if host is None or host.last_exc is None:
                return 0.0
            return max(0.0, host.retry_at - time.monotonic())

    def transport_count(self, name: str) -> int:
        """How many transports this pool created for the host are still open."""
        with self._lock:
            host = self._hosts.get(name)
            return sum(1 for t in host.created if t.is_active()) if host else 0

    def close(self, name: str) -> None:
        """Close the host's transport and forget its state and backoff."""
        with self._lock:
            host = self._hosts.pop(name, None)
            if host is not None:
                self._drop(host)
        if host is not None:
            self._notify(name, ConnectionState.DISCONNECTED, None)

    def close_all(self) -> None:
        """Close every transport; the pool refuses new connections afterwards."""
        with self._lock:
            self._closed = True
            # Hosts reached through a jump host close first, so their channels go cleanly.
            names = sorted(self._hosts, key=lambda n: -self._hosts[n].hops)
        for name in names:
            self.close(name)

    # -- connecting ---------------------------------------------------------------------
    def _run_connect(self, target: SshTarget, host: _Host, pending: Future) -> None:
        self._set_state(target.name, host, ConnectionState.CONNECTING, None)
        try:
            transport = self._connect(target, host)
        except TargetUnavailable as exc:
            with self._lock:
                host.pending = None
                self._fail(host, exc)
            self._notify(target.name, state_for_error(exc), str(exc))
            pending.set_exception(exc)
            return
        except BaseException as exc:  # a prompter bug: never leave waiters hanging
            with self._lock:
                host.pending = None
            self._set_state(target.name, host, ConnectionState.DISCONNECTED, str(exc) or type(exc).__name__)
            pending.set_exception(exc)
            raise
        with self._lock:
            host.pending = None
            host.last_exc = None
            host.connected_at = time.monotonic()
            closed = self._closed or self._hosts.get(target.name) is not host
            if not closed:
                host.transport = transport
        if closed:
            transport.close()
            pending.set_exception(Unreachable(f"{target.name}: connection pool is closed"))
            return
        self._set_state(target.name, host, ConnectionState.CONNECTED, None)
        pending.set_result(transport)

    def _connect(self, target: SshTarget, host: _Host):
        import paramiko

        # paramiko logs handshake failures with tracebacks; without a handler of its own
        # they would reach stderr through logging's last resort and garble CLI output.
        # The app's root handlers still receive them.
        _quiet_paramiko()

        sock = self._open_socket(target)
        transport = paramiko.Transport(sock)
        with self._lock:
            host.created = [t for t in host.created if t.is_active()] + [transport]
        transport.banner_timeout = BANNER_TIMEOUT
        transport.auth_timeout = AUTH_TIMEOUT
        self._prefer_known_key_types(transport, target)
        try:
            try:
                transport.start_client(timeout=CONNECT_TIMEOUT + BANNER_TIMEOUT)
            except (paramiko.SSHException, EOFError, OSError) as exc:
                raise Unreachable(f"{target.name}: SSH handshake failed: {exc or type(exc).__name__}") from exc
            self._verify_host_key(transport, target)
            Authenticator(transport, target, self.prompter, self.secrets).run()
            transport.set_keepalive(KEEPALIVE_INTERVAL)
            return transport
        except BaseException:
            transport.close()
            raise

    def _open_socket(self, target: SshTarget):
        jump = immediate_jump(target)
        if jump is None:
            try:
                return socket.create_connection((target.hostname, target.port), timeout=CONNECT_TIMEOUT)
            except OSError as exc:
                reason = exc.strerror or str(exc) or type(exc).__name__
                raise Unreachable(f"{target.name}: cannot connect to "
                                  f"{target.hostname} port {target.port}: {reason}") from exc
        import paramiko

        via = self.transport(jump)
        try:
            return via.open_channel("direct-tcpip", (target.hostname, target.port), ("127.0.0.1", 0),
                                    timeout=CONNECT_TIMEOUT)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise Unreachable(f"{target.name}: {jump.name} cannot reach "
                              f"{target.hostname} port {target.port}: {exc or type(exc).__name__}") from exc

    def _prefer_known_key_types(self, transport, target: SshTarget) -> None:
        # Ask first for a key type we can verify, as OpenSSH orders HostKeyAlgorithms.
        known = self.store.known_key_types(target.hostname, target.port)
        options = transport.get_security_options()
        offered = list(options.key_types)
        first = [k for k in offered if k in known or (k.startswith("rsa-sha2") and "ssh-rsa" in known)]
        if first:
            options.key_types = first + [k for k in offered if k not in first]

    def _verify_host_key(self, transport, target: SshTarget) -> None:
        key = transport.get_remote_server_key()
        fingerprint = fingerprint_sha256(key)
        verdict, old = self.store.check(target.hostname, target.port, key)
        if verdict == MATCH:
            return
        if verdict == CHANGED:
            raise HostKeyChanged(target.name, key.get_name(), old, fingerprint)
        once = (target.hostname, target.port, key.asbytes())
        if once in self._accepted_once:
            return
        decision = self.prompter.confirm_host_key(
            HostKeyPrompt(target.name, target.port, key.get_name(), fingerprint))
        if decision == HostKeyDecision.ACCEPT_AND_SAVE:
            self.store.save(target.hostname, target.port, key)
        elif decision == HostKeyDecision.ACCEPT_ONCE:
            self._accepted_once.add(once)
        else:
            raise HostKeyUnknown(target.name, key.get_name(), fingerprint)

    # -- bookkeeping (callers hold self._lock where noted) --------------------------------
    def _drop(self, host: _Host) -> None:
        """Close and forget the host's transport (lock held)."""
        transport, host.transport = host.transport, None
        if transport is not None:
            transport.close()

    def _fail(self, host: _Host, exc: BaseException) -> None:
        """Record a failure and schedule the next allowed attempt (lock held)."""
        host.failures += 1
        host.last_exc = exc
        host.last_error = str(exc)
        host.state = state_for_error(exc)
        host.connected_at = 0.0
        delay = min(MIN_BACKOFF * 2 ** min(host.failures - 1, 16), MAX_BACKOFF)
        host.retry_at = time.monotonic() + delay * random.uniform(0.75, 1.0)

    def _set_state(self, name: str, host: _Host, state: ConnectionState, error: str | None) -> None:
        with self._lock:
            host.state, host.last_error = state, error
        self._notify(name, state, error)

    def _notify(self, name: str, state: ConnectionState, error: str | None) -> None:
        for listener in list(self._listeners):
            try:
                listener(name, state, error)
            except Exception:  # noqa: BLE001 - a listener bug must not break connecting
                log.exception("connection state listener failed")
