"""Keys typed in one burst after `/` (one tmux `send-keys`, as a fast typist over SSH or a
paste delivers them) all land in the search of the real `batchtui view` at 80x24: the search
runs for the whole text and none of the record list's own keys in it acts (`e` would open
the pager, `c`/`y` copy, `d` say there is nothing to download)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.cli import BATCHTUI
from helpers.tmux import Tmux, base_env, tmux_server
from helpers.viewer import result_line, write_jsonl

pytestmark = [pytest.mark.tmux, pytest.mark.slow]


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    with tmux_server() as session:
        yield session


def test_search_typed_in_one_burst_searches_and_opens_no_pager(tmux: Tmux, tmp_path: Path) -> None:
    output = write_jsonl(tmp_path / "output.jsonl", [result_line(n) for n in range(1, 61)])
    opened = tmp_path / "pager-opened"
    pager = tmp_path / "pager.sh"
    pager.write_text(f"#!/bin/sh\ntouch {opened}\n")
    pager.chmod(0o755)
    env = base_env()
    env["PAGER"] = str(pager)
    tmux.start(f"{BATCHTUI} view {output}", env)
    tmux.wait_for("60 records")

    # One send-keys: `/`, the regex and Enter reach the terminal back to back.
    # "city 6\d" is in the answers of records 20 to 23 (cities 60, 63, 66, 69).
    sent = tmux.run("send-keys", "-t", tmux.session, r"/e.*city 6\d", "Enter")
    assert sent.returncode == 0, sent.stderr
    screen = tmux.wait_for("match 1 of 4")
    assert "req-00020" in screen, screen
    assert "copied" not in screen and "nothing to download" not in screen, screen
    # Once more from the match, to be sure no key of the burst is still on its way.
    tmux.run("send-keys", "-t", tmux.session, "n")
    screen = tmux.wait_for("match 2 of 4")
    assert not opened.exists(), "a key of the search opened the pager"
    assert "copied" not in screen and "nothing to download" not in screen, screen


def test_job_filter_typed_in_one_burst_filters_the_demo_list(tmux: Tmux) -> None:
    tmux.start(f"{BATCHTUI} --demo", base_env())
    tmux.wait_for(lambda text: "demo-chat" in text and "demo-gemini" in text, timeout=20)

    # d (download), e, m, o (results), c (copy the id), h, a (show archived), t: all text;
    # the S after enter sorts the list by status, as it would typed on its own.
    sent = tmux.run("send-keys", "-t", tmux.session, "/demo-chat", "Enter", "S")
    assert sent.returncode == 0, sent.stderr
    screen = tmux.wait_for(lambda text: "filter demo-chat (1 of 5)" in text and "Status ▼" in text)
    # Then one more key: the list answers it, so every key of the burst has been handled.
    tmux.run("send-keys", "-t", tmux.session, "?")
    tmux.wait_for("batchtui keys")
    tmux.run("send-keys", "-t", tmux.session, "Escape")
    screen = tmux.wait_for(lambda text: "filter demo-chat (1 of 5)" in text and "⏎ Detail" in text)
    assert "demo-gemini" not in screen and "Timeline" not in screen, screen
    for stray in ("Copied", "nothing to download", "no results yet", "archived jobs shown"):
        assert stray not in screen, screen
