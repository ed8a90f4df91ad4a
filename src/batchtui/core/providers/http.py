"""HTTP machinery shared by every HTTP provider: client, retries, error mapping, downloads.

`ApiClient` wraps one `httpx.AsyncClient` for one profile. It knows nothing of batches:
a provider hands it routes (`/batches/<quoted id>`) and gets JSON, streamed bytes or a
file on disk back, or a `batchtui.core.errors` exception whose message is one line that
names the profile and the call and never contains a secret.

It owns the network I/O policy (`netpolicy.NetworkPolicy`, from the profile's settings):
every JSON call ends within its deadline, retries and waits included; answers are read
within a ceiling and decoded a bounded piece at a time (`bodies.BodyDecoder`); file
content has a progress floor instead of a deadline and is resumed with Range, counting
only tries that got further than any before; `Retry-After` is honoured up to a cap, and
long waits and lists cut short are announced (`netpolicy.announce`).

Retry rules: idempotent calls retry with exponential backoff and jitter (tenacity) on
429, 408, 5xx, dropped connections and bodies cut short, honouring `Retry-After` (fewer
tries when nothing listens at all); `submit_json` (create) is resent only when the server
certainly did not act (429, never connected), and otherwise says whether a failure may
still have created something. Any call takes `retry=False` to be tried exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import errno
import ipaddress
import json
import logging
import math
import os
import re
import socket
import ssl
import sys
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, TypeVar
from urllib.parse import quote

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    wait_random_exponential,
)

from batchtui.core.errors import (
    AmbiguousSubmitError,
    AuthenticationError,
    BatchtuiError,
    NotFoundError,
    ProviderError,
    ProviderUnreachable,
)
from batchtui.core.providers.bodies import (
    ACCEPT_ENCODING,
    BodyDecoder,
    BodyTooLarge,
    LineJoiner,
    UnsupportedEncoding,
)
from batchtui.core.providers.netpolicy import NetworkPolicy, announce
from batchtui.core.remote_output import RangeAnswer

LOGGER = logging.getLogger("batchtui.http")

T = TypeVar("T")

REDACTED = "<redacted>"

# Header names that always carry credentials (Portkey's config JSON can embed provider keys).
SECRET_HEADER_NAMES = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "x-portkey-api-key",
        "x-portkey-config",
        "x-portkey-vertex-service-account-json",
        "x-goog-api-key",
        "cookie",
        "set-cookie",
    }
)
# Any other name with one of these words (as a `-`/`_` separated part: `x-portkey-provider`
# is not a key) is treated as a secret too.
SECRET_NAME_WORDS = frozenset({"key", "apikey", "token", "secret", "password", "credentials"})
_NAME_WORD_SPLIT = re.compile(r"[-_.\s]+")

# How much of an error body is read and shown: enough for any JSON error envelope.
_ERROR_BODY_LIMIT = 64 * 1024
_MESSAGE_LIMIT = 300

_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    lowered = name.strip().lower()
    if lowered in SECRET_HEADER_NAMES:
        return True
    words = _NAME_WORD_SPLIT.split(lowered)
    return any(word in SECRET_NAME_WORDS or "token" in word or "secret" in word for word in words)


class Redactor:
    """Removes known secret values from any text before it is shown or logged."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        known = {secret for secret in secrets if secret}
        # Also as it would appear inside a URL; longest first, so a secret containing
        # another is removed whole.
        known |= {quote(secret, safe="") for secret in known}
        self._secrets = sorted(known, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, REDACTED)
        return value

    def headers(self, headers: Mapping[str, str] | httpx.Headers) -> dict[str, str]:
        return {
            name: REDACTED if is_secret_name(name) else self.text(value)
            for name, value in headers.items()
        }

    def url(self, url: httpx.URL | str) -> str:
        url = httpx.URL(str(url))
        if url.params:
            params = [
                (name, REDACTED if is_secret_name(name) else value)
                for name, value in url.params.multi_items()
            ]
            url = url.copy_with(params=params)
        return self.text(str(url))


