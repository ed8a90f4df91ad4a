"""The job detail at 80x24 (issue 15 #16): labels never glued to their values, long values
(paths, sha256, file ids) continue under the value column, never at column 1, and
messages go to the status line instead of toasts over the fields."""

from __future__ import annotations

import re
from pathlib import Path

from textual.geometry import Region
from textual.widgets import Static

from batchtui.tui.screens.detail import DetailScreen
from batchtui.tui.widgets.fields import LABEL_WIDTH, VALUE_COLUMN
from batchtui.tui.widgets.status_line import StatusLine
from helpers.shell import make_app, sample_jobs, settle

SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
LONG_PATH = "/scratch/projects/llm-evaluation/datasets/2026-11/" + "reviews-" * 6 + "in.jsonl"
LONG_FILE_ID = "file-" + "A1b2C3d4" * 7
META_KEY = "experiment_name_of_the_run"  # longer than the label column


def long_job():
    job = sample_jobs()[0]
    return job.model_copy(
        update={
            "input_path": Path(LONG_PATH),
            "input_sha256": SHA,
            "output_file_id": LONG_FILE_ID,
            "metadata": {META_KEY: "baseline " * 12, "k": "v"},
        }
    )


def toasts(app) -> list[str]:
    """Toasts the app raised (a test app draws none, but keeps what it would show)."""
    return [notification.message for notification in app._notifications]


def rendered_lines(app) -> list[str]:
    """The body as the terminal shows it: the Static's own rendering, line by line."""
    body = app.screen.query_one("#detail-text", Static)
    strips = body.render_lines(Region(0, 0, body.size.width, body.size.height))
    return [strip.text.rstrip() for strip in strips]


def value_of(lines: list[str], label: str) -> tuple[str, list[str]]:
    """(the value of the field whose label starts `label`, its lines as rendered)."""
    start = next(i for i, line in enumerate(lines) if line[2:].startswith(label))
    own = [lines[start]]
    for line in lines[start + 1 :]:
        if line[:VALUE_COLUMN].strip() or not line.strip():
            break
        own.append(line)
    return "".join(line[VALUE_COLUMN:] for line in own), own


async def test_long_values_wrap_under_the_value_column_and_labels_keep_a_space(
    tmp_path: Path,
) -> None:
    job = long_job()
    app = make_app(tmp_path, jobs=[job])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_detail(job.id)
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        lines = rendered_lines(app)
        assert max(len(line) for line in lines) <= app.screen.line_width()

        for label, expected in (
            ("input sha256", SHA),
            ("input ", LONG_PATH),
            ("output file id", LONG_FILE_ID),
        ):
            value, own = value_of(lines, label)
            assert value == expected, (label, own)
            assert len(own) > 1 or label == "input sha256"  # they did need wrapping
            for line in own[1:]:  # continuation lines start at the value column
                assert line[:VALUE_COLUMN].strip() == "" and line[VALUE_COLUMN] != " "

        # Every field line (the timeline's are times, not fields): a space between the
        # label column and the value.
        for line in lines:
            timeline = re.match(r"  \d{4}-\d\d-\d\d ", line)
            if line.startswith("  ") and line[2] != " " and not timeline and len(line) > 20:
                assert line[VALUE_COLUMN - 1] == " ", line
        meta = next(line for line in lines if line[2:].startswith("meta "))
        assert meta[2 : 2 + LABEL_WIDTH].endswith("…") and meta[VALUE_COLUMN - 1] == " "
        # The wrapped metadata value (words) continues under its column too.
        _value, own = value_of(lines, "meta ")
        assert len(own) > 1


async def test_messages_on_the_detail_go_to_the_status_line_not_toasts(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    job = sample_jobs()[0]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_detail(job.id)
        await settle(pilot)
        await pilot.press("c")  # copy id: says so
        await settle(pilot)
        assert toasts(app) == []
        status = app.screen.query_one(StatusLine)
        assert status.message.startswith(f"Copied {job.id}")
        assert status.region.y > app.screen.query_one("#detail-body").region.bottom - 1
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("c")  # the job list keeps its toasts
        await settle(pilot)
        assert len(toasts(app)) == 1
