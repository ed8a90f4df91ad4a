"""Numbers from input files and providers are untrusted: never an exception, never an abort.

- `validate` (CLI and the TUI's validate screen) reports a token or choice count past what
  any server takes as a line error, whatever its size (10**309 does not fit a float).
- A provider's out-of-range or non-finite number (a count of 1e300, `Infinity`, an error
  line of 1e999, a file of 1e999 bytes) is unknown, with a note on the job; `status`,
  `jobs`, `sync` and `submit` go on, and one bad batch never stops a `sync` of the others.

Each hostile value is a row; each row is served raw (JSON numbers Python's `json` would
never write) by a hostile peer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from batchtui.tui.screens.validate import ValidateScreen

from .conftest import Answer, HostileServer, add_profile, batch_object, request_line, run_cli

HUGE = "1" + "0" * 309  # 10**309: past the largest float

COUNT_FIELDS = ["max_tokens", "max_completion_tokens", "max_output_tokens", "n"]


def input_with(tmp_path: Path, field: str, literal: str) -> Path:
    line = json.loads(request_line("r1", "hello"))
    line["body"][field] = "PLACEHOLDER"
    path = tmp_path / f"{field}.jsonl"
    path.write_text(json.dumps(line).replace('"PLACEHOLDER"', literal) + "\n")
    return path


@pytest.mark.parametrize("field", COUNT_FIELDS)
@pytest.mark.parametrize(
    "literal", [HUGE, "9" * 400, str(2**31)], ids=["10e309", "400 nines", "2e31"]
)
def test_validate_reports_a_huge_count_as_a_line_error(
    tmp_path: Path, field: str, literal: str
) -> None:
    path = input_with(tmp_path, field, literal)
    for args in ((), ("--json",)):
        done = run_cli("validate", str(path), *args)
        assert done.code == 1, done.err
        assert "unexpected" not in done.err and "Overflow" not in done.out + done.err
        assert f"body.{field}" in done.out
        assert "at most 2,147,483,647" in done.out or "number_too_large" in done.out


@pytest.mark.parametrize("field", COUNT_FIELDS)
async def test_tui_validate_screen_reports_a_huge_count(tmp_path: Path, field: str) -> None:
    from textual.app import App

    path = input_with(tmp_path, field, HUGE)

    class Host(App):
        ascii_only = False
        config = service = registry = None  # what the shell offers its screens

        def on_mount(self) -> None:
            self.push_screen(ValidateScreen(path))

    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        for _ in range(200):
            if getattr(screen, "report", None) is not None:
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, ValidateScreen)
        report = screen.report
        assert report is not None and not report.ok
        assert any(problem.field == f"body.{field}" for problem in report.errors)
        await pilot.press("down", "enter")
        await pilot.pause(0.1)
        assert app.is_running


# --- provider answers ------------------------------------------------------------------
# A row: the batch's fields, as raw JSON text put in place of the placeholder values.
HOSTILE_BATCHES: dict[str, dict[str, str]] = {
    "counts 1e300": {"request_counts": '{"total": 1e300, "completed": 1e300, "failed": 0}'},
    "counts Infinity": {
        "request_counts": '{"total": Infinity, "completed": -Infinity, "failed": NaN}'
    },
    "counts 10**309": {"request_counts": f'{{"total": {HUGE}, "completed": 1, "failed": 0}}'},
    "counts as strings": {"request_counts": '{"total": "1e999", "completed": "x", "failed": []}'},
    "error line 1e999": {
        "status": '"failed"',
        "errors": '{"data": [{"code": "bad", "message": "m", "line": 1e999}]}',
    },
    "error line huge int": {"errors": f'{{"data": [{{"message": "m", "line": {HUGE}}}]}}'},
    "usage Infinity": {"usage": '{"input_tokens": Infinity, "output_tokens": 1e999}'},
    "timestamps 1e999": {"created_at": "1e999", "completed_at": "Infinity"},
}


def raw_batch(batch_id: str, fields: dict[str, str]) -> bytes:
    base = batch_object(batch_id, **dict.fromkeys(fields, "PLACEHOLDER"))
    text = json.dumps(base)
    for name, literal in fields.items():
        text = text.replace(f'"{name}": "PLACEHOLDER"', f'"{name}": {literal}', 1)
    return text.encode()


def submit_through(server: HostileServer, tmp_path: Path, file_answer: bytes | None = None) -> str:
    server.answer(
        "POST /v1/files", file_answer or json.dumps({"id": "file-in", "bytes": 10}).encode()
    )
    server.answer("POST /v1/batches", batch_object("batch_1", status="validating"))
    server.answer("GET /v1/batches", {"object": "list", "data": [], "has_more": False})
    add_profile(server.url)
    source = tmp_path / "input.jsonl"
    source.write_text(request_line("r1", "hello") + "\n")
    submitted = run_cli("submit", str(source), "--profile", "sim", "--json")
    assert submitted.code == 0, submitted.err
    return json.loads(submitted.out)["id"]


def assert_no_crash(*runs) -> None:
    for done in runs:
        assert done.code == 0, done.err
        assert "unexpected" not in done.err, done.err
        assert "Overflow" not in done.out + done.err


@pytest.mark.parametrize("row", HOSTILE_BATCHES)
def test_status_shows_an_unusable_number_as_unknown(
    row: str, hostile_server: HostileServer, tmp_path: Path
) -> None:
    job_id = submit_through(hostile_server, tmp_path)
    hostile_server.answer(
        "GET /v1/batches/batch_1", Answer(body=raw_batch("batch_1", HOSTILE_BATCHES[row]))
    )

    refreshed = run_cli("status", job_id, "--refresh")
    runs = [
        refreshed,
        run_cli("status", job_id, "--json"),
        run_cli("jobs"),
        run_cli("jobs", "--json"),
    ]
    assert_no_crash(*runs)
    as_json = json.loads(runs[1].out)
    json.dumps(as_json, allow_nan=False)  # what scripts read is standard JSON
    if row.startswith("counts") or "line" in row:
        assert "not a usable number" in refreshed.out  # the note, on the job


def test_sync_adopts_every_readable_batch_beside_hostile_ones(
    hostile_server: HostileServer,
) -> None:
    add_profile(hostile_server.url)
    items = [raw_batch(f"batch_{row.split()[0]}_{n}", fields) for n, (row, fields) in
             enumerate(HOSTILE_BATCHES.items())]  # fmt: skip
    items.insert(2, json.dumps(batch_object("batch_good_a")).encode())
    items.insert(5, b'{"id": "batch_broken", "object": "batch"}')  # lacks required fields
    items.append(json.dumps(batch_object("batch_good_b")).encode())
    page = b'{"object": "list", "has_more": false, "data": [' + b", ".join(items) + b"]}"
    hostile_server.answer("GET /v1/batches", Answer(body=page))

    synced = run_cli("sync", "--profile", "sim", "--json")

    assert_no_crash(synced)
    report = json.loads(synced.out)
    adopted = {job["remote_id"] for job in report["adopted"]}
    assert {"batch_good_a", "batch_good_b"} <= adopted
    assert len(adopted) == len(HOSTILE_BATCHES) + 2
    assert any("batch_broken" in reason or "required" in reason for reason in report["skipped"])
    listed = run_cli("jobs", "--json")
    assert_no_crash(listed)
    assert len(json.loads(listed.out)) == len(adopted)


@pytest.mark.parametrize(
    "literal", ["1e999", "Infinity", HUGE, "-5", '"lots"'], ids=lambda literal: literal[:10]
)
def test_submit_takes_a_file_of_unusable_size(
    literal: str, hostile_server: HostileServer, tmp_path: Path
) -> None:
    answer = b'{"id": "file-in", "object": "file", "bytes": ' + literal.encode() + b"}"
    job_id = submit_through(hostile_server, tmp_path, file_answer=answer)
    assert_no_crash(run_cli("status", job_id))


WIRE_ROWS = [
    (5, 5, False),
    (5.0, 5, False),
    ("42", 42, False),
    (" 7 ", 7, False),
    (None, None, False),
    ("", None, False),
    (True, None, False),
    (2**53, 2**53, False),
    (2**53 + 1, None, True),
    (10**309, None, True),
    (1e300, None, True),
    (float("inf"), None, True),
    (float("-inf"), None, True),
    (float("nan"), None, True),
    (-1, None, True),
    (2.5, None, True),
    ("1e999", None, True),
    ("Infinity", None, True),
    ("lots", None, True),
    ("9" * 5000, None, True),
    ([], None, True),
    ({}, None, True),
]


@pytest.mark.parametrize(("value", "expected", "noted"), WIRE_ROWS, ids=lambda v: repr(v)[:12])
def test_wire_count_is_finite_in_range_or_unknown(
    value: object, expected: object, noted: bool
) -> None:
    from batchtui.core.wire_numbers import wire_count

    notes: list[str] = []
    assert wire_count(value, "field", notes) == expected
    assert bool(notes) is noted
    assert all(len(note) < 200 and "field" in note for note in notes)
