"""Live hardware frames from an SSH host over one long-lived exec channel.

The remote side is services.hardware.frames.stream_command: a constant shell loop that
prints one frame per interval, so a sample costs the host a few file reads instead of
a new session. A link that dies silently (no RST, no FIN) is detected by the absence
of frames: no complete frame for dead_after(interval) = max(3 * interval, 10 s) raises
Unreachable and drops the host's transport, so the next open reconnects.
"""
from __future__ import annotations

import codecs
import socket
import threading
import time
from typing import Iterator

from services.errors import CommandFailed, ParseError
from services.hardware.frames import Frame, FrameDecoder, stream_command
from services.ssh.errors import Unreachable
from services.ssh.pool import SshPool
from services.ssh.runner import session_refused
from services.ssh.targets import SshTarget


def dead_after(interval: float) -> float:
    """Seconds without a complete frame after which a host counts as unreachable."""
    return max(3 * interval, 10.0)


class SshFrameStream:
    """Stream[Frame] over one exec channel; close() from any thread unblocks the reader."""

    def __init__(self, pool: SshPool, target: SshTarget, interval: float):
        self.pool = pool
        self.target = target
        self.interval = interval
        self.command = stream_command(interval)
        self._closed = threading.Event()
        self._channel = None
        self._transport = None
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[Frame]:
        """Connect (after any backoff the pool asks for) and yield frames until closed."""
        import paramiko

        delay = self.pool.next_retry_delay(self.target.name)
        if delay and self._closed.wait(delay):
            return
        channel = self._open()
        if channel is None:
            return
        name = self.target.name
        decoder = FrameDecoder()
        text = codecs.getincrementaldecoder("utf-8")("replace")
        limit = dead_after(self.interval)
        deadline = time.monotonic() + limit
        stderr = b""
        try:
            while not self._closed.is_set():
                channel.settimeout(max(0.05, deadline - time.monotonic()))
                try:
                    chunk = channel.recv(65536)
                except socket.timeout:
                    if self._closed.is_set():
                        return
                    self._fail(Unreachable(f"{name}: no sample for {limit:g} s, link presumed dead"))
                except (paramiko.SSHException, EOFError, OSError) as exc:
                    if self._closed.is_set():
                        return
                    self._fail(Unreachable(f"{name}: sample stream broke: {exc or type(exc).__name__}"))
                if channel.recv_stderr_ready():
                    # Drained so unread stderr cannot hold the channel's window shut.
                    stderr = (stderr + channel.recv_stderr(65536))[-400:]
                if not chunk:
                    if self._closed.is_set():
                        return
                    self._ended(channel, stderr)
                frames = decoder.feed(text.decode(chunk))
                if frames:
                    deadline = time.monotonic() + limit
                    self.pool.mark_healthy(name)
                yield from frames
        finally:
            self.close()

    def _open(self):
        import paramiko

        transport = self._transport = self.pool.transport(self.target)
        channel = None
        try:
            channel = transport.open_session(timeout=dead_after(self.interval))
            channel.exec_command(self.command)
        except paramiko.ChannelException as exc:
            raise session_refused(self.target.name, exc) from exc
        except (paramiko.SSHException, EOFError, OSError) as exc:
            if channel is not None:
                channel.close()
            self._fail(Unreachable(f"{self.target.name}: cannot start the sampler: {exc or type(exc).__name__}"))
        with self._lock:
            if self._closed.is_set():
                channel.close()
                return None
            self._channel = channel
        return channel

    def _ended(self, channel, stderr: bytes) -> None:
        transport = channel.get_transport()
        if transport is None or not transport.is_active():
            self._fail(Unreachable(f"{self.target.name}: connection closed"))
        status = channel.exit_status if channel.status_event.wait(2) else -1
        while channel.recv_stderr_ready():
            stderr = (stderr + channel.recv_stderr(65536))[-400:]
        lines = stderr.decode("utf-8", "replace").strip().splitlines()
        said = f": {lines[-1][:160]}" if lines else ""
        if status == 127:
            raise CommandFailed(f"{self.target.name}: the sampler's shell is not installed{said}")
        raise ParseError("sample stream", f"ended unexpectedly (exit status {status}){said}")

    def _fail(self, exc: Unreachable):
        self.pool.mark_failed(self.target.name, exc, self._transport)
        raise exc

    def close(self) -> None:
        """Stop streaming: close the channel, which wakes a reader blocked in recv."""
        with self._lock:
            self._closed.set()
            channel, self._channel = self._channel, None
        if channel is not None:
            channel.close()