def one_line(text: str, limit: int = _MESSAGE_LIMIT) -> str:
    """Whitespace collapsed, cut to `limit` characters: fit for a one-line message."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- client ------------------------------------------------------------------------------


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def loopback_mounts(base_url: str) -> dict[str, None]:
    """httpx mounts that send loopback traffic direct, whatever HTTP(S)_PROXY says.

    A `None` mount means "the default transport, no proxy". httpx mounts match host
    names, not address ranges, so the base URL's own host is added when it is loopback.
    """
    hosts = {"localhost", "127.0.0.1", "[::1]"}
    host = httpx.URL(base_url).host
    if host and is_loopback_host(host):
        hosts.add(f"[{host}]" if ":" in host else host)
    return {f"all://{host}": None for host in sorted(hosts)}


def build_async_client(
    *, base_url: str, headers: Mapping[str, str], timeout: float
) -> httpx.AsyncClient:
    """A client for one profile. TLS is always verified (SSL_CERT_FILE / SSL_CERT_DIR honoured);
    HTTPS_PROXY / HTTP_PROXY / NO_PROXY are honoured except for loopback addresses."""
    from batchtui import __version__

    return httpx.AsyncClient(
        base_url=base_url,
        # Only encodings decoded a bounded piece at a time (see `bodies.BodyDecoder`).
        headers={
            "User-Agent": f"batchtui/{__version__}",
            "Accept-Encoding": ACCEPT_ENCODING,
            **headers,
        },
        timeout=httpx.Timeout(timeout, connect=min(timeout, 30.0)),
        trust_env=True,
        mounts=loopback_mounts(base_url),
        # A redirect could carry custom credential headers to another host: refuse instead.
        follow_redirects=False,
    )


# --- retries -----------------------------------------------------------------------------

# The policy once held only the retry settings; the name stays for callers that tune those.
RetryPolicy = NetworkPolicy


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        if math.isnan(seconds):
            return None
        return max(seconds, 0.0)  # `1e999` is infinite: the cap applies
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


# Failures that happen before a request leaves: the server cannot have acted on it.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)


class CannotConnect(ProviderUnreachable):
    """No connection could be made: the request never left."""


class LongerThanAnnounced(ProviderError):
    """File content ran past the size the provider or the server announced."""


class DeadlinePassed(httpx.TimeoutException):
    """A call's overall deadline passed before its answer was complete."""


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, ProviderError) and exc.retryable


def _is_refused_unseen(exc: BaseException) -> bool:
    """A failure of a create the server certainly did not act on (never sent, or a 429)."""
    if isinstance(exc, AmbiguousSubmitError) or not isinstance(exc, ProviderError):
        return False
    return exc.retryable and (exc.status_code is None or exc.status_code == 429)


class CallClock:
    """The deadline of one call, retries included, in event-loop time.

    Time spent sending a request body (an upload) pushes the deadline back: a large file
    on a slow link is bounded by the write timeout and the progress of the upload, not
    by a deadline meant for waiting on answers.
    """

    def __init__(self, seconds: float | None) -> None:
        self.loop = asyncio.get_running_loop()
        self.seconds = seconds
        self.at = None if seconds is None else self.loop.time() + seconds
        self.gave_up_early = False  # the next try would have passed the deadline
        self._window: asyncio.Timeout | None = None
        self._sending_since: float | None = None

    def remaining(self) -> float | None:
        return None if self.at is None else self.at - self.loop.time()

    @contextlib.asynccontextmanager
    async def bound(self) -> AsyncIterator[None]:
        """Cancel what runs inside at the deadline (TimeoutError when it does)."""
        async with asyncio.timeout_at(self.at) as window:
            self._window = window
            try:
                yield
            finally:
                self._window = None
                self._sending_since = None

    async def trace(self, event: str, info: Mapping[str, Any]) -> None:
        """httpcore's trace hook: the request body's sending time does not count."""
        if self.at is None or self._window is None:
            return
        if event.endswith("send_request_body.started"):
            self._sending_since = self.loop.time()
            self._window.reschedule(None)
        elif event.endswith("send_request_body.complete") and self._sending_since is not None:
            self.at += self.loop.time() - self._sending_since
            self._sending_since = None
            self._window.reschedule(self.at)


# --- the client wrapper ------------------------------------------------------------------


@dataclass
class BodyChunk:
    """Bytes of a remote file starting at `offset`; `total` is the whole size when known."""

    offset: int
    data: bytes
    total: int | None


@dataclass
class _RangeBody:
    response: httpx.Response | None
    start: int
    total: int | None
    expected: int | None  # body length promised by Content-Length
    received: int = 0  # bytes off the wire (before decoding)


