"""Sample frames: the raw text of the /proc and /sys files one live sample needs.

The same frame comes from the local machine (read directly) or from a remote host,
where one long-lived shell loop prints a frame per interval. The loop is a constant
script; the only argument it takes, the interval, is passed as a positional
parameter and never spliced into the script text.
"""
from __future__ import annotations

import glob
import shlex
from typing import Mapping

from services.errors import ParseError

Frame = Mapping[str, str]

SAMPLE_FILES = (
    "/proc/uptime",
    "/proc/stat",
    "/proc/meminfo",
    "/proc/loadavg",
    "/proc/net/dev",
    "/proc/diskstats",
)
HWMON_GLOBS = (
    "/sys/class/hwmon/hwmon*/name",
    "/sys/class/hwmon/hwmon*/temp*_input",
    "/sys/class/hwmon/hwmon*/temp*_label",
)
MAX_FRAME_BYTES = 4 * 1024 * 1024

# Files are copied with the shell's own `read` and `printf` rather than `cat`: a fork
# per file per sample would cost the remote host more CPU than everything else in the
# loop together. The `|| [ -n "$l" ]` keeps a last line that has no newline.
_LOOP = (
    'while :; do printf "@@frame\\n"; '
    "for f in " + " ".join(SAMPLE_FILES + HWMON_GLOBS) + "; do "
    '[ -r "$f" ] || continue; printf "@@file %s\\n" "$f"; '
    'while IFS= read -r l || [ -n "$l" ]; do printf "%s\\n" "$l"; done < "$f"; done; '
    'printf "@@end\\n"; sleep "$1" || exit 1; done'
)


def read_local_frame() -> dict[str, str]:
    """Read one frame from this machine; missing files are simply absent."""
    frame: dict[str, str] = {}
    paths = list(SAMPLE_FILES)
    for pattern in HWMON_GLOBS:
        paths.extend(sorted(glob.glob(pattern)))
    for path in paths:
        try:
            with open(path, "rb") as fh:
                frame[path] = fh.read().decode("utf-8", "replace")
        except OSError:
            continue
    return frame


def stream_command(interval: float) -> str:
    """Return the remote command line that prints one frame every interval seconds."""
    if not 0.1 <= interval <= 3600:
        raise ValueError(f"interval out of range: {interval}")
    return shlex.join(["sh", "-c", _LOOP, "cluster-lab-sampler", f"{interval:g}"])


class FrameDecoder:
    """Incrementally turns the remote loop's output into frames.

    Anything that does not follow the framing raises ParseError, so a garbage or
    truncated stream becomes a typed error instead of a wrong sample.
    """

    def __init__(self) -> None:
        self._buffer = ""
        self._frame: dict[str, list[str]] | None = None
        self._current: list[str] | None = None
        self._size = 0

    def feed(self, chunk: str) -> list[dict[str, str]]:
        """Consume more output and return the frames it completed."""
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split("\n")
        if len(self._buffer) > MAX_FRAME_BYTES:
            raise ParseError("sample stream", "line too long")
        done = []
        for line in lines:
            frame = self._line(line)
            if frame is not None:
                done.append(frame)
        return done

    def _line(self, line: str) -> dict[str, str] | None:
        if line == "@@frame":
            if self._frame is not None:
                raise ParseError("sample stream", "frame started before the last one ended")
            self._frame, self._current, self._size = {}, None, 0
            return None
        if self._frame is None:
            raise ParseError("sample stream", f"text outside a frame: {line[:60]!r}")
        if line == "@@end":
            frame = {path: "\n".join(body) + "\n" for path, body in self._frame.items()}
            self._frame = None
            return frame
        if line.startswith("@@file "):
            path = line[len("@@file "):]
            if not path.startswith(("/proc/", "/sys/")):
                raise ParseError("sample stream", f"unexpected file {path[:60]!r}")
            self._current = self._frame.setdefault(path, [])
            return None
        if self._current is None:
            raise ParseError("sample stream", "content before any file header")
        self._size += len(line) + 1
        if self._size > MAX_FRAME_BYTES:
            raise ParseError("sample stream", "frame too large")
        self._current.append(line)
        return None
