"""The composer library: datasets, templates, requests, atomic output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from batchtui.core.compose import (
    ComposeError,
    ComposeSpec,
    Template,
    compose_file,
    dataset_columns,
    dataset_kind,
    iter_requests,
    iter_rows,
    preview_lines,
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_kinds_from_extension_and_override(tmp_path: Path):
    assert dataset_kind(Path("a.CSV")) == "csv"
    assert dataset_kind(Path("a.tsv")) == "tsv"
    assert dataset_kind(Path("a.ndjson")) == "jsonl"
    assert dataset_kind(Path("prompts.txt")) == "text"
    assert dataset_kind(Path("a.csv"), "text") == "text"
    with pytest.raises(ComposeError, match="unknown dataset format 'xls'"):
        dataset_kind(Path("a.csv"), "xls")


def test_csv_rows_with_quotes_multiline_bom_and_blank_lines(tmp_path: Path):
    path = write(tmp_path, "d.csv", '\ufeffid,question\n1,"a, b"\n\n2,"two\nlines"\n3,x\n')
    rows = list(iter_rows(path))
    assert [(r.number, r.line) for r in rows] == [(1, 2), (2, 4), (3, 6)]
    assert rows[0].values == {"id": "1", "question": "a, b"}
    assert rows[1].values["question"] == "two\nlines"
    assert dataset_columns(path) == ["id", "question"]


def test_tsv_and_text_and_jsonl(tmp_path: Path):
    tsv = write(tmp_path, "d.tsv", "a\tb\n1\t2\n")
    assert [r.values for r in iter_rows(tsv)] == [{"a": "1", "b": "2"}]
    text = write(tmp_path, "p.txt", "first\n\n  \nsecond\r\n")
    assert [(r.number, r.line, r.values) for r in iter_rows(text)] == [
        (1, 1, {"text": "first"}),
        (2, 4, {"text": "second"}),
    ]
    assert dataset_columns(text) == ["text"]
    jsonl = write(tmp_path, "d.jsonl", '{"q": "x", "n": 1}\n\n{"q": "y", "extra": [1]}\n')
    assert dataset_columns(jsonl) == ["q", "n", "extra"]
    assert [r.line for r in iter_rows(jsonl)] == [1, 3]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.jsonl", '{"a": 1}\n[1, 2]\n', r"bad.jsonl:2: expected a JSON object, got list"),
        ("bad2.jsonl", '{"a": 1}\n{oops\n', r"bad2.jsonl:2: not valid JSON"),
        ("wide.csv", "a,b\n1,2,3\n", r"wide.csv:2: row 1 has 3 cells but the header names 2"),
        ("dup.csv", "a,a\n1,2\n", r"dup.csv:1: column 'a' appears twice"),
    ],
)
def test_dataset_errors_name_file_and_line(tmp_path: Path, name: str, text: str, message: str):
    with pytest.raises(ComposeError, match=message):
        list(iter_rows(write(tmp_path, name, text)))


def test_not_utf8_and_missing_file(tmp_path: Path):
    path = tmp_path / "latin.csv"
    path.write_bytes(b"a\ncaf\xe9\n")
    with pytest.raises(ComposeError, match=r"latin.csv: not UTF-8"):
        list(iter_rows(path))
    with pytest.raises(ComposeError, match=r"missing.csv: cannot open"):
        list(iter_rows(tmp_path / "missing.csv"))


def test_template_placeholders_and_errors():
    template = Template("Q: {question} ({id}) {{literal}} {question}")
    assert template.fields == ["question", "id"]
    template.check_columns(["id", "question"])
    with pytest.raises(
        ComposeError, match=r"placeholder \{question\} names no column \(columns: id\)"
    ):
        template.check_columns(["id"])
    with pytest.raises(ComposeError, match="literal braces"):
        Template("{unclosed")
    with pytest.raises(ComposeError, match=r"empty placeholder \{\}"):
        Template("a {} b")
    with pytest.raises(ComposeError, match=r"placeholder \{x!r\} has a format"):
        Template("{x!r}")
    with pytest.raises(ComposeError, match=r"placeholder \{x:>5\} has a format"):
        Template("{x:>5}")


def test_requests_for_each_endpoint(tmp_path: Path):
    path = write(tmp_path, "d.jsonl", '{"id": "a", "q": "hi", "n": 2, "obj": {"k": "v"}}\n')
    rows = list(iter_rows(path))

    def body(**spec) -> dict:
        spec.setdefault("user_template", "{q} {n} {obj}")
        (request,) = iter_requests(rows, ComposeSpec(model="m", **spec), source="d.jsonl")
        return request

    chat = body(system_prompt="Be {q}", max_tokens=10, temperature=0.5, custom_id_column="id")
    assert chat == {
        "custom_id": "a",
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {
            "model": "m",
            "messages": [
                {"role": "system", "content": "Be hi"},
                {"role": "user", "content": 'hi 2 {"k": "v"}'},
            ],
            "max_completion_tokens": 10,
            "temperature": 0.5,
        },
    }
    responses = body(endpoint="/v1/responses", system_prompt="sys", max_tokens=5)["body"]
    assert responses == {
        "model": "m",
        "instructions": "sys",
        "input": 'hi 2 {"k": "v"}',
        "max_output_tokens": 5,
    }
    completions = body(endpoint="/v1/completions", user_template="{q}", max_tokens=3)
    assert completions["body"] == {"model": "m", "prompt": "hi", "max_tokens": 3}
    assert completions["custom_id"] == "row-1"
    embeddings = body(endpoint="/v1/embeddings", user_template="{q}", max_tokens=3)
    assert embeddings["body"] == {"model": "m", "input": "hi"}


def test_missing_column_names_column_and_row(tmp_path: Path):
    path = write(tmp_path, "d.jsonl", '{"q": "a"}\n{"r": "b"}\n')
    spec = ComposeSpec(model="m", user_template="{q}")
    requests = iter_requests(iter_rows(path), spec, source="d.jsonl")
    assert next(requests)["body"]["messages"][0]["content"] == "a"
    with pytest.raises(
        ComposeError, match=r"d.jsonl:2: row 2 has no column 'q' used by the user template"
    ):
        next(requests)


def test_short_csv_row_is_a_missing_column(tmp_path: Path):
    path = write(tmp_path, "d.csv", "a,b\n1,2\n3\n")
    spec = ComposeSpec(model="m", user_template="{a}-{b}")
    with pytest.raises(ComposeError, match=r"d.csv:3: row 2 has no column 'b'"):
        list(iter_requests(iter_rows(path), spec, source=str(path)))


def test_custom_id_column_errors(tmp_path: Path):
    path = write(tmp_path, "d.csv", "id,q\nx,1\nx,2\n,3\n")
    spec = ComposeSpec(model="m", user_template="{q}", custom_id_column="id")
    with pytest.raises(ComposeError, match=r"d.csv:3: custom_id 'x' of row 2 repeats row 1"):
        list(iter_requests(iter_rows(path), spec, source="d.csv"))
    rows = list(iter_rows(path))[2:]
    with pytest.raises(ComposeError, match=r"row 3 has an empty custom_id column 'id'"):
        list(iter_requests(rows, spec, source="d.csv"))
    spec.custom_id_column = "nope"
    with pytest.raises(ComposeError, match=r"row 1 has no custom_id column 'nope'"):
        list(iter_requests(iter_rows(path), spec, source="d.csv"))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (ComposeSpec(model=" ", user_template="x"), "model: required"),
        (ComposeSpec(model="m", user_template="x", endpoint="/v1/x"), "endpoint: '/v1/x'"),
        (ComposeSpec(model="m", user_template=""), "user template: required"),
        (ComposeSpec(model="m", user_template="x", max_tokens=0), "max tokens: must be at least 1"),
        (ComposeSpec(model="m", user_template="x", temperature=3), "temperature: must be between"),
        (
            ComposeSpec(model="m", user_template="x", endpoint="/v1/embeddings", system_prompt="s"),
            "takes no system prompt",
        ),
    ],
)
def test_spec_checks(spec: ComposeSpec, message: str):
    with pytest.raises(ComposeError, match=message):
        spec.check()


def test_preview_reads_only_what_it_needs(tmp_path: Path):
    path = write(tmp_path, "d.jsonl", '{"q": "a"}\n{"q": "b"}\n{"q": "c"}\n{broken\n')
    lines = preview_lines(path, ComposeSpec(model="m", user_template="{q}"), count=2)
    assert [json.loads(line)["custom_id"] for line in lines] == ["row-1", "row-2"]


def test_compose_file_writes_atomically(tmp_path: Path):
    data = "q\n" + "".join(f"question {n}\n" for n in range(2500))
    source = write(tmp_path, "d.csv", data)
    dest = tmp_path / "out" / "batch.jsonl"
    dest.parent.mkdir()  # an output's folder is never created for it
    seen: list[int] = []
    result = compose_file(
        source, ComposeSpec(model="m", user_template="{q}"), dest, progress=seen.append
    )
    assert result is not None and result.requests == 2500
    assert seen == [1000, 2000, 2500]
    lines = dest.read_text().splitlines()
    assert len(lines) == 2500 and result.bytes == dest.stat().st_size
    assert json.loads(lines[-1])["body"]["messages"][-1]["content"] == "question 2499"
    assert list(dest.parent.iterdir()) == [dest]


def test_compose_failure_or_cancel_leaves_old_file(tmp_path: Path):
    source = write(tmp_path, "d.jsonl", "".join(f'{{"q": "{n}"}}\n' for n in range(1500)) + "{x\n")
    dest = write(tmp_path, "batch.jsonl", "old\n")
    spec = ComposeSpec(model="m", user_template="{q}")
    with pytest.raises(ComposeError, match=r"d.jsonl:1501: not valid JSON"):
        compose_file(source, spec, dest)
    assert compose_file(source, spec, dest, cancel=lambda: True) is None
    assert dest.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch.jsonl", "d.jsonl"]
    with pytest.raises(ComposeError, match="would overwrite the dataset"):
        compose_file(source, spec, source)
    empty = write(tmp_path, "empty.txt", "\n\n")
    with pytest.raises(ComposeError, match=r"empty\.txt: the dataset has no rows"):
        compose_file(empty, spec, tmp_path / "x.jsonl")