class ApiClient:
    """One profile's HTTP connection. `label` opens every message (`openai profile 'demo'`).

    Every call takes `retry=False` to be tried once (no retry, no resume): for a call whose
    failure the caller answers itself, e.g. by asking another route.
    """

    def __init__(
        self,
        *,
        label: str,
        base_url: str,
        headers: Mapping[str, str],
        secrets: Iterable[str | None],
        timeout: float,
        debug: bool = False,
        retry: NetworkPolicy | None = None,
    ) -> None:
        self.label = label
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.policy = retry or NetworkPolicy()
        self.retry = self.policy  # the older name
        self.deadline = self.policy.deadline_for(timeout)
        self.redactor = Redactor(
            [*secrets, *(value for name, value in headers.items() if is_secret_name(name))]
        )
        self.debug = debug
        if debug:
            enable_debug_logging()
        self.client = build_async_client(base_url=self.base_url, headers=headers, timeout=timeout)
        self._backoff = wait_random_exponential(
            multiplier=self.policy.initial_wait, max=self.policy.max_wait
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    # --- sending ---------------------------------------------------------------------

    async def _send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        call: str | None = None,
        clock: CallClock | None = None,
    ) -> httpx.Response:
        """One exchange within the call's deadline. Without `stream` the answer is read
        whole, within the ceilings (the response returned holds the decoded body);
        with it, only the head is waited for. Transport failures raise httpx errors
        (`DeadlinePassed` for the deadline); ceilings raise `ProviderError`."""
        call = call or f"{request.method} {request.url.path}"
        clock = clock or CallClock(self.deadline)
        request.extensions["trace"] = clock.trace
        started = time.monotonic()
        try:
            async with clock.bound():
                response = await self.client.send(request, stream=True)
                if not stream:
                    streamed = response
                    try:
                        response = await self._read_whole(streamed, call)
                    finally:
                        await streamed.aclose()
        except TimeoutError:
            if self.debug:
                self._log(request, f"deadline passed after {_ms(started)}")
            raise DeadlinePassed(f"deadline of {clock.seconds:g}s", request=request) from None
        except httpx.HTTPError as exc:
            if self.debug:
                self._log(request, f"failed after {_ms(started)}: {type(exc).__name__}")
            raise
        if self.debug:
            self._log(request, f"HTTP {response.status_code} in {_ms(started)}")
        return response

    async def _read_whole(self, response: httpx.Response, call: str) -> httpx.Response:
        """`response` with its body read within the ceilings (an error body: its start)."""
        success = response.is_success
        limit = self.policy.max_answer_bytes if success else _ERROR_BODY_LIMIT
        announced = _int_or_none(response.headers.get("Content-Length"))
        if success and announced is not None and announced > limit:
            detail = f"{announced:,} bytes announced, over {limit:,} (max_answer_bytes)"
            raise self._too_large(call, detail)
        body = await self._read_decoded(
            response, call, limit=limit, limit_name="max_answer_bytes", truncate=not success
        )
        headers = [
            (name, value)
            for name, value in response.headers.multi_items()
            if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=body,
            request=response.request,
            extensions=response.extensions,
        )

    async def _read_decoded(
        self,
        response: httpx.Response,
        call: str,
        *,
        limit: int,
        limit_name: str,
        truncate: bool = False,
    ) -> bytes:
        decoder = self._decoder(response, call, limit=limit, limit_name=limit_name)
        decoder.truncate = truncate
        parts = []
        try:
            async for raw in response.aiter_raw():
                parts.append(decoder.feed(raw))
                if decoder.full:
                    break
            parts.append(decoder.flush())
        except BodyTooLarge as exc:
            raise self._too_large(call, str(exc).removeprefix("the answer is over ")) from None
        except zlib.error:
            if truncate:
                return b"".join(parts)
            raise self.error(
                ProviderError, call, f"the answer's {decoder.encoding} data is corrupt"
            ) from None
        return b"".join(parts)

    def _decoder(
        self, response: httpx.Response, call: str, *, limit: int, limit_name: str
    ) -> BodyDecoder:
        try:
            return BodyDecoder(
                response.headers.get("Content-Encoding"),
                limit=limit,
                limit_name=limit_name,
                inflation_limit=self.policy.inflation_limit,
            )
        except UnsupportedEncoding as exc:
            raise self.error(ProviderError, call, str(exc)) from None

    def _too_large(self, call: str, detail: str) -> ProviderError:
        return self.error(ProviderError, call, f"the answer is too large: {detail}")

    def _log(self, request: httpx.Request, outcome: str) -> None:
        headers = self.redactor.headers(request.headers)
        LOGGER.debug(
            "%s %s -> %s; request headers: %s",
            request.method,
            self.redactor.url(request.url),
            outcome,
            json.dumps(headers),
        )

    # --- retries ---------------------------------------------------------------------

    def _retrying(
        self,
        *,
        retry_if: Callable[[BaseException], bool] = _is_retryable,
        clock: CallClock | None = None,
    ) -> AsyncRetrying:
        return AsyncRetrying(
            stop=lambda state: self._stop(state, clock),
            wait=self._wait,
            retry=retry_if_exception(retry_if),
            reraise=True,
            before_sleep=self._before_sleep,
        )

    def _stop(self, retry_state: RetryCallState, clock: CallClock | None = None) -> bool:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        limit = self.policy.attempts
        if isinstance(exc, CannotConnect):
            limit = min(limit, self.policy.connect_attempts)
        remaining = clock.remaining() if clock is not None else None
        if remaining is not None and retry_state.upcoming_sleep >= remaining:
            clock.gave_up_early = True  # type: ignore[union-attr]
            return True
        return retry_state.attempt_number >= limit

    def _wait(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, ProviderError) and exc.retry_after is not None:
            return min(exc.retry_after, self.policy.max_retry_after)
        return self._backoff(retry_state)

    def _before_sleep(self, retry_state: RetryCallState) -> None:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
        LOGGER.info(
            "retrying in %.1fs (attempt %d of %d): %s",
            wait,
            retry_state.attempt_number + 1,
            self.policy.attempts,
            exc,
        )
        if wait > self.policy.announce_wait:
            announce(f"{exc}; trying again in {wait:.0f}s")

    def _backoff_seconds(self, attempt_number: int) -> float:
        state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
        state.attempt_number = attempt_number
        return self._backoff(state)

    async def _run(
        self,
        attempt: Callable[[CallClock], Awaitable[T]],
        *,
        retry: bool = True,
        retry_if: Callable[[BaseException], bool] = _is_retryable,
    ) -> T:
        """`attempt` tried (and with `retry`, tried again) within one deadline."""
        clock = CallClock(self.deadline)
        if not retry:
            return await attempt(clock)
        try:
            async for retry_attempt in self._retrying(retry_if=retry_if, clock=clock):
                with retry_attempt:
                    return await attempt(clock)
        except ProviderError as exc:
            if not clock.gave_up_early:
                raise
            raise self.gave_up(exc, self._early_reason(exc, clock)) from None
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    def _early_reason(self, exc: ProviderError, clock: CallClock) -> str:
        deadline = f"the call's {clock.seconds:g}s deadline (deadline)"
        if exc.retry_after is not None:
            return (
                f"the server asks to wait {exc.retry_after:g}s (Retry-After), "
                f"which would pass {deadline}"
            )
        return f"another try would pass {deadline}"

    def gave_up(self, error: ProviderError, reason: str) -> ProviderError:
        """`error` again, with why no further try was made (never retryable)."""
        detail = error.message.removeprefix(f"{self.label}: {error.call}: ")
        return self.error(
            type(error),
            error.call,
            f"{detail}; gave up: {reason}",
            status_code=error.status_code,
            code=error.code,
            retry_after=error.retry_after,
        )

    # --- JSON calls ------------------------------------------------------------------

    async def request_json(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        files: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        call: str | None = None,
        retry: bool = True,
    ) -> Any:
        """The decoded JSON answer of a call; retried (with backoff) only when `idempotent`
        and `retry`. The whole call, retries included, ends within the deadline."""
        call = call or f"{method} {path}"

        async def attempt(clock: CallClock) -> Any:
            request = self.client.build_request(
                method, path, params=params, json=json_body, files=files, data=data
            )
            try:
                response = await self._send(request, call=call, clock=clock)
            except httpx.HTTPError as exc:
                raise self.transport_error(exc, call) from None
            if not response.is_success:
                raise self.status_error(response, call, response.content)
            return self.decode_json(response, call)

        return await self._run(attempt, retry=idempotent and retry)

    async def submit_json(self, path: str, *, json_body: Any, call: str | None = None) -> Any:
        """POST something that must not be created twice; resent only when refused unseen.

        Failures where the server certainly did not act (no connection, 429) are retried
        with backoff, like any idempotent call; a 4xx refusal raises the usual error;
        anything after the request may have been acted upon (a dropped or timed-out
        answer, 408, 409, 5xx, an unreadable 2xx) raises `AmbiguousSubmitError` at once, so
        the caller looks for what it tried to create before anything else.
        """
        call = call or f"POST {path}"

        async def attempt(clock: CallClock) -> Any:
            return await self._submit_once(path, json_body=json_body, call=call, clock=clock)

        return await self._run(attempt, retry_if=_is_refused_unseen)

    async def _submit_once(
        self, path: str, *, json_body: Any, call: str, clock: CallClock | None = None
    ) -> Any:
        request = self.client.build_request("POST", path, json=json_body)
        try:
            response = await self._send(request, call=call, clock=clock)
        except _NOT_SENT as exc:
            raise self.transport_error(exc, call) from None
        except httpx.HTTPError as exc:
            raise self.ambiguous(self.transport_error(exc, call)) from None
        except ProviderError as exc:  # an answer too large to read: it may say "created"
            raise self.ambiguous(exc) from None
        status = response.status_code
        if status in (408, 409) or status >= 500:
            raise self.ambiguous(self.status_error(response, call, response.content))
        if not response.is_success:
            raise self.status_error(response, call, response.content)
        try:
            return self.decode_json(response, call)
        except ProviderError as exc:
            raise self.ambiguous(exc) from None

    def ambiguous(self, error: ProviderError) -> AmbiguousSubmitError:
        detail = error.message.removeprefix(f"{self.label}: {error.call}: ")
        return AmbiguousSubmitError(
            f"{self.label}: {error.call}: outcome unknown, it may have been created: {detail}",
            provider=self.label,
            call=error.call,
            status_code=error.status_code,
            code=error.code,
        )

    # --- decoding and errors ---------------------------------------------------------

    def decode_json(self, response: httpx.Response, call: str) -> Any:
        body = response.content
        if _looks_like_html(response, body):
            raise self.error(
                ProviderError,
                call,
                f"the server answered with an HTML page (HTTP {response.status_code}), "
                "probably a proxy or gateway error",
                status_code=response.status_code,
            )
        try:
            value = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            what = "an empty answer" if not body.strip() else "an answer that is not valid JSON"
            reason = (
                "nested too deeply" if isinstance(exc, RecursionError) else f"{exc}; truncated?"
            )
            detail = "" if not body.strip() else f" ({reason})"
            raise self.error(
                ProviderError,
                call,
                f"the server sent {what} (HTTP {response.status_code}){detail}",
                status_code=response.status_code,
                # Mostly a body cut short on the way: asking again is worth it (for reads).
                retryable=isinstance(exc, json.JSONDecodeError),
            ) from None
        # Some servers report errors with a 200 and an error envelope (reference §6.6).
        if isinstance(value, dict) and value.get("error") and "id" not in value:
            code, message = _error_fields(value)
            cls = NotFoundError if code and "not_found" in code.lower() else ProviderError
            text = f"{code}: {message}" if code else message
            raise self.error(
                cls, call, f"error in a {response.status_code} answer: {text}", code=code
            )
        return value

    def status_error(self, response: httpx.Response, call: str, body: bytes) -> ProviderError:
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if _looks_like_html(response, body):
            detail = (
                f"the server answered with an HTML page (HTTP {status}), "
                "probably a proxy or gateway error"
            )
            code = None
        elif 300 <= status < 400:
            where = self.redactor.url(response.headers.get("Location", "")) or "elsewhere"
            detail = f"HTTP {status}: redirected to {where}; set base_url to the final address"
            code = None
        else:
            code, message = _error_fields(_json_or_none(body))
            if not message and body.strip():
                message = body.decode("utf-8", "replace")
            message = message or response.reason_phrase
            shown = code if code and code != str(status) else None  # LiteLLM: code "400"
            detail = f"HTTP {status} {shown}: {message}" if shown else f"HTTP {status}: {message}"
        if status in (401, 403):
            cls: type[ProviderError] = AuthenticationError
        elif status == 404:
            cls = NotFoundError
        else:
            cls = ProviderError
        return self.error(
            cls,
            call,
            detail,
            status_code=status,
            code=code,
            retryable=status in (408, 429) or status >= 500,
            retry_after=retry_after,
        )

    def transport_error(self, exc: httpx.HTTPError, call: str) -> ProviderError:
        if isinstance(exc, httpx.ProxyError):
            detail = f"the HTTP proxy refused the connection to {self.base_url} ({exc})"
            return self.error(ProviderUnreachable, call, detail)
        if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError):
            reason = _connect_failure_reason(exc)
            detail = f"cannot connect to {self.base_url} ({reason})"
            return self.error(CannotConnect, call, detail, retryable=True)
        if isinstance(exc, DeadlinePassed):
            detail = (
                f"no complete answer from {self.base_url} within the call's "
                f"{self.deadline:g}s deadline (deadline)"
            )
            return self.error(ProviderUnreachable, call, detail)
        if isinstance(exc, httpx.ReadTimeout):
            detail = f"no answer from {self.base_url} within {self.timeout:g}s (read timeout)"
        elif isinstance(exc, httpx.TimeoutException):
            detail = f"timed out talking to {self.base_url} ({type(exc).__name__})"
        elif isinstance(exc, httpx.RemoteProtocolError):
            detail = f"the connection to {self.base_url} dropped before the answer was complete"
        elif isinstance(exc, httpx.NetworkError):
            reason = _os_error_reason(exc) or str(exc) or type(exc).__name__
            detail = f"the connection to {self.base_url} failed ({reason})"
        else:
            detail = f"request to {self.base_url} failed ({type(exc).__name__}: {exc})"
        return self.error(ProviderUnreachable, call, detail, retryable=True)

    def error(
        self, cls: type[ProviderError], call: str, detail: str, **kwargs: Any
    ) -> ProviderError:
        message = self.redactor.text(one_line(f"{self.label}: {call}: {detail}", 500))
        return cls(message, provider=self.label, call=call, **kwargs)

    # --- streamed bodies -------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _open_range(
        self, path: str, *, offset: int, call: str, retry: bool = True
    ) -> AsyncIterator[_RangeBody]:
        """GET `path` from byte `offset`, as the server allows: the body's real start is
        in `start` (0 when the server ignored Range)."""
        response = await self._open_stream(path, offset=offset, call=call, retry=retry)
        try:
            if response.status_code == 416:
                total = _content_range(response.headers.get("Content-Range"))[2]
                await response.aclose()
                if total == offset:  # nothing left to fetch: the `.part` is whole
                    yield _RangeBody(response=None, start=offset, total=total, expected=0)
                    return
                response = await self._open_stream(path, offset=0, call=call, retry=retry)
            body = self._range_body(response, offset=offset, call=call)
            yield body
        finally:
            await response.aclose()

    def _range_body(self, response: httpx.Response, *, offset: int, call: str) -> _RangeBody:
        length = _int_or_none(response.headers.get("Content-Length"))
        encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
        if response.status_code != 206:
            # Content-Length counts encoded bytes when the server compressed anyway.
            return _RangeBody(
                response=response, start=0, total=None if encoded else length, expected=length
            )
        first, _last, total = _content_range(response.headers.get("Content-Range"))
        if first is None or first > offset:
            raise self.error(
                ProviderError,
                call,
                f"HTTP 206 with an unusable Content-Range "
                f"{response.headers.get('Content-Range')!r} for bytes={offset}-",
                status_code=206,
            )
        return _RangeBody(response=response, start=first, total=total, expected=length)

    async def _open_stream(
        self, path: str, *, offset: int, call: str, retry: bool = True
    ) -> httpx.Response:
        """The head of a streamed GET, within the deadline (the body is read later)."""
        # identity: a byte offset into a compressed body would not be an offset into the file.
        headers = {"Accept-Encoding": "identity"}
        if offset > 0:
            headers["Range"] = f"bytes={offset}-"

        async def attempt(clock: CallClock) -> httpx.Response:
            request = self.client.build_request("GET", path, headers=headers)
            try:
                response = await self._send(request, stream=True, call=call, clock=clock)
            except httpx.HTTPError as exc:
                raise self.transport_error(exc, call) from None
            if response.is_success or (response.status_code == 416 and offset > 0):
                return response
            try:
                async with clock.bound():
                    body = await self._read_decoded(
                        response, call, limit=_ERROR_BODY_LIMIT, limit_name="", truncate=True
                    )
            except (httpx.HTTPError, TimeoutError, ProviderError):
                body = b""
            finally:
                await response.aclose()
            raise self.status_error(response, call, body)

        return await self._run(attempt, retry=retry)

    async def _body_chunks(self, body: _RangeBody, call: str) -> AsyncIterator[bytes]:
        """The decoded bytes of a streamed body, dropped (a retryable error) when fewer than
        `min_progress_bytes` arrive within one `timeout` of waiting for them."""
        response = body.response
        if response is None:
            return
        decoder = self._decoder(
            response, call, limit=self.policy.max_inflated_bytes, limit_name="max_inflated_bytes"
        )
        if not decoder.encoded:
            decoder.limit = sys.maxsize  # a file's own size is checked against its total
        floor = self.policy.min_progress_bytes
        loop = asyncio.get_running_loop()
        raw = response.aiter_raw()
        window_bytes, window_wait = 0, 0.0
        try:
            while True:
                started = loop.time()
                try:
                    async with asyncio.timeout(max(self.timeout - window_wait, 0.001)):
                        piece = await anext(raw)
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    raise self._stalled(call, window_bytes) from None
                window_wait += loop.time() - started
                body.received += len(piece)
                data = decoder.feed(piece)
                window_bytes += len(piece)
                if window_bytes >= floor:
                    window_bytes, window_wait = 0, 0.0
                elif window_wait >= self.timeout:
                    raise self._stalled(call, window_bytes)
                if data:
                    yield data
            tail = decoder.flush()
            if tail:
                yield tail
        except httpx.HTTPError as exc:
            raise self.transport_error(exc, call) from None
        except BodyTooLarge as exc:
            raise self._too_large(call, str(exc).removeprefix("the answer is over ")) from None
        except zlib.error:
            raise self.error(
                ProviderError, call, f"the file's {decoder.encoding} data is corrupt"
            ) from None
        if body.expected is not None and body.received < body.expected:
            raise self.error(
                ProviderUnreachable,
                call,
                f"the answer stopped after {body.received} of {body.expected} bytes",
                retryable=True,
            )

    def _stalled(self, call: str, received: int) -> ProviderError:
        return self.error(
            ProviderUnreachable,
            call,
            f"the transfer stalled: {received:,} bytes in {self.timeout:g}s, under the "
            f"{self.policy.min_progress_bytes:,} of min_progress_bytes",
            retryable=True,
        )

    async def iter_chunks(
        self,
        path: str,
        *,
        offset: int = 0,
        call: str | None = None,
        size: int | None = None,
        retry: bool = True,
    ) -> AsyncIterator[BodyChunk]:
        """The bytes of a remote file from `offset`, resumed with Range after a dropped or
        stalled connection.

        A chunk's `offset` can be lower than asked when the server ignores Range: the
        caller decides whether to skip (lines) or start over (a `.part` file). `size` is
        the file's size as the provider announced it: a body running past it (or past the
        total the server gave) stops with an error. Only tries that got at least
        `min_progress_bytes` past the furthest byte seen before count as progress; after
        `attempts` tries in a row without, the download gives up.
        """
        call = call or f"GET {path}"
        position = offset
        best = offset  # the furthest byte any try reached
        failures = 0
        needed = max(self.policy.min_progress_bytes, 1)
        while True:
            # Opening is retried inside `_open_range`; only a body cut short is resumed here.
            async with self._open_range(path, offset=position, call=call, retry=retry) as body:
                position = body.start
                limit = _smallest(size, body.total)
                # An empty chunk first, so a caller learns where the body starts and the
                # total size even when there is nothing (more) to read.
                yield BodyChunk(offset=position, data=b"", total=body.total)
                try:
                    async for data in self._body_chunks(body, call):
                        if limit is not None and position + len(data) > limit:
                            raise self._overrun(call, limit)
                        yield BodyChunk(offset=position, data=data, total=body.total)
                        position += len(data)
                    return
                except ProviderError as exc:
                    failures = 0 if position - best >= needed else failures + 1
                    best = max(best, position)
                    if not retry or not exc.retryable:
                        raise
                    if failures >= self.policy.attempts:
                        where = f"byte {best:,}" + (f" of {limit:,}" if limit else "")
                        raise self.gave_up(
                            exc,
                            f"{failures} tries in a row without progress past {where} "
                            "(max_attempts)",
                        ) from None
                    LOGGER.info("resuming %s at byte %d after: %s", call, position, exc)
            if failures:
                wait = self._backoff_seconds(failures)
                if wait > self.policy.announce_wait:
                    announce(f"{self.label}: {call}: trying again in {wait:.0f}s")
                await asyncio.sleep(wait)

    def _overrun(self, call: str, limit: int) -> ProviderError:
        return self.error(
            LongerThanAnnounced, call, f"the server sent more than the file's {limit:,} bytes"
        )

    async def read_range(
        self,
        path: str,
        *,
        start: int | None,
        end: int,
        call: str | None = None,
        retry: bool = True,
    ) -> RangeAnswer:
        """One window of a remote file: bytes `start` to `end - 1`, or with `start=None`
        the last `end` bytes (`bytes=-N`). Head and body within the call's deadline, the
        body read no further than the range asked.

        A 200 (the server ignored Range) is closed unread: `ranged` is False. A 416 is an
        empty window at the end of a file whose size the answer gives. A 206 whose
        Content-Range is not the range asked, or whose body is longer or shorter than it
        says, is a one-line error.
        """
        asked = f"bytes={end_text(start, end)}"
        call = call or f"GET {path} ({asked})"

        async def attempt(clock: CallClock) -> RangeAnswer:
            headers = {"Accept-Encoding": "identity", "Range": asked}
            request = self.client.build_request("GET", path, headers=headers)
            try:
                response = await self._send(request, stream=True, call=call, clock=clock)
            except httpx.HTTPError as exc:
                raise self.transport_error(exc, call) from None
            try:
                async with clock.bound():
                    return await self._range_answer(response, start, end, asked, call)
            except TimeoutError:
                detail = f"no complete answer within the call's {self.deadline:g}s deadline"
                raise self.error(ProviderUnreachable, call, detail, retryable=True) from None
            except httpx.HTTPError as exc:
                raise self.transport_error(exc, call) from None
            finally:
                await response.aclose()

        return await self._run(attempt, retry=retry)

    async def _range_answer(
        self, response: httpx.Response, start: int | None, end: int, asked: str, call: str
    ) -> RangeAnswer:
        status = response.status_code
        content_range = response.headers.get("Content-Range")
        first, last, total = _content_range(content_range)
        if status == 416:
            if total is None:
                raise self.error(
                    ProviderError, call, f"HTTP 416 without the file's size for {asked}"
                )
            return RangeAnswer(b"", start if start is not None else total, total)
        if status == 200:
            length = _int_or_none(response.headers.get("Content-Length"))
            return RangeAnswer(b"", 0, length, ranged=False)
        if status != 206:
            body = await self._read_decoded(
                response, call, limit=_ERROR_BODY_LIMIT, limit_name="", truncate=True
            )
            raise self.status_error(response, call, body)

        def hostile(detail: str) -> ProviderError:
            return self.error(
                ProviderError, call, f"HTTP 206 for {asked} {detail}", status_code=206
            )

        if first is None or last is None or last < first:
            raise hostile(f"with an unusable Content-Range {content_range!r}")
        if total is not None and last >= total:
            raise hostile(f"with Content-Range {content_range!r} past the file's end")
        if start is None:
            expected_first = None if total is None else max(0, total - end)
            wrong = expected_first is not None and (first != expected_first or last != total - 1)
        else:
            wrong = first != start or last > end - 1
        if wrong:
            raise hostile(f"answered {content_range!r}, another range")
        if response.headers.get("Content-Encoding", "identity").lower() != "identity":
            raise hostile("compressed: its bytes are not the file's")
        length = last - first + 1
        announced = _int_or_none(response.headers.get("Content-Length"))
        if announced is not None and announced != length:
            raise hostile(f"with Content-Length {announced} for {content_range!r}")
        parts: list[bytes] = []
        received = 0
        async for piece in response.aiter_raw():
            received += len(piece)
            if received > length:
                raise hostile(f"with more than the {length:,} bytes of {content_range!r}")
            parts.append(piece)
        if received < length:
            raise self.error(
                ProviderUnreachable,
                call,
                f"the answer stopped after {received:,} of {length:,} bytes",
                retryable=True,
            )
        return RangeAnswer(b"".join(parts), first, total)

    async def iter_lines(
        self,
        path: str,
        *,
        call: str | None = None,
        size: int | None = None,
        retry: bool = True,
    ) -> AsyncIterator[bytes]:
        """Lines of a remote file without their line ending; stopping early stops the download.

        Long lines are joined in linear time (see `LineJoiner`).
        """
        delivered = 0
        joiner = LineJoiner()
        chunks_from = self.iter_chunks(path, call=call, size=size, retry=retry)
        async with contextlib.aclosing(chunks_from) as chunks:
            async for chunk in chunks:
                data = chunk.data
                if chunk.offset < delivered:  # the server restarted from an earlier byte
                    data = data[delivered - chunk.offset :]
                if not data:
                    continue
                delivered += len(data)
                for line in joiner.feed(data):
                    yield line
        for line in joiner.finish():
            yield line

    async def download(
        self,
        path: str,
        dest: Path,
        *,
        progress: Callable[[int, int | None], None] | None = None,
        call: str | None = None,
        size: int | None = None,
        retry: bool = True,
    ) -> Path:
        """Stream a remote file into `dest.part`, resuming it if present; rename when whole.

        A body longer than announced (`size`, or the server's own total) removes the
        `.part`: what it holds is not the file.
        """
        call = call or f"GET {path}"
        part = dest.with_name(dest.name + ".part")
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            handle: BinaryIO = open(part, "r+b" if part.exists() else "w+b")  # noqa: SIM115
        except OSError as exc:
            reason = exc.strerror or exc
            raise BatchtuiError(f"{part}: cannot write the download: {reason}") from None
        with handle:
            size_now = handle.seek(0, os.SEEK_END)
            total: int | None = None
            chunks_from = self.iter_chunks(path, offset=size_now, call=call, size=size, retry=retry)
            try:
                async with contextlib.aclosing(chunks_from) as chunks:
                    async for chunk in chunks:
                        total = chunk.total
                        if chunk.offset != handle.tell():
                            handle.seek(chunk.offset)
                            handle.truncate()
                        handle.write(chunk.data)
                        if progress:
                            progress(handle.tell(), total)
            except LongerThanAnnounced:
                handle.close()
                part.unlink(missing_ok=True)
                raise
            handle.flush()
            os.fsync(handle.fileno())
            size_now = handle.seek(0, os.SEEK_END)
        if total is not None and size_now != total:
            raise self.error(
                ProviderError,
                call,
                f"download incomplete: {size_now} of {total} bytes; kept {part} to resume",
            )
        if progress and total is None:
            progress(size_now, size_now)
        os.replace(part, dest)
        return dest


