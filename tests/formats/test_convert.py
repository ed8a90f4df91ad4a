"""Converting batch input files between OpenAI, Gemini and Vertex lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from batchtui.core.errors import InputFileError, UsageError
from batchtui.core.formats.convert import (
    LABEL_MAX,
    convert_file,
    custom_id_from_labels,
    custom_id_labels,
)
from batchtui.core.formats.results import parse_result_line

IMAGE = "data:image/png;base64,iVBORw0KGgo="


def openai_line(custom_id: str, body: dict[str, Any], url: str = "/v1/chat/completions") -> dict:
    return {"custom_id": custom_id, "method": "POST", "url": url, "body": body}


def write_jsonl(path: Path, lines: list[Any]) -> Path:
    path.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
        encoding="utf-8",
    )
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


FULL_BODY = {
    "model": "gpt-4o-mini",
    "messages": [
        {"role": "system", "content": "Answer in JSON."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is it?"},
                {"type": "image_url", "image_url": {"url": IMAGE}},
            ],
        },
        {"role": "assistant", "content": "A logo."},
        {"role": "user", "content": "Which colour?"},
    ],
    "max_completion_tokens": 200,
    "temperature": 0.3,
    "top_p": 0.9,
    "stop": ["END"],
    "seed": 7,
    "n": 2,
    "response_format": {
        "type": "json_schema",
        "json_schema": {"name": "response", "schema": {"type": "object"}},
    },
}


def test_openai_to_gemini_maps_messages_and_parameters(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [openai_line("req-1", FULL_BODY)])
    report = convert_file(src, tmp_path / "out.jsonl", "gemini")

    [line] = read_jsonl(tmp_path / "out.jsonl")
    assert line == {
        "key": "req-1",
        "request": {
            "systemInstruction": {"parts": [{"text": "Answer in JSON."}]},
            "contents": [
                {
                    "role": "user",
                    "parts": [
                        {"text": "What is it?"},
                        {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
                    ],
                },
                {"role": "model", "parts": [{"text": "A logo."}]},
                {"role": "user", "parts": [{"text": "Which colour?"}]},
            ],
            "generationConfig": {
                "maxOutputTokens": 200,
                "temperature": 0.3,
                "topP": 0.9,
                "stopSequences": ["END"],
                "seed": 7,
                "candidateCount": 2,
                "responseMimeType": "application/json",
                "responseJsonSchema": {"type": "object"},
            },
        },
    }
    assert report.ok
    assert (report.source_format, report.lines_read, report.lines_written) == ("openai", 1, 1)


def normalized(body: dict[str, Any]) -> dict[str, Any]:
    """What survives a round trip: the same request, in the spelling conversion writes."""
    body = dict(body)
    if "max_tokens" in body:
        body["max_completion_tokens"] = body.pop("max_tokens")
    if isinstance(body.get("stop"), str):
        body["stop"] = [body["stop"]]
    return body


@pytest.mark.parametrize("via", ["gemini", "vertex"])
def test_round_trip_keeps_what_is_convertible(tmp_path: Path, via: str) -> None:
    bodies = [
        FULL_BODY,
        {
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": "hi"}],
            "max_tokens": 5,
            "stop": "x",
            "response_format": {"type": "json_object"},
        },
    ]
    src = write_jsonl(
        tmp_path / "in.jsonl", [openai_line(f"id-{i}", body) for i, body in enumerate(bodies)]
    )
    convert_file(src, tmp_path / "mid.jsonl", via)  # type: ignore[arg-type]
    report = convert_file(
        tmp_path / "mid.jsonl", tmp_path / "back.jsonl", "openai", model="gpt-4o-mini"
    )

    back = read_jsonl(tmp_path / "back.jsonl")
    assert [line["custom_id"] for line in back] == ["id-0", "id-1"]
    assert [line["body"] for line in back] == [normalized(body) for body in bodies]
    assert report.ok


def test_vertex_lines_carry_the_exact_custom_id_in_labels_and_request_id(tmp_path: Path) -> None:
    custom_id = "Batch/Ärger #12 " + "x" * 150
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [openai_line(custom_id, {"model": "m", "messages": [{"role": "user", "content": "hi"}]})],
    )
    convert_file(src, tmp_path / "vertex.jsonl", "vertex")

    [line] = read_jsonl(tmp_path / "vertex.jsonl")
    labels = line["request"]["labels"]
    assert line["requestId"] == custom_id
    assert all(len(value) <= LABEL_MAX and value == value.lower() for value in labels.values())
    assert custom_id_from_labels(labels) == custom_id
    # Vertex echoes the request (labels included) in its output rows, not the top-level field.
    row = {
        "status": "",
        "processed_time": "2026-01-01T00:00:00+00:00",
        "request": line["request"],
        "response": {
            "candidates": [{"content": {"parts": [{"text": "hello"}]}, "finishReason": "STOP"}]
        },
    }
    record = parse_result_line(json.dumps(row))
    assert (record.custom_id, record.ok, record.text) == (custom_id, True, "hello")


def test_without_request_id_only_labels_are_written(tmp_path: Path) -> None:
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [openai_line("a", {"model": "m", "messages": [{"role": "user", "content": "hi"}]})],
    )
    convert_file(src, tmp_path / "v.jsonl", "vertex", vertex_request_id=False)
    [line] = read_jsonl(tmp_path / "v.jsonl")
    assert set(line) == {"request"}
    assert custom_id_from_labels(line["request"]["labels"]) == "a"


def test_what_cannot_be_converted_is_reported_by_line_and_field(tmp_path: Path) -> None:
    tools = [{"type": "function", "function": {"name": "lookup"}}]
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [
            openai_line(
                "ok",
                {
                    "model": "m",
                    "messages": [{"role": "user", "content": "hi"}],
                    "tools": tools,
                    "logit_bias": {"1": 2},
                },
            ),
            openai_line(
                "tool",
                {
                    "model": "m",
                    "messages": [
                        {"role": "user", "content": "hi"},
                        {"role": "assistant", "tool_calls": [{"id": "c1"}]},
                        {"role": "tool", "content": "42", "tool_call_id": "c1"},
                    ],
                },
            ),
            "{not json",
            {"key": "gemini-line", "request": {"contents": []}},
            openai_line(
                "file",
                {
                    "model": "m",
                    "messages": [
                        {
                            "role": "user",
                            "content": [{"type": "file", "file": {"file_id": "file-abc"}}],
                        }
                    ],
                },
            ),
        ],
    )
    report = convert_file(src, tmp_path / "out.jsonl", "gemini")

    assert [line["key"] for line in read_jsonl(tmp_path / "out.jsonl")] == ["ok"]
    assert (report.lines_read, report.lines_written, report.lines_skipped) == (5, 1, 4)
    described = [issue.describe(src) for issue in report.issues]
    assert described == [
        f"{src}:1: body.tools: function tools are not converted",
        f"{src}:1: body.logit_bias: logit_bias has no Gemini equivalent",
        f"{src}:2: line skipped: body.messages[1]: tool calls and tool results are not converted",
        f"{src}:3: line skipped: not valid JSON",
        f"{src}:4: line skipped: a gemini line in a openai file",
        f"{src}:5: line skipped: body.messages[0].content[0].file: file ids are not converted; "
        "inline file_data only",
    ]
    assert report.counts_by_field == {"body.tools": 1, "body.logit_bias": 1}
    assert not report.ok
    assert "1 of 5 lines" in report.summary() and "4 skipped" in report.summary()


def test_gemini_snake_case_and_extra_fields(tmp_path: Path) -> None:
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {
                "key": "k1",
                "request": {
                    "system_instruction": {"parts": [{"text": "Be brief."}]},
                    "contents": [
                        {
                            "parts": [
                                {"text": "hi"},
                                {
                                    "inline_data": {
                                        "mime_type": "application/pdf",
                                        "data": "JVBERi0=",
                                    }
                                },
                            ]
                        }
                    ],
                    "generation_config": {"max_output_tokens": 9, "top_k": 3},
                    "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT"}],
                },
            }
        ],
    )
    report = convert_file(src, tmp_path / "out.jsonl", "openai", model="gpt-4.1-mini")

    [line] = read_jsonl(tmp_path / "out.jsonl")
    assert line["custom_id"] == "k1"
    assert line["body"] == {
        "model": "gpt-4.1-mini",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "hi"},
                    {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0="}},
                ],
            },
        ],
        "max_completion_tokens": 9,
    }
    assert sorted(report.counts_by_field) == [
        "request.generationConfig.top_k",
        "request.safetySettings",
    ]


def test_embeddings_convert_to_gemini_and_back_but_not_to_vertex(tmp_path: Path) -> None:
    line = openai_line(
        "e1",
        {"model": "text-embedding-3-small", "input": "hello", "dimensions": 8},
        url="/v1/embeddings",
    )
    src = write_jsonl(tmp_path / "in.jsonl", [line])
    convert_file(src, tmp_path / "g.jsonl", "gemini")
    assert read_jsonl(tmp_path / "g.jsonl") == [
        {
            "key": "e1",
            "request": {"content": {"parts": [{"text": "hello"}]}, "outputDimensionality": 8},
        }
    ]
    convert_file(
        tmp_path / "g.jsonl", tmp_path / "back.jsonl", "openai", model="text-embedding-3-small"
    )
    assert read_jsonl(tmp_path / "back.jsonl") == [line]

    report = convert_file(src, tmp_path / "v.jsonl", "vertex")
    assert report.lines_skipped == 1
    assert read_jsonl(tmp_path / "v.jsonl") == []


def test_gemini_to_vertex_and_back_keeps_the_key(tmp_path: Path) -> None:
    request = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    src = write_jsonl(tmp_path / "in.jsonl", [{"key": "My Key", "request": request}])
    convert_file(src, tmp_path / "v.jsonl", "vertex")
    convert_file(tmp_path / "v.jsonl", tmp_path / "g.jsonl", "gemini")
    assert read_jsonl(tmp_path / "g.jsonl") == [{"key": "My Key", "request": request}]


def test_refusals_leave_no_file_behind(tmp_path: Path) -> None:
    gemini = write_jsonl(tmp_path / "g.jsonl", [{"key": "k", "request": {"contents": []}}])
    dest = tmp_path / "out.jsonl"
    dest.write_text("keep me")

    with pytest.raises(UsageError, match="--model"):
        convert_file(gemini, dest, "openai")
    with pytest.raises(UsageError, match="already in gemini format"):
        convert_file(gemini, dest, "gemini")
    with pytest.raises(UsageError, match="unknown format 'anthropic'"):
        convert_file(gemini, dest, "anthropic")  # type: ignore[arg-type]
    with pytest.raises(InputFileError, match=f"{tmp_path / 'missing.jsonl'}: no such file"):
        convert_file(tmp_path / "missing.jsonl", dest, "openai", model="m")
    empty = write_jsonl(tmp_path / "empty.jsonl", ["", '"just a string"'])
    with pytest.raises(InputFileError, match="no request lines"):
        convert_file(empty, dest, "gemini")

    assert dest.read_text() == "keep me"
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "empty.jsonl",
        "g.jsonl",
        "out.jsonl",
    ]


def test_custom_id_labels_are_label_safe() -> None:
    labels = custom_id_labels("Ünïcode ID/with spaces")
    assert labels["litellm_custom_id"] == "_n_code_id_with_spaces"
    assert custom_id_from_labels(labels) == "Ünïcode ID/with spaces"
    assert custom_id_from_labels({"custom_id": "plain"}) == "plain"
    assert custom_id_from_labels("not labels") is None
