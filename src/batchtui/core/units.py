"""How byte counts are written for people: one formatter, in the decimal units providers use."""

from __future__ import annotations

_UNITS = (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3))


def format_bytes(count: float) -> str:
    """`count` bytes as providers state their limits: "200 MB", "1.5 GB", "512 bytes".

    Decimal units (a provider's "200 MB" is 200,000,000 bytes), one decimal, none when it
    is zero, so a size reads the same in a validation message, a download and a progress bar.
    """
    for unit, size in _UNITS:
        if count >= size:
            return f"{count / size:.1f} {unit}".replace(".0 ", " ")
    return f"{count:.0f} bytes"
