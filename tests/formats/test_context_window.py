"""Each request's estimated input plus its output cap is held to its model's context window."""

from __future__ import annotations

import json

from batchtui.core.formats import validate_bytes
from batchtui.core.prices import PriceTable


def chat(custom_id: str, content: str, model: str = "gpt-4o-mini", **body: object) -> str:
    return json.dumps(
        {
            "custom_id": custom_id,
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": model, "messages": [{"role": "user", "content": content}], **body},
        }
    )


HUGE = "word " * 700_000  # about 640k tokens: five times gpt-4o-mini's 128k window


def file_of(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_an_oversized_request_is_an_error_on_its_line() -> None:
    report = validate_bytes(
        file_of(chat("a", "hi"), chat("b", HUGE, max_tokens=1000), chat("c", "hi")), estimate=True
    )
    assert not report.ok
    [problem] = report.problems
    assert (problem.line, problem.code) == (2, "context_window_exceeded")
    assert "128,000-token context window of gpt-4o-mini" in problem.message
    assert "+ 1,000 max output" in problem.message


def test_the_output_cap_counts_too() -> None:
    # About 100k input tokens fit; with 60k of output they do not.
    medium = "word " * 100_000
    assert validate_bytes(file_of(chat("a", medium)), estimate=True).ok
    report = validate_bytes(file_of(chat("a", medium, max_tokens=60_000)), estimate=True)
    assert [problem.code for problem in report.problems] == ["context_window_exceeded"]


def test_an_unknown_model_gets_one_note_and_no_check() -> None:
    report = validate_bytes(
        file_of(chat("a", HUGE, model="lab/llama"), chat("b", HUGE, model="lab/llama")),
        estimate=True,
    )
    assert report.ok
    assert len(report.notes) == 1 and "lab/llama" in report.notes[0]


def test_windows_follow_config_overrides() -> None:
    table = PriceTable(context_windows={"lab/llama": 1_000})
    report = validate_bytes(
        file_of(chat("a", "word " * 2_000, model="lab/llama")),
        estimate=True,
        context_window=table.context_window,
    )
    assert [problem.code for problem in report.problems] == ["context_window_exceeded"]
    assert table.context_window("gpt-4o-mini-2024-07-18") == 128_000  # prefix match
