"""The typed fast path for plain chat lines changes speed, never the report: every file
gives the same problems, counts and token estimate with it as without it."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batchtui.core.formats import validate_bytes, validate_stream
from batchtui.core.formats.validate import ValidationReport

FIXTURES = Path(__file__).parent / "fixtures" / "input"

SAME = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

# What a line may hold: the fast path's edges (types, extra keys, counts past 32 bits,
# message shapes it leaves to the general path) and ordinary variations.
body_extras = st.fixed_dictionaries(
    {},
    optional={
        "max_tokens": st.one_of(st.integers(-5, 3000), st.just(2**31), st.just(10**40),
                                st.just(None), st.just(1.5), st.just(True)),
        "max_completion_tokens": st.one_of(st.integers(-1, 500), st.just(None)),
        "max_output_tokens": st.integers(0, 50),
        "n": st.one_of(st.integers(-1, 4), st.just(None), st.just("2")),
        "stream": st.one_of(st.booleans(), st.just(None)),
        "tools": st.one_of(st.just(None), st.just([])),
        "response_format": st.just({"type": "json_object"}),
        "temperature": st.floats(0, 2),
        "model": st.sampled_from(["gpt-4o-mini", "other", "", 3]),
    },
)  # fmt: skip
messages = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {"role": st.sampled_from(["user", "system", ""]),
             "content": st.one_of(st.text(max_size=40), st.text(min_size=800, max_size=900))}
        ),
        st.just({"role": "user", "content": [{"type": "text", "text": "hi"}]}),
        st.just({"role": "user", "content": "x", "name": "ada"}),
        st.just({"role": "assistant", "content": None, "tool_calls": []}),
        st.just("not a message"),
    ),
    max_size=3,
)  # fmt: skip


@st.composite
def lines(draw: st.DrawFn) -> bytes:
    body: dict[str, Any] = {"model": "gpt-4o-mini", "messages": draw(messages)}
    body.update(draw(body_extras))
    row: dict[str, Any] = {
        "custom_id": draw(st.sampled_from(["a", "b", "c", "", 7])),
        "method": draw(st.sampled_from(["POST", "POST", "GET"])),
        "url": draw(st.sampled_from(["/v1/chat/completions"] * 3 + ["/v1/embeddings"])),
        "body": body,
    }
    text = json.dumps(row)
    ending = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    return (text + ending).encode()


def reports(data: bytes) -> tuple[ValidationReport, ValidationReport]:
    fast = validate_bytes(data, estimate=True)
    general = validate_bytes(data, estimate=True, fast_path=False)
    return fast, general


def assert_same(data: bytes) -> None:
    fast, general = reports(data)
    assert fast.to_json() == general.to_json()
    assert fast.problems == general.problems


@SAME
@given(st.lists(lines(), min_size=1, max_size=8))
def test_fast_and_general_paths_agree(file_lines: list[bytes]) -> None:
    assert_same(b"".join(file_lines))


def test_fixture_corpus_agrees() -> None:
    files = sorted(FIXTURES.glob("*.jsonl"))
    assert files
    for path in files:
        assert_same(path.read_bytes())


def test_a_plain_file_really_takes_the_fast_path(monkeypatch) -> None:
    """Guards the speed-up itself: plain lines after the first never reach the general
    path's parser, whatever the chunk size."""
    from batchtui.core.formats import validate

    parsed: list[str] = []
    real = validate._loads

    def counting(text: str) -> Any:
        parsed.append(text)
        return real(text)

    monkeypatch.setattr(validate, "_loads", counting)
    rows = [
        {"custom_id": f"r{n}", "method": "POST", "url": "/v1/chat/completions",
         "body": {"model": "m", "messages": [{"role": "user", "content": f"q{n}"}]}}
        for n in range(50)
    ]  # fmt: skip
    data = "".join(json.dumps(row) + "\n" for row in rows).encode()
    for chunk_bytes in (1 << 20, 301):
        parsed.clear()
        report = validate.validate_stream(io.BytesIO(data), chunk_bytes=chunk_bytes, estimate=True)
        assert report.ok and report.lines == 50
        assert len(parsed) == 1


# Lines whose bytes the fast path must look at itself: text that is not ASCII, written
# raw, and bytes that are not UTF-8 in a field msgspec skips without reading.
odd_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=30) | st.text(
    min_size=780, max_size=820
)


@st.composite
def raw_lines(draw: st.DrawFn) -> bytes:
    row: dict[str, Any] = {
        "custom_id": draw(st.sampled_from(["a", "b", "c", "d"])),
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {
            "model": draw(st.sampled_from(["gpt-4o-mini"] * 5 + ["other"])),
            "messages": [{"role": "user", "content": draw(odd_text)}],
            "metadata": "@",
        },
    }
    text = json.dumps(row, ensure_ascii=draw(st.booleans()))
    filler = draw(st.sampled_from([b"ok", b"\xff", "é".encode(), b"\xc3"]))
    line = text.encode().replace(b"@", filler)
    return line + draw(st.sampled_from([b"\n", b"\n", b"\r\n", b"\n\n"]))


@SAME
@given(st.lists(raw_lines(), min_size=1, max_size=12), st.integers(40, 5000))
def test_raw_bytes_and_chunk_edges_agree(file_lines: list[bytes], chunk_bytes: int) -> None:
    data = b"".join(file_lines)
    fast = validate_stream(io.BytesIO(data), chunk_bytes=chunk_bytes, estimate=True)
    general = validate_stream(
        io.BytesIO(data), chunk_bytes=chunk_bytes, estimate=True, fast_path=False
    )
    assert fast.to_json() == general.to_json()
    assert fast.problems == general.problems
    assert fast.to_json() == validate_bytes(data, estimate=True, fast_path=False).to_json()


def test_hostile_skipped_fields_agree() -> None:
    """What msgspec skips without building it: too deep for Python, not UTF-8, huge."""

    def line(custom_id: str, extra: bytes) -> bytes:
        return (
            b'{"custom_id":"' + custom_id.encode() + b'","method":"POST",'
            b'"url":"/v1/chat/completions","body":{"model":"m",' + extra + b'"messages":'
            b'[{"role":"user","content":"hi"}]}}\n'
        )

    for extra in (
        b'"x":' + b"[" * 3000 + b"]" * 3000 + b",",
        b'"x":"\xff",',
        b'"x":1e999,',
        b'"x":NaN,',
        b'"model":"zz",',
        b'"tools":null,',
        b'"max_tokens":2147483648,',
        b'"n":1.0,',
    ):
        assert_same(line("a", b"") + line("b", extra) + line("c", b""))


@SAME
@given(st.lists(lines(), min_size=1, max_size=8), st.integers(1, 400))
def test_context_window_checks_agree(file_lines: list[bytes], window: int) -> None:
    """Requests past a (small) window are failed alike, in bulk chunks and line by line."""
    data = b"".join(file_lines)

    def window_of(model: str) -> int:
        return window

    fast = validate_bytes(data, estimate=True, context_window=window_of)
    general = validate_bytes(data, estimate=True, fast_path=False, context_window=window_of)
    assert fast.to_json() == general.to_json()
    assert fast.problems == general.problems
