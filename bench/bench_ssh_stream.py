"""Benchmark: remote CPU per sample, one streamed channel against a new exec per sample.

Both are measured in the same run, on the same namespace host of the SSH test bed, over
one already-open shared transport:
  - streamed: one SshFrameStream (services.hardware.frames.stream_command), N samples;
  - exec per sample: N times a new session running the same sampler, closed after its
    first frame (what polling with a command per sample would cost).
Remote CPU is the user+system time of every process in the host's network namespace
(sshd, its session processes, the shell and what it runs), read from /proc/<pid>/stat:
for each live process utime+stime plus cutime+cstime, which hold the time of all its
exited and reaped descendants, so nothing is counted twice or lost.
App CPU per host-sample is this process's CPU (all threads: transport, decoding and the
sample parser) while streaming, divided by the samples received.

A session's cost depends on the login: the bed's hosts source an empty ~/.bashrc, so a
new session costs little more than sshd itself; `--root-rc ~/.bashrc` gives the host a
real login environment (this machine's, with pyenv) and `--pam` a PAM session.

Usage (root): .venv/bin/python bench/bench_ssh_stream.py [--samples 30] [--interval 0.5]
              [--hosts 1] [--root-rc FILE] [--pam] [--test-user]
"""
from __future__ import annotations

import argparse
import os
import pwd
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def namespace_cpu_seconds(host) -> float:
    """CPU seconds used so far by every process in the host's namespace and its reaped children."""
    total = 0
    for pid in host.pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / CLOCK_TICKS


def settle(host, baseline: set[int], timeout: float = 10.0) -> None:
    """Wait until the sessions that a phase started have exited and been reaped."""
    deadline = time.monotonic() + timeout
    while set(host.pids()) - baseline and time.monotonic() < deadline:
        time.sleep(0.05)


def streamed(pool, target, interval: float, samples: int, on_first=lambda: None) -> tuple[int, float]:
    """Take samples over one channel; return (samples, client CPU s) after the first one."""
    from services.hardware.sampler import SampleStream
    from services.ssh.stream import SshFrameStream

    stream = SampleStream(SshFrameStream(pool, target, interval))
    got, cpu_start = 0, None
    try:
        for _ in stream:
            if cpu_start is None:
                on_first()
                cpu_start = time.process_time()
                continue
            got += 1
            if got == samples:
                break
    finally:
        stream.close()
    return got, time.process_time() - cpu_start


def exec_per_sample(pool, target, interval: float, samples: int) -> float:
    """Take samples with a new session each; return the client CPU seconds it took."""
    from services.ssh.stream import SshFrameStream

    cpu = time.process_time()
    for _ in range(samples):
        stream = SshFrameStream(pool, target, interval)
        try:
            next(iter(stream))
        finally:
            stream.close()
        time.sleep(interval)
    return time.process_time() - cpu


def main() -> int:
    """Run both phases and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--hosts", type=int, default=1, help="hosts streaming at once (app CPU)")
    parser.add_argument("--test-user", action="store_true",
                        help="log in as the test bed's user (login shell /bin/sh, no rc files) "
                        "instead of root")
    parser.add_argument("--root-rc", type=Path, metavar="FILE",
                        help="the ~/.bashrc root's sessions source on the host (default: "
                        "empty), e.g. this machine's own to measure a realistic login")
    parser.add_argument("--pam", action="store_true",
                        help="measure on a host whose sshd uses PAM (UsePAM=yes), as "
                        "distribution sshds do; the bed's hosts run without it")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="cluster-lab-bench-"))
    os.environ["CLUSTER_LAB_HOME"] = str(home / "lab")
    os.environ["HOME"] = str(home)
    os.environ.pop("SSH_AUTH_SOCK", None)
    from services.ssh.known_hosts import HostKeyStore
    from services.ssh.pool import SshPool
    from services.ssh.prompts import BatchPrompter
    from services.ssh.targets import resolve_target
    from tests.ssh.testbed import SshTestbed

    bed = SshTestbed()
    if args.root_rc is not None:
        bed.root_rc.write_text(args.root_rc.read_text())
    pool = SshPool(HostKeyStore(), BatchPrompter())
    try:
        hosts = [bed.add_host(None, sshd_options=["UsePAM=yes"])] if args.pam else bed.main_hosts()
        while len(hosts) < args.hosts:
            hosts.append(bed.add_host(None))
        hosts = hosts[: max(1, args.hosts)]
        bed.write_ssh_config(home, hosts=hosts, known=True)
        login = f"{bed.user}@" if args.test_user else ""
        targets = [resolve_target(f"{login}{h.name}") for h in hosts]
        for t in targets:
            pool.transport(t)
        host, target = hosts[0], targets[0]
        n = args.samples

        base = set(host.pids())
        before = namespace_cpu_seconds(host)
        exec_client = exec_per_sample(pool, target, args.interval, n)
        settle(host, base)
        exec_remote = namespace_cpu_seconds(host) - before

        results: list = [None] * len(targets)
        marks = {}

        def first_sample() -> None:
            # The stream's one session start is not a per-sample cost: count from here.
            marks["before"] = namespace_cpu_seconds(host)

        def run(i: int) -> None:
            results[i] = streamed(pool, targets[i], args.interval, n, first_sample if i == 0 else lambda: None)

        base = set(host.pids())
        wall = time.monotonic()
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(targets))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - wall
        settle(host, base)
        stream_remote = namespace_cpu_seconds(host) - marks["before"]
        marks["samples"] = sum(r[0] for r in results)
        stream_client = max(r[1] for r in results)  # process-wide CPU over the same window

        per_stream = stream_remote / n * 1000
        per_exec = exec_remote / n * 1000
        shell = pwd.getpwnam(targets[0].login).pw_shell
        print(f"samples per phase: {n}, interval {args.interval:g} s, host {host.name}, "
              f"login {targets[0].login} (shell {shell})")
        print(f"remote CPU per sample, exec per sample: {per_exec:7.2f} ms  (baseline)")
        print(f"remote CPU per sample, streamed:        {per_stream:7.2f} ms  "
              f"(after its session started)")
        ratio = per_stream / per_exec if per_exec else float("nan")
        print(f"ratio streamed / exec: {ratio:.3f}  (1/{1 / ratio if ratio else float('inf'):.1f}; target <= 1/10)")
        print(f"app CPU per host-sample, streamed: {stream_client / marks['samples'] * 1000:.2f} ms "
              f"({len(targets)} host(s), {marks['samples']} samples, {wall:.1f} s, "
              f"{stream_client / wall * 100:.1f} % of one core)")
        print(f"app CPU per host-sample, exec per sample: {exec_client / n * 1000:.2f} ms  "
              f"(ratio streamed/exec {stream_client / marks['samples'] / (exec_client / n):.3f})")
        print(f"transports to {host.name}: {pool.transport_count(targets[0].name)}")
    finally:
        pool.close_all()
        bed.close()
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
