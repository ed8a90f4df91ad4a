"""A secret in `headers` is kept like `api_key`: only in a private config, never shown.

A header named `Authorization` or `Proxy-Authorization`, or whose name contains `key`,
`token` or `secret` in any case, is a secret: a config.toml others can read that holds one
is refused (one line naming the file and the header), `profile show` redacts its value and
`--debug` logs never print it. Other headers stay visible and usable. Each row is a name.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from batchtui.core.config import is_secret_header

from .conftest import KEY_ENV, HostileServer, cli_env, run_cli

SECRET_NAMES = [
    "Authorization",
    "proxy-authorization",
    "X-Api-Key",
    "x-mykey",
    "KEYRING",
    "X-Session-Token",
    "x-access-tokens",
    "X-Client-SECRET",
    "clientsecret",
    "x-portkey-api-key",
    "x-portkey-virtual-key",
]
PLAIN_NAMES = ["x-portkey-provider", "X-Request-Source", "OpenAI-Beta"]


def write_config(path: Path, url: str, header: str, value: str, *, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "[profiles.p]\n"
        'kind = "openai"\n'
        f'base_url = "{url}"\n'
        f'api_key_env = "{KEY_ENV}"\n'
        "timeout = 5\n"
        f'headers = {{ "{header}" = "{value}" }}\n'
    )
    os.chmod(path, mode)


def config_file() -> Path:
    return Path(os.environ["BATCHTUI_CONFIG"])


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_rule_names_secrets(name: str) -> None:
    assert is_secret_header(name)


@pytest.mark.parametrize("name", PLAIN_NAMES)
def test_rule_leaves_plain_headers(name: str) -> None:
    assert not is_secret_header(name)


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_world_readable_config_with_a_secret_header_is_refused(name: str) -> None:
    canary = f"canary-{uuid.uuid4().hex}"
    path = config_file()
    write_config(path, "http://127.0.0.1:9/v1", name, canary, mode=0o644)

    for args in (("profile", "show", "p"), ("profile", "test", "p")):
        done = run_cli(*args)
        line = done.one_error_line()
        assert done.code != 0  # config errors exit like api_key's refusal
        assert str(path) in line and repr(name) in line and "chmod 600" in line
        assert canary not in done.out + done.err


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_secret_header_is_redacted_by_show_and_debug(
    name: str, hostile_server: HostileServer
) -> None:
    canary = f"canary-{uuid.uuid4().hex}"
    write_config(config_file(), hostile_server.url, name, canary, mode=0o600)
    hostile_server.answer("GET /v1/batches", {"object": "list", "data": [], "has_more": False})

    shown = run_cli("profile", "show", "p")
    assert shown.code == 0, shown.err
    assert f"header {name}" in shown.out and "redacted" in shown.out
    tested = run_cli("--debug", "profile", "test", "p", env=cli_env())
    assert tested.code == 0, tested.err
    assert "GET" in tested.err  # the exchange was logged
    for run in (shown, tested):
        assert canary not in run.out + run.err
    sent = [headers for _method, _path, headers in hostile_server.requests]
    assert any(canary in headers.values() for headers in sent)  # it was used


@pytest.mark.parametrize("name", PLAIN_NAMES)
def test_plain_header_in_a_shared_config_is_used_and_shown(
    name: str, hostile_server: HostileServer
) -> None:
    value = "visible-value"
    write_config(config_file(), hostile_server.url, name, value, mode=0o644)
    hostile_server.answer("GET /v1/batches", {"object": "list", "data": [], "has_more": False})

    shown = run_cli("profile", "show", "p")
    assert shown.code == 0, shown.err
    assert value in shown.out
    assert run_cli("profile", "test", "p").code == 0
