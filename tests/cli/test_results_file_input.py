"""`results FILE` on something that is not a results file: one clear line, exit 1."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import CLI, request_line


def test_a_request_file_is_named_as_such(cli: CLI, tmp_path: Path) -> None:
    path = tmp_path / "prompts.jsonl"
    path.write_text("\n" + "".join(request_line(f"r{n}", "hi") + "\n" for n in range(3)))
    done = cli("results", str(path))
    assert done.code == 1
    line = done.one_error_line()
    assert f"{path}:2: a batch request" in line and "batchtui results JOB" in line
    assert done.stdout == ""


def test_lines_that_are_not_results_carry_their_line_and_fail_the_command(
    cli: CLI, tmp_path: Path
) -> None:
    good = {
        "id": "batch_req_1",
        "custom_id": "a",
        "response": {
            "status_code": 200,
            "request_id": "r",
            "body": {"choices": [{"message": {"content": "fine"}, "finish_reason": "stop"}]},
        },
        "error": None,
    }
    path = tmp_path / "out.jsonl"
    path.write_text(json.dumps(good) + "\n{not json\n" + json.dumps({"x": 1}) + "\n")
    done = cli("results", str(path), "--json")
    assert done.code == 1
    records = done.json_lines()
    assert records[0]["ok"] is True
    assert records[1]["error"]["message"].startswith(f"{path}:2: ")
    assert records[2]["error"]["message"].startswith(f"{path}:3: ")
    assert "2 line(s)" in done.stderr and f"{path}:2" in done.stderr
