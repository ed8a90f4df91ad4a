"""Snapshots of the shell's screens, in the default theme and the 16-colour ANSI theme.

Data and clocks are frozen (see helpers.shell), so the pictures never drift.
Regenerate after an intended change:
`pytest tests/tui/test_shell_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from helpers.shell import iter_themes, make_app, settle

THEMES = list(iter_themes())


def press_then_settle(*keys: str) -> Callable[[object], Awaitable[None]]:
    async def run_before(pilot: object) -> None:
        await settle(pilot)
        if keys:
            await pilot.press(*keys)  # type: ignore[attr-defined]
            await settle(pilot)

    return run_before


@pytest.mark.parametrize("theme", THEMES)
def test_job_list_80x24(snap_compare, tmp_path: Path, theme: str) -> None:
    app = make_app(tmp_path, theme=theme)
    assert snap_compare(app, terminal_size=(80, 24), run_before=press_then_settle())


def test_job_list_120x40(snap_compare, tmp_path: Path) -> None:
    app = make_app(tmp_path)
    assert snap_compare(app, terminal_size=(120, 40), run_before=press_then_settle("j"))


def test_job_list_ascii_glyphs(snap_compare, tmp_path: Path) -> None:
    app = make_app(tmp_path, theme="ansi-dark", ascii_only=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=press_then_settle("S"))


def test_job_list_filtered(snap_compare, tmp_path: Path) -> None:
    app = make_app(tmp_path)
    keys = ("slash", *"!status:completed", "enter")
    assert snap_compare(app, terminal_size=(80, 24), run_before=press_then_settle(*keys))


@pytest.mark.parametrize("theme", THEMES)
def test_empty_job_list(snap_compare, tmp_path: Path, theme: str) -> None:
    app = make_app(tmp_path, jobs=[], theme=theme)
    assert snap_compare(app, terminal_size=(80, 24), run_before=press_then_settle())


@pytest.mark.parametrize("theme", THEMES)
def test_detail_of_a_failed_job(snap_compare, tmp_path: Path, theme: str) -> None:
    app = make_app(tmp_path, theme=theme)
    # bt-test03 (bad-input, failed with line errors) is the fourth row.
    keys = ("j", "j", "j", "enter")
    assert snap_compare(app, terminal_size=(80, 24), run_before=press_then_settle(*keys))


def test_detail_of_a_running_job_120x40(snap_compare, tmp_path: Path) -> None:
    app = make_app(tmp_path)
    assert snap_compare(app, terminal_size=(120, 40), run_before=press_then_settle("j", "enter"))


@pytest.mark.parametrize("theme", THEMES)
def test_help(snap_compare, tmp_path: Path, theme: str) -> None:
    app = make_app(tmp_path, theme=theme)
    assert snap_compare(app, terminal_size=(80, 24), run_before=press_then_settle("question_mark"))


@pytest.mark.parametrize("theme", THEMES)
def test_cancel_confirmation(snap_compare, tmp_path: Path, theme: str) -> None:
    app = make_app(tmp_path, theme=theme)
    assert snap_compare(app, terminal_size=(80, 24), run_before=press_then_settle("j", "ctrl+d"))


@pytest.mark.parametrize("theme", THEMES)
def test_welcome_without_profiles(snap_compare, tmp_path: Path, theme: str) -> None:
    app = make_app(tmp_path, jobs=[], profiles=False, theme=theme)
    assert snap_compare(app, terminal_size=(80, 24), run_before=press_then_settle())


def test_validate_prompt(snap_compare, tmp_path: Path) -> None:
    app = make_app(tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=press_then_settle("v"))
