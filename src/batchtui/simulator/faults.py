"""Injected faults: the `--faults SPEC` grammar and a seeded random source.

SPEC is a comma-separated list of `[ROUTE:]KIND=RATE`, for example
`create:500=0.3,content:truncated=1,slow=0.05`.

- ROUTE names one group of API calls (see `ROUTES`); without it the rule applies to every call.
- KIND is what goes wrong (see `KINDS`); RATE is the probability from 0 to 1 (1 = always).
- Rules are tried in order for each request; the first one that fires wins.
- With `--seed N` the random draws repeat from run to run for the same sequence of requests.

When a fault happens matters for a client that must never create a batch twice:

- `429` (with `Retry-After: 1`), `500`, `503`, `html` (a 502 text/html proxy page) and `slow`
  (sleep, then answer normally) act *before* the call is performed: a failed create created
  nothing, and retrying it is safe.
- `reset` (the TCP connection is aborted with an RST) and `truncated` (a JSON body cut short;
  for file content, a full Content-Length with only part of the bytes before the connection
  closes) act *after* the call was performed: on `create` and `upload` the batch or file exists
  although the client never saw the answer.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

# `token`: the OAuth2 token endpoint of the Google APIs (see `google.tokens`); `realtime`:
# chat completions, completions, embeddings and responses (see `realtime`)
ROUTES = (
    "upload",
    "create",
    "retrieve",
    "list",
    "cancel",
    "content",
    "delete",
    "token",
    "realtime",
)
BEFORE_ACTION_KINDS = ("429", "500", "503", "html", "slow")
AFTER_ACTION_KINDS = ("reset", "truncated")
KINDS = BEFORE_ACTION_KINDS + AFTER_ACTION_KINDS


class FaultSpecError(ValueError):
    """The --faults value does not follow `[ROUTE:]KIND=RATE,...`."""


@dataclass(frozen=True)
class FaultRule:
    route: str | None  # None: every route
    kind: str
    rate: float

    def applies_to(self, route: str) -> bool:
        return self.route is None or self.route == route


def parse_fault_spec(spec: str | None) -> tuple[FaultRule, ...]:
    """Parse `[ROUTE:]KIND=RATE,...`; an empty or None spec means no faults."""
    if not spec or not spec.strip():
        return ()
    rules = []
    for raw_item in spec.split(","):
        item = raw_item.strip()
        if not item:
            continue
        target, equals, rate_text = item.partition("=")
        if not equals:
            raise FaultSpecError(f"fault {item!r}: expected [ROUTE:]KIND=RATE")
        route, colon, kind = target.strip().rpartition(":")
        route = route.strip() if colon else ""
        kind = kind.strip()
        if route and route not in ROUTES:
            raise FaultSpecError(
                f"fault {item!r}: unknown route {route!r} (one of {', '.join(ROUTES)})"
            )
        if kind not in KINDS:
            raise FaultSpecError(
                f"fault {item!r}: unknown kind {kind!r} (one of {', '.join(KINDS)})"
            )
        try:
            rate = float(rate_text)
        except ValueError:
            raise FaultSpecError(f"fault {item!r}: rate {rate_text!r} is not a number") from None
        if not 0.0 <= rate <= 1.0:
            raise FaultSpecError(f"fault {item!r}: rate must be between 0 and 1")
        rules.append(FaultRule(route=route or None, kind=kind, rate=rate))
    return tuple(rules)


class FaultInjector:
    """Decides, per request, which fault (if any) to inject. Thread-safe."""

    def __init__(self, rules: tuple[FaultRule, ...], seed: int | None = None) -> None:
        self.rules = rules
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def pick(self, route: str) -> str | None:
        """The fault kind for one request on `route`, or None for a normal answer."""
        with self._lock:
            for rule in self.rules:
                if not rule.applies_to(route):
                    continue
                # Always draw, even at rate 0 or 1, so the sequence depends only on the requests.
                if self._random.random() < rule.rate:
                    return rule.kind
        return None
