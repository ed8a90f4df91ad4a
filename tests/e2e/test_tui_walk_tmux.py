"""A new user's first hour without the CLI: the real `batchtui` in tmux at 80x24 with
TERM=screen, against the simulator: validate -> submit -> watch -> results -> search ->
export, asserting on what the terminal shows and on the exported file."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from batchtui.simulator import SimulatorHandle
from helpers.cli import BATCHTUI
from helpers.tmux import Tmux, base_env, tmux_server

pytestmark = [pytest.mark.tmux, pytest.mark.slow]


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    with tmux_server() as session:
        yield session


KEY_ENV = "BATCHTUI_WALK_KEY"
# The simulator answers with the prompt's first eight words; the marker is the eighth,
# past what a results row shows of an answer: on screen only once its record is shown whole.
MARKER = "ZanzibarXYZ"


def request(custom_id: str, prompt: str) -> str:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": prompt}]}
    line = {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions"}
    return json.dumps({**line, "body": body})


def test_validate_submit_watch_results_search_export(
    tmux: Tmux,
    simulator: SimulatorHandle,
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[settings]\ndownload_dir = "{out}"\n\n'
        f'[profiles.sim]\nkind = "openai"\nbase_url = "{simulator.url}"\n'
        f'api_key_env = "{KEY_ENV}"\npoll_interval = 1\n'
    )
    requests = tmp_path / "walk.jsonl"
    prompts = ["What is 2+2?", f"Islands harbours spices trading towns old capital {MARKER}", "Hi"]
    requests.write_text("".join(request(f"q-{n}", p) + "\n" for n, p in enumerate(prompts)))
    env = base_env()
    env.update(TERM="screen", BATCHTUI_CONFIG=str(config), **{KEY_ENV: "sk-walk-0123456789"})
    tmux.start(str(BATCHTUI), env)
    tmux.wait_for("No jobs yet")

    # Validate: v, the path, enter.
    tmux.keys("v")
    tmux.wait_for("Validate a JSONL file")
    tmux.run("send-keys", "-t", tmux.session, "-l", str(requests))
    tmux.keys("Enter")
    screen = tmux.wait_for("✔ valid", timeout=30)
    assert "requests 3 of" in screen and "Validate for sim" in screen, screen

    # Submit from the validate screen: the plan is shown and asked for once.
    tmux.keys("s")
    screen = tmux.wait_for("Submit walk.jsonl to sim?")
    assert "3 requests · model gpt-4o-mini" in screen and "goes as one batch" in screen
    tmux.keys("y")
    tmux.wait_for("Submitted walk.jsonl", timeout=30)

    # Watch: back on the job list, the job completes by itself.
    tmux.keys("Escape")
    screen = tmux.wait_for(lambda text: "walk.jsonl" in text and "✔ completed" in text, 60)

    # Results: the viewer opens on the job's records.
    tmux.keys("o")
    screen = tmux.wait_for(lambda text: "Results" in text and "3 records" in text, 30)
    assert MARKER not in screen

    # Search: / and the text; the record holding it is the one shown.
    tmux.keys("/")
    tmux.wait_for("search:")  # the prompt is open: the text goes into it
    tmux.run("send-keys", "-t", tmux.session, "-l", "Zanzibar")
    tmux.keys("Enter")
    tmux.wait_for(MARKER, timeout=30)

    # Export: one CSV row per request, into the configured download folder.
    tmux.keys("x")
    tmux.wait_for("rows exported to", timeout=45)
    [exported] = list(out.glob("batchtui-*/export.csv"))
    with exported.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["custom_id"] for row in rows) == ["q-0", "q-1", "q-2"]
    assert any(MARKER in " ".join(row.values()) for row in rows)

    tmux.keys("Escape", "q")
    tmux.wait_for("EXITED=0", timeout=10)
