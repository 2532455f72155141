"""JSON form of hardware snapshots, and the blocking collection behind `snapshot hardware`."""
from __future__ import annotations

import dataclasses
import math
from typing import Any

from services.hardware.sources import LOCAL, HardwareSources


def to_jsonable(obj: Any) -> Any:
    """Dataclasses, tuples and dicts as plain JSON values; NaN (no data) becomes null."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(key): to_jsonable(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(value) for value in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def collect_snapshot(sources: HardwareSources, target: str = LOCAL, samples: int = 1,
                     interval: float = 1.0) -> dict[str, Any]:
    """Read the target's inventory and `samples` live samples `interval` s apart (blocking).

    TargetUnavailable and the frame stream's errors propagate to the caller.
    """
    if samples < 0:
        raise ValueError("samples must not be negative")
    inventory = sources.inventory_call(target)()
    collected = []
    if samples:
        stream = sources.sample_stream(target, interval)()
        try:
            for sample in stream:
                collected.append(sample)
                if len(collected) == samples:
                    break
        finally:
            stream.close()
    return {
        "target": target,
        "inventory": to_jsonable(inventory),
        "samples": [to_jsonable(sample) for sample in collected],
    }
