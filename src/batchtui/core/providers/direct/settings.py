"""The direct kind's knobs, read from a profile: concurrency, rate limits, patience."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from batchtui.core.errors import ConfigError
from batchtui.core.providers.netpolicy import NetworkPolicy

DEFAULT_CONCURRENCY = 16
# httpx's default connection pool: more requests in flight would queue for a connection.
MAX_CONCURRENCY = 100
DEFAULT_GIVE_UP_AFTER = 30 * 60.0

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str | float | int, *, setting: str = "duration") -> float:
    """Seconds from `90`, `90s`, `30m`, `1h30m`, `6m0s`, `250ms` (rate-limit headers too)."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        seconds = float(text)
    else:
        value = str(text).strip().lower()
        try:
            seconds = float(value)
        except ValueError:
            parts = _DURATION_PART.findall(value)
            if not parts or "".join(number + unit for number, unit in parts) != value:
                raise ConfigError(
                    f"{setting} {text!r}: expected a duration such as 90s, 30m or 2h"
                ) from None
            seconds = sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    if seconds < 0:
        raise ConfigError(f"{setting} {text!r}: must not be negative")
    return seconds


@dataclass(frozen=True)
class DirectSettings:
    """How a runner sends a job's lines; kept in the job folder so a restart sends alike."""

    base_url: str
    concurrency: int = DEFAULT_CONCURRENCY
    rpm: int | None = None  # requests per minute, None: unlimited
    tpm: int | None = None  # estimated tokens per minute, None: unlimited
    give_up_after: float = DEFAULT_GIVE_UP_AFTER  # seconds without any answer
    timeout: float = 60.0  # httpx's timeout of one request, seconds
    # The profile's network policy (`netpolicy.NetworkPolicy` fields): tries, waits,
    # Retry-After cap, deadline and answer ceiling, applied to every request.
    network: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 1 <= self.concurrency <= MAX_CONCURRENCY:
            raise ConfigError(f"concurrency {self.concurrency}: must be 1 to {MAX_CONCURRENCY}")
        for name in ("rpm", "tpm"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ConfigError(f"{name} {value}: must be 1 or more")
        if self.give_up_after <= 0:
            raise ConfigError("give_up_after: must be more than 0 seconds")

    @classmethod
    def from_profile(cls, profile: Any) -> DirectSettings:
        where = f"profile {profile.name!r}"
        give_up = getattr(profile, "give_up_after", None)
        try:
            return cls(
                base_url=profile.effective_base_url,
                concurrency=getattr(profile, "concurrency", None) or DEFAULT_CONCURRENCY,
                rpm=getattr(profile, "rpm", None),
                tpm=getattr(profile, "tpm", None),
                give_up_after=(
                    DEFAULT_GIVE_UP_AFTER
                    if give_up is None
                    else parse_duration(give_up, setting="give_up_after")
                ),
                timeout=profile.timeout,
                network=asdict(NetworkPolicy.from_profile(profile)),
            )
        except ConfigError as error:
            raise ConfigError(f"{where}: {error}") from None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DirectSettings:
        return cls(**data)