def end_text(start: int | None, end: int) -> str:
    """The Range spec of bytes `start` to `end - 1`, or of the last `end` bytes."""
    return f"-{end}" if start is None else f"{start}-{end - 1}"


def _smallest(*values: int | None) -> int | None:
    known = [value for value in values if value is not None]
    return min(known) if known else None


# --- helpers -----------------------------------------------------------------------------


def enable_debug_logging() -> None:
    """Show `batchtui.http` exchanges on stderr unless logging was already set up elsewhere."""
    LOGGER.setLevel(logging.DEBUG)
    if not LOGGER.hasHandlers():
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
        LOGGER.addHandler(handler)


def _ms(started: float) -> str:
    return f"{(time.monotonic() - started) * 1000:.0f}ms"


def _looks_like_html(response: httpx.Response, body: bytes) -> bool:
    content_type = response.headers.get("Content-Type", "").lower()
    start = body[:512].lstrip().lower()
    return "html" in content_type or start.startswith((b"<!doctype html", b"<html"))


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def _error_fields(value: Any) -> tuple[str | None, str]:
    """(code, message) from the error envelopes seen in the wild: OpenAI's
    `{"error": {"message", "type", "code"}}`, Google's `{"error": {"code": 400, "status"}}`,
    `{"error": "text"}` and FastAPI's `{"detail": ...}`."""
    if not isinstance(value, dict):
        return None, ""
    error = value.get("error", value)
    if isinstance(error, str):
        return None, error
    if not isinstance(error, dict):
        return None, ""
    code = next(
        (error[key] for key in ("code", "type", "status") if isinstance(error.get(key), str)),
        None,
    )
    message = error.get("message") or error.get("detail") or ""
    if not isinstance(message, str):
        message = json.dumps(message)
    return code or None, message


