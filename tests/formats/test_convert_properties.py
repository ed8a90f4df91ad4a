"""Round trips of generated requests: OpenAI -> Gemini/Vertex -> OpenAI keeps what converts."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from batchtui.core.formats.convert import convert_file, custom_id_from_labels, custom_id_labels

texts = st.text(min_size=1, max_size=40)
turns = st.lists(st.tuples(st.sampled_from(["user", "assistant"]), texts), min_size=1, max_size=4)
params = st.fixed_dictionaries(
    {},
    optional={
        "max_completion_tokens": st.integers(1, 10_000),
        "temperature": st.floats(0, 2, allow_nan=False),
        "top_p": st.floats(0, 1, allow_nan=False),
        "seed": st.integers(0, 2**31),
        "n": st.integers(1, 4),
        "stop": st.lists(texts, min_size=1, max_size=3),
        "presence_penalty": st.floats(-2, 2, allow_nan=False),
        "frequency_penalty": st.floats(-2, 2, allow_nan=False),
        "response_format": st.just({"type": "json_object"}),
    },
)


@st.composite
def chat_lines(draw: st.DrawFn) -> list[dict[str, Any]]:
    lines = []
    ids = draw(st.lists(st.text(min_size=1, max_size=80), min_size=1, max_size=4, unique=True))
    for custom_id in ids:
        messages = []
        system = draw(st.none() | texts)
        if system is not None:
            messages.append({"role": "system", "content": system})
        messages += [{"role": role, "content": text} for role, text in draw(turns)]
        body = {"model": "gpt-4o-mini", "messages": messages, **draw(params)}
        lines.append(
            {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}
        )
    return lines


@settings(max_examples=60, deadline=None)
@given(chat_lines(), st.sampled_from(["gemini", "vertex"]))
def test_openai_round_trip(lines: list[dict[str, Any]], via: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.jsonl"
        src.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        there = convert_file(src, Path(tmp) / "mid.jsonl", via)  # type: ignore[arg-type]
        back = convert_file(
            Path(tmp) / "mid.jsonl", Path(tmp) / "back.jsonl", "openai", model="gpt-4o-mini"
        )
        result = [
            json.loads(line)
            for line in (Path(tmp) / "back.jsonl").read_text(encoding="utf-8").splitlines()
        ]
    assert there.ok and back.ok
    assert result == lines


@given(st.text(min_size=1, max_size=600))
def test_any_custom_id_survives_labels(custom_id: str) -> None:
    labels = custom_id_labels(custom_id)
    assert all(len(value) <= 63 and value == value.lower() for value in labels.values())
    assert custom_id_from_labels(labels) == custom_id
