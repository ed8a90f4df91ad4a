"""Keys as a terminal delivers them: a burst of typed keys and a bracketed paste land in
the field focused when they were sent, in the real `batchtui` under tmux."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.cli import BATCHTUI
from helpers.tmux import Tmux, base_env, tmux_server

pytestmark = [pytest.mark.tmux, pytest.mark.slow]


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    with tmux_server() as session:
        yield session


def field(screen: str, label: str) -> str:
    """The value shown after `label` in the compose form."""
    match = re.search(rf"^ {re.escape(label)}\s+(.*?)\s*$", screen, re.MULTILINE)
    assert match is not None, f"no {label!r} row:\n{screen}"
    return match[1]


def start_compose(tmux: Tmux, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[profiles.p]\nkind = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n')
    env = base_env()
    env.update(TERM="screen", BATCHTUI_CONFIG=str(config))
    tmux.start(str(BATCHTUI), env)
    tmux.wait_for("No jobs yet")
    tmux.keys("n")
    tmux.wait_for("Compose a batch input")


def burst(tmux: Tmux, *keys: str) -> None:
    """All keys in one `send-keys`: they reach the terminal in one write."""
    done = tmux.run("send-keys", "-t", tmux.session, *keys)
    assert done.returncode == 0, done.stderr


def paste(tmux: Tmux, text: str) -> None:
    tmux.run("set-buffer", "--", text)
    done = tmux.run("paste-buffer", "-p", "-t", tmux.session)  # bracketed, as terminals paste
    assert done.returncode == 0, done.stderr


def test_a_burst_of_keys_with_tabs_fills_each_field(tmux: Tmux, tmp_path: Path) -> None:
    start_compose(tmux, tmp_path)
    # dataset, (format), system, user, (custom_id), model, (endpoint), max tokens, temperature
    burst(tmux, "data.csv", "Tab", "Tab", "Be exact.", "Tab", "Q: {q}", "Tab", "Tab")
    burst(tmux, "gpt-x", "Tab", "Tab", "12", "Tab", "0.5")
    screen = tmux.wait_for(lambda text: "0.5" in text)
    assert field(screen, "dataset") == "data.csv"
    assert field(screen, "system") == "Be exact."
    assert field(screen, "user") == "Q: {q}"
    assert field(screen, "model") == "gpt-x"
    assert field(screen, "max tokens") == "12"
    assert field(screen, "temperature") == "0.5"


def test_bracketed_pastes_between_tabs_land_whole_in_their_fields(
    tmux: Tmux,
    tmp_path: Path,
) -> None:
    start_compose(tmux, tmp_path)
    burst(tmux, "Tab", "Tab")  # to the system prompt
    paste(tmux, "Be brief,\nplease\tnow")
    burst(tmux, "Tab")
    paste(tmux, "Summarise: {text}")
    burst(tmux, "Tab", "Tab")
    paste(tmux, "my-model-7")
    screen = tmux.wait_for(lambda text: "my-model-7" in text)
    assert field(screen, "system") == "Be brief, please now"  # every line, tabs as spaces
    assert field(screen, "user") == "Summarise: {text}"
    assert field(screen, "model") == "my-model-7"