def _content_range(value: str | None) -> tuple[int | None, int | None, int | None]:
    match = _CONTENT_RANGE.match(value or "")
    if not match:
        return None, None, None
    first, last, total = match.groups()
    return _int_or_none(first), _int_or_none(last), _int_or_none(total)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _os_error_reason(exc: BaseException) -> str | None:
    """The most useful cause in an exception chain: connection refused, host unknown..."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return (
                f"TLS certificate not trusted: {current.verify_message}; "
                "point SSL_CERT_FILE at your site's CA bundle"
            )
        if isinstance(current, socket.gaierror):
            return "host name not found"
        if isinstance(current, OSError) and current.errno is not None:
            reasons = {
                errno.ECONNREFUSED: "connection refused",
                errno.ECONNRESET: "connection reset",
                errno.ENETUNREACH: "network unreachable",
                errno.EHOSTUNREACH: "host unreachable",
                errno.ETIMEDOUT: "timed out",
            }
            return reasons.get(current.errno, current.strerror or str(current))
        current = current.__cause__ or current.__context__
    return None


def _connect_failure_reason(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "timed out"
    reason = _os_error_reason(exc)
    if reason:
        return reason
    text = str(exc)
    if "refused" in text.lower() or "all connection attempts failed" in text.lower():
        return "connection refused"
    return text or type(exc).__name__
