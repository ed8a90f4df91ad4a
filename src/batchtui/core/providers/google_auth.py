"""OAuth2 access tokens for Google Cloud through google-auth, kept off the event loop.

Credentials come from the profile's `credentials` file (a service-account key or an
authorized-user file; its path is stored, never the key) or, without one, from
application default credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's ADC file, the
GCE metadata server). google-auth loads and refreshes with blocking HTTP calls, so both
run in a worker thread (`asyncio.to_thread`); one refresh at a time, shared by every call.
Its HTTP goes through httpx with batchtui's rules: proxies from the environment except for
loopback addresses, TLS always verified, no redirects.

`GoogleTokenAuth` is an `httpx.Auth` that puts a fresh `Authorization: Bearer` on each request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import stat
from collections.abc import AsyncGenerator, Mapping
from pathlib import Path
from typing import Any

import google.auth
import google.auth.exceptions
import google.auth.transport
import google.oauth2.credentials
import httpx
from google.oauth2 import service_account

from batchtui.core.errors import AuthenticationError, ConfigError, ProviderUnreachable
from batchtui.core.providers.http import Redactor, loopback_mounts, one_line

LOGGER = logging.getLogger("batchtui.providers.google_auth")

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"


def check_private_file(path: Path, *, setting: str) -> None:
    """Refuse a credentials file that others can read (a shared login node), like config keys."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigError(f"{setting}: {path}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"{setting}: {path}: cannot read: {exc.strerror or exc}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"{setting}: {path} holds a private key but others can read it; refusing to use it: "
            f"run `chmod 600 {path}`"
        )


class _Response(google.auth.transport.Response):
    """google-auth's transport response, over an httpx answer."""

    def __init__(self, response: httpx.Response) -> None:
        self._status = response.status_code
        self._headers = dict(response.headers)
        self._data = response.content

    @property
    def status(self) -> int:
        return self._status

    @property
    def headers(self) -> dict[str, str]:
        return self._headers

    @property
    def data(self) -> bytes:
        return self._data


class HttpxTransport(google.auth.transport.Request):
    """google-auth's transport request, sent with httpx (blocking: call it from a thread)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> _Response:
        try:
            with httpx.Client(
                trust_env=True,
                mounts=loopback_mounts(url),
                timeout=timeout or self.timeout,
                follow_redirects=False,
            ) as client:
                answer = client.request(method, url, content=body, headers=dict(headers or {}))
        except httpx.HTTPError as exc:
            raise google.auth.exceptions.TransportError(f"{type(exc).__name__}: {exc}") from exc
        return _Response(answer)


class GoogleCredentials:
    """One profile's Google credentials: loaded lazily, refreshed in a thread when stale."""

    def __init__(self, *, label: str, credentials_file: Path | None, timeout: float) -> None:
        self.label = label
        self.credentials_file = credentials_file
        self.timeout = timeout
        self._credentials: Any = None
        self._project: str | None = None
        self._lock = asyncio.Lock()
        self._redactor = Redactor()

    @property
    def project(self) -> str | None:
        """The project the credentials belong to, once loaded (None for some user credentials)."""
        return self._project

    async def load(self) -> None:
        """Read the credentials (ADC may probe the metadata server: in a thread)."""
        async with self._lock:
            if self._credentials is None:
                self._credentials, self._project = await asyncio.to_thread(self._load_blocking)

    async def token(self) -> str:
        """A valid access token, refreshed first when missing or about to expire."""
        await self.load()
        async with self._lock:
            if not self._credentials.valid:
                await asyncio.to_thread(self._refresh_blocking)
            return str(self._credentials.token)

    def _load_blocking(self) -> tuple[Any, str | None]:
        if self.credentials_file is not None:
            return self._load_file(self.credentials_file)
        try:
            return google.auth.default(
                scopes=[CLOUD_PLATFORM_SCOPE], request=HttpxTransport(self.timeout)
            )
        except google.auth.exceptions.GoogleAuthError as exc:
            raise ConfigError(
                f"{self.label}: no Google credentials found ({self._reason(exc)}): set "
                "credentials (profile add --credentials FILE), GOOGLE_APPLICATION_CREDENTIALS, "
                "or run `gcloud auth application-default login`"
            ) from None

    def _load_file(self, path: Path) -> tuple[Any, str | None]:
        """A service-account or authorized-user file, each through its own loader (a generic
        loader would accept any credential configuration, e.g. one that runs a command)."""
        setting = f"{self.label}: credentials"
        check_private_file(path, setting=setting)
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ConfigError(f"{setting}: {path}: not a JSON file ({self._reason(exc)})") from None
        kind = info.get("type") if isinstance(info, dict) else None
        try:
            if kind == "service_account":
                credentials = service_account.Credentials.from_service_account_info(
                    info, scopes=[CLOUD_PLATFORM_SCOPE]
                )
                return credentials, info.get("project_id")
            if kind == "authorized_user":
                credentials = google.oauth2.credentials.Credentials.from_authorized_user_info(
                    info, scopes=[CLOUD_PLATFORM_SCOPE]
                )
                return credentials, info.get("quota_project_id")
        except (google.auth.exceptions.GoogleAuthError, ValueError) as exc:
            raise ConfigError(
                f"{setting}: {path}: not a usable {kind} file ({self._reason(exc)})"
            ) from None
        raise ConfigError(
            f"{setting}: {path}: credentials of type {kind!r} are not supported here "
            "(service_account or authorized_user; others through GOOGLE_APPLICATION_CREDENTIALS)"
        )

    def _refresh_blocking(self) -> None:
        token_uri = getattr(self._credentials, "_token_uri", None) or "the token endpoint"
        call = f"token refresh (POST {token_uri})"
        # Logged from the worker thread: `--debug` shows where refreshes run.
        LOGGER.debug("%s: refreshing the Google access token", self.label)
        try:
            self._credentials.refresh(HttpxTransport(self.timeout))
        except google.auth.exceptions.TransportError as exc:
            raise ProviderUnreachable(
                f"{self.label}: {call}: {self._reason(exc)}",
                provider=self.label,
                call=call,
                retryable=True,
            ) from None
        except google.auth.exceptions.GoogleAuthError as exc:
            raise AuthenticationError(
                f"{self.label}: {call}: credentials refused: {self._reason(exc)}",
                provider=self.label,
                call=call,
            ) from None

    def _reason(self, exc: BaseException) -> str:
        # RefreshError's args are (message, response data): the message is enough.
        first = exc.args[0] if exc.args else type(exc).__name__
        return self._redactor.text(one_line(str(first), 300))


class GoogleTokenAuth(httpx.Auth):
    """httpx auth flow: `Authorization: Bearer <fresh token>` on every request."""

    def __init__(self, credentials: GoogleCredentials) -> None:
        self.credentials = credentials

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        request.headers["Authorization"] = f"Bearer {await self.credentials.token()}"
        yield request
