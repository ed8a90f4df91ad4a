"""Numbers in provider answers are untrusted: finite and in range, else unknown with a note."""

from __future__ import annotations

import math
from typing import Any

# The largest count or size kept: every integer up to it is exact as a JSON (double)
# number and fits a SQLite integer. No batch has more requests, lines or bytes.
LARGEST = 2**53


def wire_count(value: Any, field: str, notes: list[str] | None = None) -> int | None:
    """A non-negative count or size from a provider (an int, an integral float or a string
    of one); None when absent. An unusable value (non-finite, negative, fractional, past
    `LARGEST`, not a number) is unknown too, and says so in `notes`."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    number: int | None = None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value) if abs(value) <= LARGEST else LARGEST + 1
    elif isinstance(value, str) and len(value) <= 40:
        text = value.strip()
        if text.isdigit():
            number = int(text)
        else:
            try:
                parsed = float(text)
            except ValueError:
                parsed = math.nan
            if math.isfinite(parsed) and parsed.is_integer():
                number = int(parsed) if abs(parsed) <= LARGEST else LARGEST + 1
    if number is not None and 0 <= number <= LARGEST:
        return number
    if notes is not None:
        notes.append(f"{field} {_shown(value)} is not a usable number: shown as unknown")
    return None


def _shown(value: Any) -> str:
    if isinstance(value, str):
        text = value if len(value) <= 24 else value[:24] + "…"
        return repr(text)
    if isinstance(value, int):
        digits = len(str(value)) if value.bit_length() < 10_000 else "many"
        return f"(a {digits}-digit number)" if value > LARGEST else str(value)
    if isinstance(value, float):
        return repr(value)
    return f"(a {type(value).__name__})"
