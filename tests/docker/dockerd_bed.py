"""A real, private dockerd for tests: own data root, exec root, socket, bridge and subnets.

Everything it creates (process, mounts, bridge, iptables chains, files) is removed by
stop_and_clean(), which then checks that nothing is left behind.
"""
from __future__ import annotations

import fcntl
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

DEFAULT_BRIDGE = "cldock0"
DEFAULT_BRIDGE_CIDR = "10.77.250.1/24"
ADDRESS_POOL = "base=10.77.128.0/17,size=24"
IMAGE = "lab/busybox:1"
BUSYBOX_APPLETS = ("sh", "ip", "ping", "sleep", "cat", "ls")
LOCK_FILE = "/run/lock/cluster-lab-dockerd.lock"
LOCK_TIMEOUT = 900.0


def run(argv: list[str], check: bool = True, timeout: float = 60.0) -> subprocess.CompletedProcess:
    """Run argv (never through a shell) and capture text output."""
    return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=timeout)


def wait_until(predicate, timeout: float, interval: float = 0.1) -> bool:
    """Poll predicate until it is true or timeout passes; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


class DockerdBed:
    """Starts, restarts and removes one private dockerd."""

    def __init__(self) -> None:
        # dockerd owns host-wide iptables chains: one bed per machine at a time.
        self._lock = _exclusive_lock(LOCK_FILE, LOCK_TIMEOUT)
        self.root = Path(tempfile.mkdtemp(prefix="cl-dockerd-"))
        self.socket = self.root / "docker.sock"
        self.url = f"unix://{self.socket}"
        self.proc: subprocess.Popen | None = None
        self._iptables_before = {t: self._chains(t) for t in ("filter", "nat")}
        self._forward_policy = self._policy("FORWARD")
        self._ip_forward = Path("/proc/sys/net/ipv4/ip_forward").read_text().strip()

    # -- lifecycle -------------------------------------------------------------
    def start(self) -> None:
        """Start dockerd and wait until its socket answers; raise with its log otherwise."""
        if not _link_exists(DEFAULT_BRIDGE):
            run(["ip", "link", "add", DEFAULT_BRIDGE, "type", "bridge"])
            run(["ip", "addr", "add", DEFAULT_BRIDGE_CIDR, "dev", DEFAULT_BRIDGE])
            run(["ip", "link", "set", DEFAULT_BRIDGE, "up"])
        log = open(self.root / "dockerd.log", "ab")
        self.proc = subprocess.Popen(
            [
                "dockerd",
                "--data-root", str(self.root / "data"),
                "--exec-root", str(self.root / "exec"),
                "--pidfile", str(self.root / "dockerd.pid"),
                "-H", self.url,
                "--bridge", DEFAULT_BRIDGE,
                "--default-address-pool", ADDRESS_POOL,
                "--iptables=true",
                "--shutdown-timeout", "1",
            ],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        log.close()
        if not wait_until(self._answers, timeout=60, interval=0.2):
            tail = (self.root / "dockerd.log").read_text(errors="replace")[-3000:]
            self.stop()
            raise RuntimeError(f"dockerd did not start; log tail:\n{tail}")

    def _answers(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            return True  # exited: let start() report it
        return self.socket.exists() and run(self.docker_argv("version"), check=False).returncode == 0

    def stop(self) -> None:
        """Stop dockerd with SIGTERM (its managed containerd follows) and wait for it."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        """Stop then start the same daemon with the same data."""
        self.stop()
        self.start()

    # -- docker CLI ------------------------------------------------------------
    def docker_argv(self, *args: str) -> list[str]:
        """argv of the docker CLI pointed at this daemon."""
        return ["docker", "-H", self.url, *args]

    def docker(self, *args: str, timeout: float = 60.0) -> str:
        """Run the docker CLI against this daemon; return stdout, raise with stderr."""
        result = run(self.docker_argv(*args), check=False, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"{shlex.join(args)} failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def build_busybox_image(self) -> None:
        """`docker import` a root filesystem holding only busybox and a few applets."""
        rootfs = self.root / "rootfs"
        (rootfs / "bin").mkdir(parents=True, exist_ok=True)
        shutil.copy2("/bin/busybox", rootfs / "bin" / "busybox")
        for applet in BUSYBOX_APPLETS:
            link = rootfs / "bin" / applet
            if not link.exists():
                link.symlink_to("busybox")
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(
            self.docker_argv("import", "-", IMAGE), stdin=tar.stdout, capture_output=True, text=True
        )
        tar.stdout.close()
        tar.wait()
        if imported.returncode != 0:
            raise RuntimeError(f"docker import failed: {imported.stderr.strip()}")

    def remove_workloads(self) -> None:
        """Remove every container and every user network."""
        ids = self.docker("ps", "-aq").split()
        if ids:
            self.docker("rm", "-f", *ids)
        self.docker("network", "prune", "-f")

    # -- teardown --------------------------------------------------------------
    def stop_and_clean(self) -> list[str]:
        """Remove everything this bed made; return what could not be removed."""
        problems: list[str] = []
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.remove_workloads()
                self.docker("rmi", "-f", IMAGE)
            except RuntimeError as exc:
                problems.append(str(exc))
        self.stop()
        for mount in reversed(self._mounts_under_root()):
            run(["umount", "-l", mount], check=False)
        shutil.rmtree(self.root, ignore_errors=True)
        if _link_exists(DEFAULT_BRIDGE):
            run(["ip", "link", "del", DEFAULT_BRIDGE], check=False)
        self._restore_iptables()
        Path("/proc/sys/net/ipv4/ip_forward").write_text(self._ip_forward + "\n")
        problems += self.leftovers()
        self._lock.close()
        return problems

    def leftovers(self) -> list[str]:
        """Anything of this bed still present: files, mounts, processes, links, chains."""
        found = []
        if self.root.exists():
            found.append(f"directory {self.root}")
        found += [f"mount {m}" for m in self._mounts_under_root()]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    cmdline = (entry / "cmdline").read_bytes()
                except OSError:
                    continue
                if str(self.root).encode() in cmdline:
                    found.append(f"process {entry.name}")
        if _link_exists(DEFAULT_BRIDGE):
            found.append(f"link {DEFAULT_BRIDGE}")
        for table, before in self._iptables_before.items():
            extra = {c for c in self._chains(table) if c.startswith("DOCKER")} - before
            found += [f"iptables chain {table}/{c}" for c in sorted(extra)]
        return found

    def _mounts_under_root(self) -> list[str]:
        mounts = []
        for line in Path("/proc/self/mounts").read_text().splitlines():
            parts = line.split()
            if len(parts) > 1 and parts[1].startswith(str(self.root)):
                mounts.append(parts[1])
        return mounts

    @staticmethod
    def _chains(table: str) -> set[str]:
        text = run(["iptables-save", "-t", table]).stdout
        return {line[1:].split()[0] for line in text.splitlines() if line.startswith(":")}

    @staticmethod
    def _policy(chain: str) -> str:
        text = run(["iptables-save", "-t", "filter"]).stdout
        for line in text.splitlines():
            if line.startswith(f":{chain} "):
                return line.split()[1]
        return "ACCEPT"

    def _restore_iptables(self) -> None:
        """Delete the rules and chains dockerd added, leaving everything else alone."""
        for table, before in self._iptables_before.items():
            ours = {c for c in self._chains(table) if c.startswith("DOCKER")} - before
            text = run(["iptables-save", "-t", table]).stdout
            for line in text.splitlines():
                if not line.startswith("-A "):
                    continue
                words = shlex.split(line)
                chain = words[1]
                mentions_ours = any(w in ours for w in words) or DEFAULT_BRIDGE in words or any(
                    w.startswith("10.77.") for w in words
                )
                if chain not in ours and mentions_ours:
                    run(["iptables", "-t", table, "-D", *words[1:]], check=False)
            for chain in ours:
                run(["iptables", "-t", table, "-F", chain], check=False)
            for chain in ours:
                run(["iptables", "-t", table, "-X", chain], check=False)
        run(["iptables", "-P", "FORWARD", self._forward_policy], check=False)


def _exclusive_lock(path: str, timeout: float):
    """Hold an exclusive flock on path (released when the returned file is closed)."""
    handle = open(path, "w")
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() > deadline:
                handle.close()
                raise RuntimeError(f"another test dockerd held {path} for {timeout:.0f} s") from None
            time.sleep(0.5)


def _link_exists(name: str) -> bool:
    return os.path.exists(f"/sys/class/net/{name}")
