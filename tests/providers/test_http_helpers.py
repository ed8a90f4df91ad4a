"""The HTTP layer's pure helpers: Retry-After, redaction, loopback detection."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from batchtui.core.providers.http import (
    REDACTED,
    Redactor,
    is_loopback_host,
    is_secret_name,
    loopback_mounts,
    one_line,
    parse_retry_after,
)

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("1", 1.0),
        (" 2.5 ", 2.5),
        ("-3", 0.0),
        ("Thu, 01 Jan 2026 12:00:30 GMT", 30.0),
        ("Thu, 01 Jan 2026 11:00:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == expected


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "x-api-key",
        "api-key",
        "X-Portkey-Api-Key",
        "X-Auth-Token",
        "my_secret",
        "x-refreshtoken",
        "x-portkey-vertex-service-account-json",
        "x-portkey-config",
        "key",
    ],
)
def test_secret_header_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name", ["Content-Type", "OpenAI-Organization", "x-portkey-provider", "x-keyword"]
)
def test_ordinary_header_names(name: str) -> None:
    assert not is_secret_name(name)


def test_redactor_hides_secret_headers_values_and_query_parameters() -> None:
    redactor = Redactor(["sk-live-123456", None, ""])
    headers = redactor.headers(
        {
            "Authorization": "Bearer sk-live-123456",
            "X-Note": "key is sk-live-123456",
            "Accept": "*/*",
        }
    )
    assert headers == {"Authorization": REDACTED, "X-Note": f"key is {REDACTED}", "Accept": "*/*"}
    url = redactor.url("https://h.example/v1beta/files?key=AIzaSECRET&alt=media")
    assert "AIzaSECRET" not in url and "alt=media" in url
    assert redactor.text("bad key sk-live-123456!") == f"bad key {REDACTED}!"
    assert Redactor(["a/b+c"]).text("GET /batches/a%2Fb%2Bc") == f"GET /batches/{REDACTED}"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.4.5.6", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("api.localhost", True),
        ("10.0.0.1", False),
        ("api.openai.com", False),
        ("localhost.example.com", False),
    ],
)
def test_is_loopback_host(host: str, expected: bool) -> None:
    assert is_loopback_host(host) is expected


def test_loopback_mounts_cover_the_usual_names_and_the_base_url_host() -> None:
    mounts = loopback_mounts("http://127.0.0.9:8000/v1")
    assert set(mounts) >= {"all://localhost", "all://127.0.0.1", "all://[::1]", "all://127.0.0.9"}
    assert all(value is None for value in mounts.values())
    assert "all://api.openai.com" not in loopback_mounts("https://api.openai.com/v1")


def test_loopback_mounts_beat_environment_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx picks the loopback mount (direct) over the proxy taken from the environment."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = httpx.AsyncClient(trust_env=True, mounts=loopback_mounts("http://127.0.0.7:1/v1"))
    direct = client._transport
    for url in (
        "http://127.0.0.1:5/x",
        "http://localhost:5/x",
        "http://[::1]:5/",
        "http://127.0.0.7:1/",
    ):
        assert client._transport_for_url(httpx.URL(url)) is direct, url
    assert client._transport_for_url(httpx.URL("https://api.openai.com/v1")) is not direct


def test_one_line_collapses_and_cuts() -> None:
    assert one_line("a\n  b\tc") == "a b c"
    assert one_line("x" * 50, limit=10) == "xxxxxxx..."
