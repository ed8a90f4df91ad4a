"""Durations as people type them on a command line or in config: `90s`, `30m`, `1h30m`, `90d`."""

from __future__ import annotations

import math
import re

from batchtui.core.errors import UsageError

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


def parse_duration(text: str, *, setting: str) -> float:
    """Seconds in `text` (`45`, `90s`, `30m`, `1h30m`, `2d`); `setting` names it in errors."""
    cleaned = text.strip().lower().replace(" ", "")
    seconds: float | None = None
    try:
        seconds = float(cleaned)
    except ValueError:
        position, total = 0, 0.0
        for match in _PART.finditer(cleaned):
            if match.start() != position:
                break
            total += float(match.group(1)) * _UNITS[match.group(2)]
            position = match.end()
        if position == len(cleaned) and position > 0:
            seconds = total
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        raise UsageError(f"{setting} {text!r}: not a duration (examples: 90s, 30m, 1h30m, 2d)")
    return seconds


def format_duration(seconds: float) -> str:
    """`1h30m`, `45s`: the short form `parse_duration` reads back."""
    whole = round(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if whole >= size:
            parts.append(f"{whole // size}{unit}")
            whole %= size
    if whole or not parts:
        parts.append(f"{whole}s")
    return "".join(parts)
