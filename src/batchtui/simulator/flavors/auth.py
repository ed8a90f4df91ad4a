"""Key checks shared by the flavours; each flavour words its own refusal."""

from __future__ import annotations

import hmac
from enum import Enum

from batchtui.simulator.http_types import IncomingRequest


class KeyCheck(Enum):
    ACCEPTED = "accepted"
    MISSING = "missing"
    WRONG = "wrong"


def bearer_token(request: IncomingRequest) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = (request.header("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def check_key(presented: str | None, expected: str | None) -> KeyCheck:
    """Compare in constant time; without an expected key every request is accepted."""
    if not expected:
        return KeyCheck.ACCEPTED
    if presented is None:
        return KeyCheck.MISSING
    if hmac.compare_digest(presented.encode(), expected.encode()):
        return KeyCheck.ACCEPTED
    return KeyCheck.WRONG
