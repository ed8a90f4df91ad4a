"""`batchtui doctor`: the terminal, tmux, network and paths, as a user over SSH needs them."""

from __future__ import annotations

import os
from pathlib import Path

from .conftest import CLI, KEY_ENV, cli_env


def findings(cli: CLI, **env: str) -> dict[str, dict[str, str]]:
    done = cli("doctor", "--json", env=cli_env(**env))
    assert done.code == 0, done.stderr
    return {f"{item['section']}.{item['name']}": item for item in done.json()}


def test_sixteen_colour_terminal_gets_the_ansi_theme_and_advice(cli: CLI) -> None:
    found = findings(cli, TERM="screen", COLORTERM="", SSH_CONNECTION="10.1.2.3 5000 10.0.0.1 22")
    assert found["terminal.colours"]["value"] == "16 (standard)"
    assert "tmux-256color" in found["terminal.colours"]["advice"]
    assert found["terminal.TUI theme"]["value"].startswith("ansi-dark")
    assert found["terminal.SSH"]["value"] == "from 10.1.2.3"
    assert "TEXTUAL_FPS=15" in found["terminal.TEXTUAL_FPS"]["advice"]


def test_truecolour_terminal_and_a_configured_theme(cli: CLI, tmp_path: Path) -> None:
    config = Path(os.environ["BATCHTUI_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[settings]\ntheme = "gruvbox"\n')
    found = findings(cli, TERM="xterm-256color", COLORTERM="truecolor")
    assert found["terminal.colours"]["value"] == "truecolor"
    assert found["terminal.colours"]["advice"] == ""
    assert found["terminal.TUI theme"]["value"] == "gruvbox"


def test_proxy_passwords_and_keys_are_never_shown(cli: CLI, sim_profile) -> None:
    sim_profile("http://127.0.0.1:9/v1")
    done = cli(
        "doctor",
        env=cli_env(HTTPS_PROXY="http://alice:hunter2@proxy.example:3128", NO_PROXY=".internal"),
    )
    assert done.code == 0, done.stderr
    assert "http://alice:***@proxy.example:3128" in done.stdout
    assert "hunter2" not in done.stdout
    assert f"key in ${KEY_ENV}" in done.stdout
    assert cli_env()[KEY_ENV] not in done.stdout


def test_paths_say_where_things_are_and_on_what(cli: CLI) -> None:
    found = findings(cli)
    registry = found["paths.registry"]["value"]
    assert registry.startswith(os.environ["BATCHTUI_DATA_DIR"])
    assert ", on " in registry
    assert found["paths.config"]["value"].startswith(os.environ["BATCHTUI_CONFIG"])
    assert found["profiles.profiles"]["value"] == "none"
