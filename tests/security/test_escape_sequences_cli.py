"""Escape sequences in model answers and provider messages reach the terminal inert.

The raw stdout and stderr bytes of `results`, `status`, `jobs`, `watch`, `download` and
error lines hold no ESC, CSI, OSC, C1 or BEL byte, whatever the model or server sent;
`--json` keeps the text whole (escaped as JSON), so nothing is lost for scripts.
"""

from __future__ import annotations

import json
from pathlib import Path

from batchtui.simulator import SimulatorHandle

from .conftest import (
    EVIL,
    TITLE,
    Answer,
    HostileServer,
    add_profile,
    assert_inert,
    batch_object,
    request_line,
    run_cli,
)


def hostile_results(path: Path) -> Path:
    ok = {
        "id": "batch_req_1",
        "custom_id": f"ok-{EVIL}",
        "response": {
            "status_code": 200,
            "body": {
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": f"answer {EVIL}\nmore"},
                        "finish_reason": f"stop{EVIL}",
                    }
                ],
            },
        },
        "error": None,
    }
    failed = {
        "id": "batch_req_2",
        "custom_id": f"bad-{EVIL}",
        "response": {
            "status_code": 400,
            "body": {"error": {"message": f"message {EVIL}", "code": f"code{EVIL}"}},
        },
        "error": None,
    }
    path.write_text(json.dumps(ok) + "\n" + json.dumps(failed) + "\n" + EVIL + "\n")
    return path


def test_results_file_is_printed_inert(tmp_path: Path) -> None:
    path = hostile_results(tmp_path / "output.jsonl")

    # Line 3 is no result at all: the command prints the rest, names it, and exits 1.
    for args, code in (((), 1), (("--errors",), 1), (("--head", "1"), 0)):
        shown = run_cli("results", str(path), *args)
        assert shown.code == code, shown.err
        assert_inert(shown.stdout + shown.stderr)
    shown = run_cli("results", str(path))
    assert "answer \\x1b]0;pwned\\x07" in shown.out  # visible, escaped, not acted on
    assert "message \\x1b]0;pwned" in shown.out


def test_results_json_is_inert_and_lossless(tmp_path: Path) -> None:
    path = hostile_results(tmp_path / "output.jsonl")

    shown = run_cli("results", str(path), "--json")

    assert shown.code == 1, shown.err  # line 3 is not a result line (named on stderr)
    assert_inert(shown.stdout + shown.stderr)
    records = [json.loads(line) for line in shown.out.splitlines()]
    assert records[0]["text"] == f"answer {EVIL}\nmore"
    assert records[1]["error"]["message"] == f"message {EVIL}"


def test_job_named_and_answered_with_escapes(simulator: SimulatorHandle, tmp_path: Path) -> None:
    add_profile(simulator.url)
    source = tmp_path / "input.jsonl"
    source.write_text(
        request_line("r1", f"say {EVIL} please") + "\n" + request_line("r2", "fine") + "\n"
    )
    submitted = run_cli(
        "submit", str(source), "--profile", "sim", "--name", f"job{EVIL}",
        "--metadata", f"note={TITLE}", "--json",
    )  # fmt: skip
    assert submitted.code == 0, submitted.err
    assert_inert(submitted.stdout + submitted.stderr)
    job_id = json.loads(submitted.out)["id"]
    assert json.loads(submitted.out)["name"] == f"job{EVIL}"

    runs = [
        run_cli("watch", job_id, "--interval", "1", timeout=120),
        run_cli("results", job_id),
        run_cli("results", job_id, "--json"),
        run_cli("status", job_id),
        run_cli("status", job_id, "--json"),
        run_cli("jobs"),
        run_cli("jobs", "--json"),
        run_cli("download", job_id, "-o", str(tmp_path / "out")),
    ]
    for done in runs:
        assert done.code == 0, done.err
        assert_inert(done.stdout + done.stderr)
    assert "pwned" in runs[1].out  # the echoed prompt is in the answer, shown inert
    assert json.loads(runs[4].out)["name"] == f"job{EVIL}"
    assert "job\\x1b]0;pwned" in runs[5].out or "job\\x1b]0;p" in runs[5].out


def submitted_to(server: HostileServer, tmp_path: Path) -> str:
    """A job submitted through `server`, whose batch later fails with hostile messages."""
    server.answer("POST /v1/files", {"id": "file-in", "object": "file", "bytes": 10})
    server.answer("POST /v1/batches", batch_object(status="validating"))
    server.answer("GET /v1/batches", {"object": "list", "data": [], "has_more": False})
    add_profile(server.url)
    source = tmp_path / "input.jsonl"
    source.write_text(request_line("r1", "hello") + "\n")
    submitted = run_cli("submit", str(source), "--profile", "sim", "--json")
    assert submitted.code == 0, submitted.err
    return json.loads(submitted.out)["id"]


def test_batch_errors_and_status_from_the_server_are_inert(
    hostile_server: HostileServer, tmp_path: Path
) -> None:
    job_id = submitted_to(hostile_server, tmp_path)
    hostile_server.answer(
        "GET /v1/batches/batch_1",
        batch_object(
            status="failed",
            model=f"gpt{EVIL}",
            failed_at=1711471600,
            errors={
                "object": "list",
                "data": [{"code": f"c{EVIL}", "message": f"m{EVIL}", "line": 1}],
            },
            metadata={"k": EVIL},
        ),
    )

    refreshed = run_cli("status", job_id, "--refresh")
    assert refreshed.code == 0, refreshed.err
    assert_inert(refreshed.stdout + refreshed.stderr)
    assert "m\\x1b]0;pwned" in refreshed.out
    for args in (("status", job_id, "--json"), ("jobs",), ("jobs", "--json")):
        done = run_cli(*args)
        assert done.code == 0, done.err
        assert_inert(done.stdout + done.stderr)
    as_json = json.loads(run_cli("status", job_id, "--json").out)
    assert as_json["errors"][0]["message"] == f"m{EVIL}"
    results = run_cli("results", job_id)  # no results: the batch error is the message
    assert results.code == 1
    assert "pwned" in results.one_error_line()
    assert_inert(results.stdout + results.stderr)


def test_error_lines_from_the_server_are_inert(
    hostile_server: HostileServer, tmp_path: Path
) -> None:
    job_id = submitted_to(hostile_server, tmp_path)
    bodies = [
        Answer(400, json.dumps({"error": {"message": f"bad {EVIL}", "code": EVIL}}).encode()),
        Answer(418, f"plain {EVIL}".encode(), headers={"Content-Type": "text/plain"}),
        Answer(502, f"<html><title>{EVIL}</title></html>".encode(), {"Content-Type": "text/html"}),
        Answer(200, json.dumps({"error": f"enveloped {EVIL}"}).encode()),
        Answer(200, json.dumps(batch_object(status=EVIL)).encode()),
        Answer(200, f'{{"id": "{TITLE}'.encode()),
    ]
    for answer in bodies:
        hostile_server.answer("GET /v1/batches/batch_1", answer)
        for debug in ((), ("--debug",)):
            done = run_cli(*debug, "status", job_id, "--refresh")
            assert_inert(done.stdout + done.stderr)
            if done.code != 0 and not debug:
                assert done.one_error_line()
