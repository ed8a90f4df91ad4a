"""Profiles, `--version`, `--debug` and `simulate` through the installed command."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

from batchtui import __version__

from .conftest import API_KEY, CLI, KEY_ENV, cli_env


def test_profile_add_list_show_remove(cli: CLI) -> None:
    added = cli(
        "profile", "add", "gw", "--kind", "openai", "--base-url", "https://gw.example/v1/",
        "--api-key-env", KEY_ENV, "--header", "x-portkey-api-key=pk-secret-123",
        "--header", "x-portkey-provider=openai", "--extra-body", 'metadata={"team": "nlp"}',
        "--extra-body", "priority=3", "--extra-body", "note=plain text", "--model", "gpt-x",
        "--timeout", "12",
    )  # fmt: skip
    assert added.code == 0, added.stderr
    config_path = Path(os.environ["BATCHTUI_CONFIG"])
    saved = tomllib.loads(config_path.read_text())["profiles"]["gw"]
    assert saved["base_url"] == "https://gw.example/v1"
    assert saved["extra_body"] == {"metadata": {"team": "nlp"}, "priority": 3, "note": "plain text"}
    assert saved["timeout"] == 12 and saved["model"] == "gpt-x"

    again = cli("profile", "add", "gw", "--kind", "openai")
    assert again.code == 2 and "--replace" in again.one_error_line()

    listed = cli("profile", "list").stdout
    assert "gw" in listed and f"${KEY_ENV} (set)" in listed
    shown = cli("profile", "show", "gw").stdout
    assert "pk-secret-123" not in shown and "redacted" in shown
    assert re.search(r"^header x-portkey-provider +openai$", shown, re.MULTILINE)

    assert cli("profile", "remove", "gw").code == 0
    assert "gw" not in tomllib.loads(config_path.read_text()).get("profiles", {})
    assert cli("profile", "show", "gw").code == 2


def test_profile_add_refuses_bad_values(cli: CLI) -> None:
    assert cli("profile", "add", "x", "--kind", "nosuch").code == 2
    bad_header = cli("profile", "add", "x", "--kind", "openai", "--header", "novalue")
    assert bad_header.code == 2 and "KEY=VALUE" in bad_header.one_error_line()
    assert cli("profile", "add", "x", "--kind", "openai", "--timeout", "-1").code == 2
    assert not Path(os.environ["BATCHTUI_CONFIG"]).exists()


def test_profile_test_reports_ok(cli: CLI, sim_profile, simulator) -> None:
    sim_profile(simulator.url)
    result = cli("profile", "test", "sim")
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("OK: profile 'sim' reached")


def test_debug_logs_http_exchanges_with_auth_redacted(cli: CLI, sim_profile, simulator) -> None:
    sim_profile(simulator.url)
    result = cli("--debug", "profile", "test", "sim")
    assert result.code == 0
    assert "GET" in result.stderr and "/batches" in result.stderr
    assert API_KEY not in result.stderr and API_KEY not in result.stdout


def test_version_and_help(cli: CLI) -> None:
    assert cli("--version").stdout.strip() == f"batchtui {__version__}"
    helped = cli("--help")
    assert helped.code == 0
    for command in ("profile", "validate", "submit", "jobs", "status", "watch", "cancel"):
        assert command in helped.stdout


def test_simulate_gets_every_argument(cli: CLI) -> None:
    helped = cli("simulate", "--help")
    assert helped.code == 0 and "--faults" in helped.stdout
    refused = cli("simulate", "--faults", "create:explode=1")
    assert refused.code == 2


def test_tui_refuses_without_a_terminal(cli: CLI) -> None:
    result = cli(env=cli_env())
    assert result.code == 2 and "needs a terminal" in result.one_error_line()
