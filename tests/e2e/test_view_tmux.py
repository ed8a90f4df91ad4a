"""`batchtui view FILE` in a real terminal (tmux at 80x24): search, n, copy, the pager.

Copying is checked where it lands: tmux (with `set-clipboard on`) takes the OSC 52 write
into its own paste buffer. The pager is a small script named by $PAGER that keeps what it
was given, run while the viewer is suspended.
"""

from __future__ import annotations

import json
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


def answer(n: int) -> str:
    return f"Answer {n}: the capital of country {n} is city {n * 3}."


def result_line(n: int) -> dict:
    if n % 7 == 3:
        body = {"error": {"message": f"Invalid value in request {n}.", "code": "invalid_value"}}
        response = {"status_code": 400, "body": body}
    else:
        choice = {"message": {"role": "assistant", "content": answer(n)}, "finish_reason": "stop"}
        response = {"status_code": 200, "body": {"choices": [choice]}}
    return {
        "id": f"batch_req_{n}",
        "custom_id": f"req-{n:05d}",
        "response": response,
        "error": None,
    }


def input_line(n: int) -> dict:
    question = {"role": "user", "content": f"What is the capital of country {n}?"}
    messages = [{"role": "system", "content": "One sentence."}, question]
    return {
        "custom_id": f"req-{n:05d}",
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": "gpt-4o-mini", "messages": messages},
    }


def write_jsonl(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_view_search_next_copy_and_pager(tmux: Tmux, tmp_path: Path) -> None:
    output = write_jsonl(tmp_path / "output.jsonl", [result_line(n) for n in range(1, 61)])
    inputs = write_jsonl(tmp_path / "input.jsonl", [input_line(n) for n in range(1, 61)])
    received = tmp_path / "pager-got.json"
    pager = tmp_path / "pager.sh"
    pager.write_text(f'#!/bin/sh\ncat "$1" > {received}.part && mv {received}.part {received}\n')
    pager.chmod(0o755)
    env = base_env()
    env["PAGER"] = str(pager)
    tmux.start(f"{BATCHTUI} view {output} --input {inputs}", env)
    tmux.run("set-option", "-g", "set-clipboard", "on")
    tmux.wait_for("60 records")

    # "city 3" is in the answers of records 1, 11, 12 and 13 (record 10 failed).
    tmux.keys("/", "city 3", "Enter")
    tmux.wait_for("match 1 of 4")
    tmux.keys("n")
    screen = tmux.wait_for("match 2 of 4")
    assert "req-00011  ✔ ok" in screen
    tmux.keys("N", "N")
    tmux.wait_for(lambda text: "match 4 of 4" in text and "wrapped" in text)

    # Prompts are searched too: only record 7's prompt asks about "country 7?".
    tmux.keys("/", r"country 7\?", "Enter")
    screen = tmux.wait_for("match 1 of 1")
    assert "req-00007  ✔ ok" in screen

    tmux.keys("y")
    tmux.wait_for("copied the answer of req-00007")
    assert tmux.run("show-buffer").stdout == answer(7)

    tmux.keys("e")
    deadline_screen = tmux.wait_for(lambda _text: received.exists(), timeout=15)
    assert deadline_screen is not None
    document = json.loads(received.read_text())
    assert document["custom_id"] == "req-00007"
    assert document["request"]["body"]["messages"][1]["content"].endswith("country 7?")
    assert document["result"]["response"]["status_code"] == 200
    tmux.wait_for("req-00007  ✔ ok")  # the viewer is back after the pager
    tmux.keys("q")
    tmux.wait_for("EXITED=0", timeout=10)
