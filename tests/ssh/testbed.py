"""A real SSH test bed: OpenSSH sshd processes in network namespaces.

Topology (N is a free third octet picked per run, names carry the pid so that
parallel runs on one machine never clash):

    root netns ── bridge clbN ── 10.240.N.1/24
                     ├─ h1 10.240.N.11 ── eth1 10.241.N.1/24 ── hidden 10.241.N.2
                     ├─ h2 10.240.N.12
                     └─ h3 10.240.N.13

The root namespace holds an ``unreachable`` route for 10.241.N.0/24, so the test
process cannot reach the hidden host except through h1 (ProxyJump), and no packet for
it ever leaves the machine. Everything created is recorded and removed by close().
"""
from __future__ import annotations

import fcntl
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterable, Sequence

SSHD = "/usr/sbin/sshd"
LOCK_FILE = "/run/lock/cluster-lab-testbed.lock"
ROOT_BASHRC = Path(pwd.getpwuid(0).pw_dir) / ".bashrc"


def sh(argv: Sequence[str], check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    """Run a setup command, raising with its stderr when it fails."""
    proc = subprocess.run(list(argv), capture_output=True, text=True, **kwargs)
    if check and proc.returncode != 0:
        raise RuntimeError(f"test bed: {' '.join(argv)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc


def keygen(path: Path, passphrase: str = "", comment: str = "cluster-lab-test") -> Path:
    """Create an ed25519 key pair at path (OpenSSH format)."""
    sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", comment, "-f", str(path)])
    return path


def ssh_keygen_fingerprint(pub_path: Path) -> str:
    """Return the SHA256 fingerprint that `ssh-keygen -lf` prints for a public key file."""
    return sh(["ssh-keygen", "-lf", str(pub_path)]).stdout.split()[1]


def _free_octet() -> int:
    used = sh(["ip", "-4", "route", "show", "table", "all"]).stdout
    start = os.getpid() % 200 + 20
    for offset in range(200):
        octet = (start + offset) % 230 + 20
        if f"10.240.{octet}." not in used and f"10.241.{octet}." not in used:
            return octet
    raise RuntimeError("test bed: no free 10.240.x.0/24 subnet")


class NetnsHost:
    """One lab host: a network namespace with its own address running a real sshd."""

    port = 22

    def __init__(self, bed: "SshTestbed", name: str, address: str, netns: str, root_veth: str | None,
                 sshd_options: Sequence[str] = (), uts_hostname: str | None = None):
        self.bed = bed
        self.name = name
        self.address = address
        self.netns = netns
        self.root_veth = root_veth
        self.sshd_options = tuple(sshd_options)
        self.uts_hostname = uts_hostname
        self.dir = bed.dir / name
        self.dir.mkdir()
        self.hostkey_path = keygen(self.dir / "hostkey", comment=name)
        self.log_path = self.dir / "sshd.log"
        self.proc: subprocess.Popen | None = None

    # -- sshd ---------------------------------------------------------------------------
    def sshd_argv(self) -> list[str]:
        """The sshd command line (foreground, no system config, this host's key and log)."""
        # sshd keeps the first value it is given for an option: a host's own options
        # come first so they override the bed's defaults.
        opts = [
            *self.sshd_options, f"ListenAddress={self.address}", f"HostKey={self.hostkey_path}",
            f"PidFile={self.dir / 'sshd.pid'}", "UsePAM=no", "StrictModes=no",
            "PermitRootLogin=prohibit-password", f"AuthorizedKeysFile={self.bed.authorized_keys}",
            "PasswordAuthentication=yes", "KbdInteractiveAuthentication=no",
            "AllowTcpForwarding=yes", "LogLevel=VERBOSE", "MaxSessions=50", "MaxStartups=50",
            "Subsystem=sftp internal-sftp",
        ]
        argv = [SSHD, "-D", "-e", "-f", "/dev/null"]
        for opt in opts:
            argv += ["-o", opt]
        return argv

    def start_sshd(self) -> None:
        """Start sshd inside the namespace and wait until it accepts connections."""
        if self.proc is not None and self.proc.poll() is None:
            return
        argv = ["ip", "netns", "exec", self.netns]
        if ROOT_BASHRC.exists():
            # bash sources ~/.bashrc for commands run by sshd. This machine's own root
            # rc (pyenv init) takes a lock that a session killed by a fault test leaves
            # behind, hanging every later login; the hosts get the bed's rc (empty
            # unless a benchmark sets one) in the private mount namespace that
            # `ip netns exec` already gives sshd.
            argv += ["sh", "-c", 'mount --bind "$1" "$2" && shift 2 && exec "$@"', "sh",
                     str(self.bed.root_rc), str(ROOT_BASHRC)]
        if self.uts_hostname is not None:
            # A private UTS namespace gives the host its own (hostile) hostname; Python
            # sets it because hostname(1) refuses names that are not valid DNS labels.
            argv += ["unshare", "--uts", sys.executable, "-c",
                     "import os, socket, sys; socket.sethostname(sys.argv[1]); os.execv(sys.argv[2], sys.argv[2:])",
                     self.uts_hostname]
        argv += self.sshd_argv()
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         start_new_session=True)
        finally:
            log.close()
        self.wait_listening()

    def wait_listening(self, timeout: float = 10.0) -> None:
        """Block until sshd answers with its banner, or raise with the log tail."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                break
            probe = self.exec([sys.executable, "-c", _BANNER_PROBE, self.address], check=False)
            if probe.returncode == 0:
                return
            time.sleep(0.1)
        tail = self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""
        raise RuntimeError(f"test bed: sshd on {self.name} ({self.address}) did not start:\n{tail}")

    def kill_sshd(self) -> None:
        """Kill sshd and every session it started (the host then refuses connections)."""
        # Sessions call setsid(), so a process group kill would miss them; every process
        # in the namespace belongs to this host.
        for pid in self.pids():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc is not None:
            self.proc.wait(timeout=10)
            self.proc = None

    def restart_with_new_hostkey(self) -> None:
        """Replace the host key and restart sshd (clients then see a changed key)."""
        self.kill_sshd()
        for suffix in ("", ".pub"):
            Path(f"{self.hostkey_path}{suffix}").unlink()
        keygen(self.hostkey_path, comment=self.name)
        self.start_sshd()

    def pids(self) -> list[int]:
        """Every process in the host's namespace: sshd, its sessions and what they run."""
        return [int(p) for p in sh(["ip", "netns", "pids", self.netns], check=False).stdout.split()]

    # -- network faults -------------------------------------------------------------------
    def link_down(self) -> None:
        """Take the host's link down: packets vanish, connections hang."""
        self._link("down")

    def link_up(self) -> None:
        """Bring the host's link back up."""
        self._link("up")

    def _link(self, state: str) -> None:
        if self.root_veth is not None:
            sh(["ip", "link", "set", self.root_veth, state])
        else:
            sh(["ip", "-n", self.netns, "link", "set", "eth0", state])

    # -- keys -----------------------------------------------------------------------------
    def host_key(self):
        """The host's public key as a paramiko PKey."""
        import paramiko

        return paramiko.Ed25519Key(filename=str(self.hostkey_path))

    def fingerprint(self) -> str:
        """SHA256 fingerprint of the host key, as `ssh-keygen -lf` prints it."""
        return ssh_keygen_fingerprint(Path(f"{self.hostkey_path}.pub"))

    def known_hosts_line(self) -> str:
        """A plain known_hosts line for this host."""
        pub = Path(f"{self.hostkey_path}.pub").read_text().split()
        return f"{self.address} {pub[0]} {pub[1]}\n"

    def exec(self, argv: Sequence[str], check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        """Run argv inside the host's namespace."""
        return sh(["ip", "netns", "exec", self.netns, *argv], check=check, **kwargs)

    def __repr__(self) -> str:
        return f"NetnsHost({self.name!r}, {self.address!r})"


_BANNER_PROBE = (
    "import socket, sys\n"
    "s = socket.create_connection((sys.argv[1], 22), timeout=1)\n"
    "sys.exit(0 if s.recv(4).startswith(b'SSH-') else 1)\n"
)


class SshTestbed:
    """Creates namespaces, keys, an agent, a password user and sshd hosts; close() undoes all."""

    def __init__(self) -> None:
        self.tag = f"cl{os.getpid() % 100000}"
        self.dir = Path(tempfile.mkdtemp(prefix=f"cluster-lab-sshbed-{os.getpid()}-"))
        os.chmod(self.dir, 0o755)
        self.root_rc = self.dir / "root-rc"  # what root's bash sources on the hosts
        self.root_rc.write_text("")
        self.hosts: dict[str, NetnsHost] = {}
        self._netns: list[str] = []
        self._links: list[str] = []
        self._routes: list[list[str]] = []
        self._user: str | None = None
        self.agent: subprocess.Popen | None = None
        self._count = 0
        try:
            self._setup()
        except BaseException:
            self.close()
            raise

    # -- setup ----------------------------------------------------------------------------
    def _setup(self) -> None:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        self.authorized_keys = self.dir / "authorized_keys"
        self.client_key = keygen(self.dir / "client_key")
        self.passphrase = "correct horse " + secrets.token_hex(4)
        self.encrypted_key = keygen(self.dir / "encrypted_key", passphrase=self.passphrase)
        self.agent_key = keygen(self.dir / "agent_key")
        self.authorized_keys.write_text("".join(
            Path(f"{k}.pub").read_text() for k in (self.client_key, self.encrypted_key, self.agent_key)
        ))
        self._start_agent()
        self._add_user()
        with open(LOCK_FILE, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self.octet = _free_octet()
            self.bridge = f"{self.tag}br"
            sh(["ip", "link", "add", self.bridge, "type", "bridge"])
            self._links.append(self.bridge)
            sh(["ip", "addr", "add", f"10.240.{self.octet}.1/24", "dev", self.bridge])
            sh(["ip", "link", "set", self.bridge, "up"])
            self.hidden_subnet = f"10.241.{self.octet}.0/24"
            route = ["ip", "route", "add", "unreachable", self.hidden_subnet]
            sh(route)
            self._routes.append(["ip", "route", "del", "unreachable", self.hidden_subnet])
        self.jump = self.add_host("h1")
        self.add_host("h2")
        self.add_host("h3")
        self.hidden = self._add_hidden_host(self.jump)

    def _start_agent(self) -> None:
        self.agent_sock = str(self.dir / "agent.sock")
        self.agent = subprocess.Popen(["ssh-agent", "-D", "-a", self.agent_sock],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True)
        deadline = time.monotonic() + 5
        while not os.path.exists(self.agent_sock):
            if time.monotonic() > deadline:
                raise RuntimeError("test bed: ssh-agent did not create its socket")
            time.sleep(0.05)
        sh(["ssh-add", "-q", str(self.agent_key)], env={**os.environ, "SSH_AUTH_SOCK": self.agent_sock})

    def _add_user(self) -> None:
        self.user = f"{self.tag}u"
        self.password = "pw-" + secrets.token_urlsafe(12)
        self.user_home = self.dir / "user-home"
        sh(["useradd", "-M", "-d", str(self.user_home), "-s", "/bin/sh", self.user])
        self._user = self.user
        self.user_home.mkdir()
        entry = pwd.getpwnam(self.user)
        os.chown(self.user_home, entry.pw_uid, entry.pw_gid)
        sh(["chpasswd"], input=f"{self.user}:{self.password}\n")

    def _new_netns(self, name: str) -> str:
        netns = f"{self.tag}-{name}"
        sh(["ip", "netns", "add", netns])
        self._netns.append(netns)
        sh(["ip", "-n", netns, "link", "set", "lo", "up"])
        return netns

    def add_host(self, name: str | None, sshd_options: Sequence[str] = (), uts_hostname: str | None = None,
                 start: bool = True) -> NetnsHost:
        """Add a host on the main bridge (address 10.240.N.(10+k)) and start its sshd.

        name None picks a fresh one (x4, x5, ...).
        """
        self._count += 1
        if self._count > 200:
            raise RuntimeError("test bed: too many hosts")
        name = name or f"x{self._count}"
        if name in self.hosts:
            raise ValueError(f"host {name} exists")
        netns = self._new_netns(name)
        veth = f"{self.tag}v{self._count}"
        sh(["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns])
        self._links.append(veth)
        sh(["ip", "link", "set", veth, "master", self.bridge])
        sh(["ip", "link", "set", veth, "up"])
        address = f"10.240.{self.octet}.{10 + self._count}"
        sh(["ip", "-n", netns, "addr", "add", f"{address}/24", "dev", "eth0"])
        sh(["ip", "-n", netns, "link", "set", "eth0", "up"])
        host = NetnsHost(self, name, address, netns, veth, sshd_options, uts_hostname)
        self.hosts[name] = host
        if start:
            host.start_sshd()
        return host

    def _add_hidden_host(self, jump: NetnsHost) -> NetnsHost:
        netns = self._new_netns("hidden")
        sh(["ip", "-n", jump.netns, "link", "add", "eth1", "type", "veth", "peer", "name", "eth0",
            "netns", netns])
        sh(["ip", "-n", jump.netns, "addr", "add", f"10.241.{self.octet}.1/24", "dev", "eth1"])
        sh(["ip", "-n", jump.netns, "link", "set", "eth1", "up"])
        address = f"10.241.{self.octet}.2"
        sh(["ip", "-n", netns, "addr", "add", f"{address}/24", "dev", "eth0"])
        sh(["ip", "-n", netns, "link", "set", "eth0", "up"])
        host = NetnsHost(self, "hidden", address, netns, None)
        self.hosts["hidden"] = host
        host.start_sshd()
        return host

    def remove_host(self, host: NetnsHost) -> None:
        """Stop a host's sshd and delete its namespace and link."""
        host.kill_sshd()
        if host.root_veth in self._links:
            sh(["ip", "link", "del", host.root_veth], check=False)
            self._links.remove(host.root_veth)
        if host.netns in self._netns:
            sh(["ip", "netns", "del", host.netns], check=False)
            self._netns.remove(host.netns)
        self.hosts.pop(host.name, None)

    # -- client side helpers --------------------------------------------------------------
    def main_hosts(self) -> list[NetnsHost]:
        """h1, h2 and h3: directly reachable hosts."""
        return [self.hosts[n] for n in ("h1", "h2", "h3")]

    def write_ssh_config(self, home: Path, hosts: Iterable[NetnsHost] | None = None,
                         known: bool = False, extra: str = "") -> Path:
        """Write home/.ssh/config (which Includes conf.d/*.conf holding one alias per host).

        Every alias logs in as root with the client key (IdentitiesOnly); the hidden host
        gets ``ProxyJump h1``. With known=True, home/.ssh/known_hosts lists every host key.
        """
        hosts = list(self.hosts.values() if hosts is None else hosts)
        ssh_dir = Path(home) / ".ssh"
        (ssh_dir / "conf.d").mkdir(parents=True, exist_ok=True)
        blocks = []
        for host in hosts:
            lines = [f"Host {host.name}", f"    HostName {host.address}", "    User root",
                     f"    IdentityFile {self.client_key}", "    IdentitiesOnly yes"]
            if host is self.hidden:
                lines.append(f"    ProxyJump {self.jump.name}")
            blocks.append("\n".join(lines) + "\n")
        (ssh_dir / "conf.d" / "lab.conf").write_text("\n".join(blocks))
        config = ssh_dir / "config"
        config.write_text(f"{extra}\nInclude conf.d/*.conf\n\nHost *\n    ServerAliveInterval 15\n")
        if known:
            (ssh_dir / "known_hosts").write_text("".join(h.known_hosts_line() for h in hosts))
        return config

    def direct_route_exists(self, address: str) -> bool:
        """True if the root namespace has a usable route to address."""
        out = sh(["ip", "route", "get", address], check=False)
        return out.returncode == 0 and "unreachable" not in out.stdout

    def tcp_connect_fails(self, address: str, port: int = 22) -> bool:
        """True if a direct TCP connect from this process to address fails at once."""
        try:
            socket.create_connection((address, port), timeout=2).close()
        except OSError:
            return True
        return False

    # -- teardown -------------------------------------------------------------------------
    def close(self) -> None:
        """Kill every process and delete every namespace, link, route, user and file."""
        for host in list(self.hosts.values()):
            host.kill_sshd()
        if self.agent is not None:
            self.agent.kill()
            self.agent.wait(timeout=10)
            self.agent = None
        for netns in reversed(self._netns):
            sh(["ip", "netns", "del", netns], check=False)
        self._netns.clear()
        for link in reversed(self._links):
            sh(["ip", "link", "del", link], check=False)
        self._links.clear()
        for route in self._routes:
            sh(route, check=False)
        self._routes.clear()
        if self._user is not None:
            sh(["userdel", self._user], check=False)
            self._user = None
        shutil.rmtree(self.dir, ignore_errors=True)
