"""The engine host's view of Docker networking: veths, bridges and the nat table.

Only read-only commands run, always as argv lists. The container side of each veth is
read with the host's own `ip` binary entered into just the container's network
namespace (`nsenter -t PID -n`), so nothing from inside the container is executed and
no file inside the container's filesystem is followed.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Sequence

from services.docker.model import (
    NOT_PERMITTED,
    NOT_VISIBLE,
    VISIBLE,
    Container,
    HostLink,
    HostSide,
    NatTable,
)
from services.docker.parsers import parse_bridge_link, parse_iptables_nat, parse_ip_link
from services.errors import CommandFailed, ParseError
from services.runner import CommandRunner, checked_stdout

_PERMISSION_WORDS = ("permission denied", "password is required", "not permitted", "must be root")
NSENTER_WORKERS = 4


@dataclass(frozen=True)
class HostView:
    """Host side of every endpoint, keyed by (network id, container id), plus the NAT table."""

    status: str
    sides: dict
    nat: NatTable


def _is_permission_problem(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in _PERMISSION_WORDS)


def map_host_sides(
    containers: Sequence[Container],
    host_links: Sequence[HostLink],
    bridge_ports: dict[str, tuple[str, str]],
    inner_links: dict[str, tuple[str, Sequence[HostLink]]],
) -> dict[tuple[str, str], HostSide]:
    """Pair each endpoint with its host veth.

    The container's interface is found by the endpoint's MAC address; its peer index
    (`link_index`, the iflink) is the ifindex of the host end of the veth pair. An
    ifindex is only unique within one namespace, so the host end must point back at
    the container's interface: a host that is not the engine's (another namespace)
    then reads as "no veth found" instead of naming an unrelated interface.
    """
    by_index = {link.ifindex: link for link in host_links}
    sides: dict[tuple[str, str], HostSide] = {}
    for container in containers:
        status, links = inner_links.get(container.id, (NOT_VISIBLE, ()))
        by_mac = {link.mac.lower(): link for link in links if link.mac}
        for att in container.attachments:
            key = (att.network_id, container.id)
            if status != VISIBLE:
                sides[key] = HostSide(status)
                continue
            inside = by_mac.get(att.mac.lower()) if att.mac else None
            host = by_index.get(inside.peer_ifindex) if inside else None
            if host is None or host.peer_ifindex != inside.ifindex:
                sides[key] = HostSide("no veth found")
                continue
            _, stp_state = bridge_ports.get(host.name, ("", ""))
            state = host.operstate.lower() + (f", {stp_state}" if stp_state else "")
            sides[key] = HostSide(VISIBLE, host.name, host.master, state)
    return sides


class HostInspector:
    """Reads veths, bridges and nat rules on the engine's host through a runner."""

    def __init__(self, runner: CommandRunner, privilege_prefix: Sequence[str] = ()):
        # privilege_prefix is e.g. ("sudo", "-n"): never prompts, fails fast instead.
        self._runner = runner
        self._prefix = tuple(privilege_prefix)

    def read(self, containers: Sequence[Container], cache: dict | None = None) -> HostView:
        """Map every endpoint of the running containers to its host veth, and read NAT.

        cache (kept by the caller between snapshots) holds each container's own links
        by (id, pid, MACs): a container whose process and interfaces did not change is
        not entered again, so a resync after one event costs a few commands, not one
        per container.
        """
        nat = self.read_nat()
        try:
            host_links = parse_ip_link(checked_stdout(self._runner, ["ip", "-j", "link"]))
        except (CommandFailed, ParseError):
            return HostView(NOT_VISIBLE, {}, nat)
        try:
            bridge_ports = parse_bridge_link(
                checked_stdout(self._runner, ["bridge", "-j", "link"])
            )
        except (CommandFailed, ParseError):
            bridge_ports = {}
        running = [c for c in containers if c.pid and c.state == "running"]
        cache = {} if cache is None else cache
        keys = {c.id: (c.id, c.pid, tuple(sorted(a.mac for a in c.attachments))) for c in running}
        for stale in set(cache) - set(keys.values()):
            del cache[stale]
        missing = [c for c in running if keys[c.id] not in cache]
        inner = {c.id: cache[keys[c.id]] for c in running if keys[c.id] in cache}
        with ThreadPoolExecutor(max_workers=NSENTER_WORKERS) as pool:
            for container, result in zip(missing, pool.map(self._container_links, missing)):
                inner[container.id] = result
                if result[0] == VISIBLE:  # failures are not kept: retried next snapshot
                    cache[keys[container.id]] = result
        sides = map_host_sides(running, host_links, bridge_ports, inner)
        return HostView(VISIBLE, sides, nat)

    def _container_links(self, container: Container):
        argv = [*self._prefix, "nsenter", "-t", str(container.pid), "-n", "ip", "-j", "link"]
        try:
            result = self._runner.run(argv, timeout=5.0)
        except CommandFailed:
            return NOT_VISIBLE, ()
        if not result.ok:
            if _is_permission_problem(result.stderr):
                return NOT_PERMITTED, ()
            # The container may have exited between the listing and now.
            return "gone", ()
        try:
            return VISIBLE, parse_ip_link(result.stdout, f"ip -j link in {container.name}")
        except ParseError:
            return "unreadable", ()

    def read_nat(self) -> NatTable:
        """Parse `iptables-save -t nat`; 'not permitted' when the host refuses."""
        argv = [*self._prefix, "iptables-save", "-t", "nat"]
        try:
            result = self._runner.run(argv, timeout=10.0)
        except CommandFailed as exc:
            return NatTable(NOT_VISIBLE, reason=str(exc))
        first = (result.stderr.strip().splitlines() or [""])[0][:200]
        if not result.ok:
            status = NOT_PERMITTED if _is_permission_problem(result.stderr) else NOT_VISIBLE
            return NatTable(status, reason=first or f"exit {result.returncode}")
        if not result.stdout.strip() and _is_permission_problem(result.stderr):
            return NatTable(NOT_PERMITTED, reason=first)
        try:
            dnat, masq = parse_iptables_nat(result.stdout)
        except ParseError as exc:
            return NatTable(NOT_VISIBLE, reason=str(exc))
        return NatTable(VISIBLE, dnat, masq)
