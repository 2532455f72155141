"""The app's SSH glue: one connection pool per process, the host inventory, live states.

Threading: paramiko is imported only inside worker threads, when the first SSH source
is opened, so the first window never loads it. The inventory is read and written on one
dedicated worker thread (ordered saves, no file I/O on the GUI thread). The pool calls
its listeners from worker threads; those calls are turned into queued signals and the
state is kept on the GUI thread only.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer, Signal

from app.gui_prompter import GuiPrompter
from app.topics import sample_target, sample_topic
from services import paths
from services.hardware.sources import HardwareSource
from services.hosts_inventory import HostEntry, HostsInventory, InvalidHost, validate_host

log = logging.getLogger(__name__)

SAMPLE_INTERVAL = 1.0
NOT_CONNECTED = "DISCONNECTED"
FAILED_STATES = frozenset({"UNREACHABLE", "AUTH_FAILED", "HOSTKEY_UNKNOWN", "HOSTKEY_CHANGED"})
RETRYING = " (retrying)"


class _LazySshSource:
    """A HardwareSource whose SSH machinery is built on first use, on a worker thread."""

    def __init__(self, manager: "SshManager", name: str):
        self._manager = manager
        self._name = name

    def runner(self):
        """Open (or reuse) the host's transport and return its command runner."""
        return self._manager._real_source(self._name).runner()

    def frames(self, interval: float):
        """Open a long-lived frame stream on the host's shared transport."""
        return self._manager._real_source(self._name).frames(interval)


class _FirstPaintWatcher(QObject):
    """Runs a callback on the event loop turn after the watched widget's first paint."""

    def __init__(self, widget: QObject, callback):
        super().__init__(widget)
        self._callback = callback

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        """Fire once on the first Paint event; never consumes it."""
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._callback)
        return False


