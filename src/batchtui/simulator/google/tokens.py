"""OAuth2 access tokens: the token endpoint's JWT-bearer grant, and checking Bearer tokens.

Grant (RFC 7523, as Google's `https://oauth2.googleapis.com/token` does it, providers.md §5.1):
`POST /token` with form `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT`.
The JWT must be RS256, signed by a known service account (`iss`), for Google's token URL or
this simulator's `/token` (`aud`), carry a `scope`, and be short-lived and current (`exp` at
most an hour after `iat`, not expired). Refusals are OAuth's 400 `{"error",
"error_description"}` with Google's wording, which `google-auth` raises as a RefreshError.

Access tokens are `ya29.sim.<claims>.<HMAC>`: self-contained and signed with a secret kept in
the data dir, so they stay valid across a restart and need no token table. Their lifetime is
`--token-lifetime` (seconds), short in tests to prove clients refresh.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from batchtui.core.fsutil import atomic_write_bytes
from batchtui.core.paths import ensure_private_dir
from batchtui.simulator.google.credentials import AccountRegistry
from batchtui.simulator.http_types import JsonAnswer

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
TOKEN_PREFIX = "ya29.sim."
MAX_ASSERTION_SECONDS = 3600
CLOCK_SKEW_SECONDS = 300
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
BAD_TIMES = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
    "timeframe. Check your iat and exp values in the JWT claim."
)


class TokenCheck(Enum):
    VALID = "valid"
    MISSING = "missing"
    INVALID = "invalid"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Grant:
    account: str
    scopes: frozenset[str]


class _Refused(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.answer = JsonAnswer(400, {"error": error, "error_description": description})


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class TokenService:
    def __init__(
        self,
        directory: Path,
        accounts: AccountRegistry,
        lifetime: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.accounts = accounts
        self.lifetime = lifetime
        self.clock = clock
        self._secret = _load_secret(directory / "token-secret")

    # -- the token endpoint ------------------------------------------------------------------

    def exchange(self, form: Mapping[str, str], own_token_url: str) -> JsonAnswer:
        """The token endpoint's answer to one grant request."""
        try:
            grant = self._verify_grant(form, own_token_url)
        except _Refused as refused:
            return refused.answer
        return JsonAnswer(200, self.issue(grant), {"Cache-Control": "no-store"})

    def issue(self, grant: Grant) -> dict[str, Any]:
        expires = self.clock() + self.lifetime
        claims = {"sub": grant.account, "scope": " ".join(sorted(grant.scopes)), "exp": expires}
        payload = _b64encode(json.dumps(claims, separators=(",", ":")).encode())
        token = TOKEN_PREFIX + payload + "." + self._sign(payload)
        return {"access_token": token, "expires_in": self.lifetime, "token_type": "Bearer"}

    def _verify_grant(self, form: Mapping[str, str], own_token_url: str) -> Grant:
        grant_type = form.get("grant_type")
        if grant_type != JWT_BEARER:
            raise _Refused("unsupported_grant_type", f"Invalid grant_type: {grant_type or ''}")
        parts = (form.get("assertion") or "").split(".")
        try:
            if len(parts) != 3:
                raise ValueError
            header = json.loads(_b64decode(parts[0]))
            claims = json.loads(_b64decode(parts[1]))
            signature = _b64decode(parts[2])
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise _Refused("invalid_grant", "Invalid JWT: not a signed JWT.") from None
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise _Refused("invalid_grant", "Invalid JWT: not a signed JWT.")
        if header.get("alg") != "RS256":
            raise _Refused("invalid_grant", f"Invalid JWT: alg {header.get('alg')!r} is not RS256.")
        account = self.accounts.find(str(claims.get("iss")))
        if account is None:
            raise _Refused("invalid_grant", "Invalid grant: account not found")
        signed = f"{parts[0]}.{parts[1]}".encode()
        try:
            account.public_key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise _Refused("invalid_grant", "Invalid JWT Signature.") from None
        if claims.get("aud") not in (GOOGLE_TOKEN_URL, own_token_url):
            raise _Refused("invalid_grant", f"Invalid JWT: audience {claims.get('aud')!r}.")
        iat, exp, now = claims.get("iat"), claims.get("exp"), self.clock()
        if not (
            isinstance(iat, int | float)
            and isinstance(exp, int | float)
            and iat - CLOCK_SKEW_SECONDS <= now < exp
            and exp - iat <= MAX_ASSERTION_SECONDS
        ):
            raise _Refused("invalid_grant", BAD_TIMES)
        scopes = frozenset(str(claims.get("scope") or "").split())
        if not scopes:
            raise _Refused("invalid_scope", "Invalid oauth scope or ID token audience provided.")
        return Grant(account.email, scopes)

    # -- Bearer tokens on API calls ----------------------------------------------------------

    def check(self, authorization: str | None) -> tuple[TokenCheck, Grant | None]:
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return TokenCheck.MISSING, None
        payload, _, signature = token.removeprefix(TOKEN_PREFIX).partition(".")
        if not token.startswith(TOKEN_PREFIX) or not hmac.compare_digest(
            signature, self._sign(payload)
        ):
            return TokenCheck.INVALID, None
        claims = json.loads(_b64decode(payload))
        if self.clock() >= claims["exp"]:
            return TokenCheck.EXPIRED, None
        return TokenCheck.VALID, Grant(claims["sub"], frozenset(claims["scope"].split()))

    def _sign(self, payload: str) -> str:
        return _b64encode(hmac.new(self._secret, payload.encode(), hashlib.sha256).digest())


def _load_secret(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        secret = secrets.token_bytes(32)
        ensure_private_dir(path.parent)
        atomic_write_bytes(path, secret, mode=0o600)
        return secret