class SshManager(QObject):
    """Owns the SshPool, registers inventory hosts as hardware targets, tracks their state."""

    host_state_changed = Signal(str, str, str)  # name, ConnectionState name, last error
    hosts_changed = Signal()
    inventory_error = Signal(str)
    _pool_state = Signal(str, str, object)
    _inventory_ready = Signal(object, object)

    def __init__(
        self,
        hardware,
        poller,
        inventory: HostsInventory | None = None,
        user_known_hosts: Path | None = None,
        app_known_hosts: Path | None = None,
        secrets: Any = None,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self._hardware = hardware
        self._poller = poller
        self._inventory = inventory or HostsInventory()
        self.user_known_hosts = user_known_hosts or Path.home() / ".ssh" / "known_hosts"
        self.app_known_hosts = app_known_hosts or paths.config_dir() / "known_hosts"
        self._secrets = secrets
        self.prompter = GuiPrompter(self)
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inventory")
        self._pool = None
        self._pool_lock = threading.Lock()
        self._sources: dict[str, HardwareSource] = {}  # built on worker threads
        self._targets: dict[str, Any] = {}  # name -> SshTarget, replaced wholesale
        self._hosts: list[HostEntry] = []
        self._states: dict[str, tuple[str, str]] = {}
        self._last_sample: dict[str, float] = {}
        self._stream_errors: dict[str, str] = {}
        self._paused: set[str] = set()  # hosts the user disconnected
        self._closed = False
        self._inventory_loaded = False  # these two: inventory thread only
        self._inventory_unsafe = False
        self._pool_state.connect(self._on_pool_state)
        self._inventory_ready.connect(self._apply_inventory)
        poller.snapshot_ready.connect(self._on_snapshot)
        poller.error_raised.connect(self._on_stream_error)

    # -- inventory ---------------------------------------------------------------
    def start(self) -> None:
        """Read hosts.json and ~/.ssh/config on the inventory thread; hosts_changed follows."""
        self._submit(None)

    def hosts(self) -> list[HostEntry]:
        """Every host of the inventory as last loaded, sorted by group."""
        return list(self._hosts)

    def host(self, name: str) -> HostEntry | None:
        """The host of that name, or None."""
        return next((h for h in self._hosts if h.name == name), None)

    def target(self, name: str):
        """The SshTarget the app connects to for a host, or None when it is unknown."""
        return self._targets.get(name)

    def groups(self) -> list[str]:
        """Group names in use."""
        return sorted({h.group for h in self._hosts if h.group})

    def add_host(self, entry: HostEntry) -> None:
        """Add an app host and save; InvalidHost at once when it is invalid."""
        self._check(entry, [h.name for h in self._hosts])
        self._submit(lambda inv: inv.add(entry))

    def update_host(self, old_name: str, entry: HostEntry) -> None:
        """Edit a host (ssh_config rows: group only) and save."""
        current = self.host(old_name)
        if current is None or not current.read_only:
            self._check(entry, [h.name for h in self._hosts if h.name != old_name])
        self._submit(lambda inv: inv.update(old_name, entry))

    def remove_host(self, name: str) -> None:
        """Remove an app host (or un-adopt an ssh_config one) and save."""
        self._submit(lambda inv: inv.remove(name))

    def set_group(self, name: str, group: str) -> None:
        """Put a host into a group (adopts an ssh_config row) and save."""
        self._submit(lambda inv: inv.set_group(name, group))

    def import_ssh_config(self) -> None:
        """Read hosts.json and ~/.ssh/config again."""
        self._submit(None)

    @staticmethod
    def _check(entry: HostEntry, taken: list[str]) -> None:
        problems = validate_host(entry, taken)
        if problems:
            raise InvalidHost(problems)

    def _submit(self, change) -> None:
        if not self._closed:
            self._io.submit(self._load_inventory, change)

    def _load_inventory(self, change=None) -> None:
        # Runs on the inventory thread: the only thread that touches self._inventory.
        from services.hosts_inventory import InventoryCorrupt

        inv = self._inventory
        if change is None or not self._inventory_loaded:
            # Never save before the file was read: that would overwrite the user's hosts.
            self._inventory_loaded = True
            try:
                inv.load()
            except InventoryCorrupt as exc:
                log.error("%s", exc)
                self.inventory_error.emit(str(exc))
            except OSError as exc:
                self._inventory_unsafe = True  # still in place: saving would overwrite it
                self.inventory_error.emit(f"The host inventory could not be read: {exc}")
        if change is not None and self._inventory_unsafe:
            self.inventory_error.emit("The host inventory is not saved: it could not be read.")
        elif change is not None:
            try:
                change(inv)
                inv.save()
            except Exception as exc:  # noqa: BLE001 - reported to the user, the app goes on
                log.warning("host inventory change failed: %s", exc)
                self.inventory_error.emit(f"The host inventory was not changed: {exc}")
        try:
            inv.load_ssh_config()
        except Exception as exc:  # noqa: BLE001
            self.inventory_error.emit(f"{inv.ssh_config_path} could not be read: {exc}")
        hosts = inv.hosts()
        targets = {}
        for host in hosts:
            try:
                targets[host.name] = inv.target(host.name)
            except Exception as exc:  # noqa: BLE001 - one bad host must not hide the rest
                self.inventory_error.emit(f"Host {host.name}: {exc}")
        self._inventory_ready.emit(hosts, targets)

    def _apply_inventory(self, hosts: list[HostEntry], targets: dict) -> None:
        old = self._targets
        self._hosts = hosts
        self._targets = dict(targets)
        for name in old.keys() - targets.keys():
            self._forget(name)
        for name, target in targets.items():
            if name in old and old[name] != target:
                self._forget(name)
            if name not in old or old[name] != target:
                lazy = _LazySshSource(self, name)
                self._hardware.register(name, HardwareSource(lazy.runner, lazy.frames))
            self._states.setdefault(name, (NOT_CONNECTED, ""))
        self.hosts_changed.emit()

    def _forget(self, name: str) -> None:
        self._hardware.unregister(name)
        self._poller.remove(sample_topic(name))
        with self._pool_lock:
            self._sources.pop(name, None)
            pool = self._pool
        self._states.pop(name, None)
        self._last_sample.pop(name, None)
        if pool is not None:
            # On the next event-loop turn: hosts_changed listeners (e.g. the Docker
            # panel) first stop their own streams on this host, so none reconnects.
            QTimer.singleShot(0, lambda: threading.Thread(
                target=pool.close, args=(name,), daemon=True).start())

    # -- pool (worker threads) -----------------------------------------------------
    def pool(self):
        """The process-wide SshPool, created on first use (call from a worker thread)."""
        with self._pool_lock:
            if self._pool is None:
                from services.ssh.known_hosts import HostKeyStore
                from services.ssh.pool import SshPool

                from services.ssh.secrets import KeyringSecrets

                store = HostKeyStore(self.user_known_hosts, self.app_known_hosts)
                secrets = self._secrets if self._secrets is not None else KeyringSecrets()
                self._pool = SshPool(store, self.prompter, secrets=secrets)
                self._pool.add_listener(self._pool_listener)
            return self._pool

    def _real_source(self, name: str) -> HardwareSource:
        pool = self.pool()
        with self._pool_lock:
            source = self._sources.get(name)
            if source is None:
                from services.ssh.hardware_source import ssh_hardware_source

                target = self._targets.get(name)
                if target is None:
                    from services.errors import TargetUnavailable

                    raise TargetUnavailable(f"{name}: no such host in the inventory")
                source = self._sources[name] = ssh_hardware_source(pool, target)
            return source

    def _pool_listener(self, name: str, state, last_error) -> None:
        self._pool_state.emit(name, getattr(state, "name", str(state)), last_error)

    # -- GUI thread ----------------------------------------------------------------
    def state(self, name: str) -> tuple[str, str]:
        """(ConnectionState name, last error text) of a host."""
        state, error = self._states.get(name, (NOT_CONNECTED, ""))
        return state, error or self._stream_errors.get(name, "")

    def last_sample_age(self, name: str) -> float | None:
        """Seconds since the host's last sample, or None before the first."""
        at = self._last_sample.get(name)
        return None if at is None else time.monotonic() - at

    def connect_host(self, name: str) -> None:
        """(Re)open the host's sample stream now, asking again about keys and secrets."""
        if name not in self._targets:
            return
        target = self._targets[name]
        self.prompter.allow_prompts_again([name, *(hop.name for hop in target.proxy_jump)])
        self._paused.discard(name)
        opener = self._hardware.sample_stream(name, SAMPLE_INTERVAL)
        if self._states.get(name, (NOT_CONNECTED,))[0] in FAILED_STATES:
            opener = self._after_reset(name, opener)
        self._poller.add_stream(sample_topic(name), opener, owner=self)

    def _after_reset(self, name: str, opener):
        # An explicit Connect skips the pool's backoff: the first open, on the stream's
        # thread, makes the pool forget the failed host before connecting again.
        pending = [True]

        def open_stream():
            if pending and self._pool is not None:
                pending.clear()
                self._pool.close(name)
            return opener()

        return open_stream

    def disconnect_host(self, name: str) -> None:
        """Stop the host's sample stream and close its transport."""
        self._paused.add(name)
        self._poller.release(sample_topic(name), self)
        self._poller.remove(sample_topic(name))
        with self._pool_lock:
            pool = self._pool
        if pool is not None:
            threading.Thread(target=pool.close, args=(name,), daemon=True).start()

    def wants_stream(self, name: str) -> bool:
        """False while the user keeps the host disconnected."""
        return name in self._targets and name not in self._paused

    def transport_count(self, name: str) -> int:
        """Open SSH transports to a host (0 before the pool exists)."""
        with self._pool_lock:
            pool = self._pool
        return 0 if pool is None else pool.transport_count(name)

    def _on_pool_state(self, name: str, state: str, error: object) -> None:
        if name not in self._targets:
            return  # a jump host that is not in the inventory, or a removed host
        previous, previous_error = self._states.get(name, (NOT_CONNECTED, ""))
        if state == "CONNECTING" and previous in FAILED_STATES:
            # A retry after a failure: keep showing why the host is down until it is up.
            state, error = previous, previous_error.removesuffix(RETRYING) + RETRYING
        self._states[name] = (state, "" if error is None else str(error))
        self.host_state_changed.emit(name, state, self.state(name)[1])

    def _on_snapshot(self, topic: str, payload: object) -> None:
        name = sample_target(topic)
        if name is not None:
            self._last_sample[name] = time.monotonic()
            self._stream_errors.pop(name, None)

    def _on_stream_error(self, topic: str, exc: object) -> None:
        if not topic.startswith("hardware."):
            return
        name = topic.split(":", 1)[1]
        if name not in self._targets:
            return
        from services.ssh.errors import HostKeyChanged

        if isinstance(exc, HostKeyChanged):
            self.show_changed_key(name, exc)
        if topic == sample_topic(name):
            self._stream_errors[name] = str(exc)
            self.host_state_changed.emit(name, self._states.get(name, (NOT_CONNECTED,))[0],
                                         self.state(name)[1])

    def show_changed_key(self, name: str, exc) -> None:
        """Warn (once per key change) that a host's or its jump host's key changed."""
        target = self._targets.get(name)
        if target is None:
            return
        # The changed key may belong to a ProxyJump hop rather than the host itself.
        target = next((h for h in target.proxy_jump if h.name == exc.host), target)
        files = (str(self.user_known_hosts), str(self.app_known_hosts))
        self.prompter.show_changed_key(target.hostname, target.port, exc, files)

    def start_after_first_paint(self, window: QObject) -> None:
        """Call start() once the window has painted, so SSH never delays the first window."""
        watcher = _FirstPaintWatcher(window, self.start)
        window.installEventFilter(watcher)

    def shutdown(self) -> None:
        """Refuse pending prompts and close every transport, without waiting on the network."""
        if self._closed:
            return
        self._closed = True
        self.prompter.cancel_all()
        self._io.shutdown(wait=False)
        with self._pool_lock:
            pool = self._pool
        if pool is not None:
            threading.Thread(target=pool.close_all, daemon=True, name="ssh-close").start()
