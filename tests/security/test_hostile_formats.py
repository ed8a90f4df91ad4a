"""Hostile files: nested past the recursion limit, binary, a 100 MB line, escape sequences.

Extends tests/formats (which throw arbitrary bytes at the validator and result parser) with
what those do not reach: the CLI on such files, the result viewer's index and detail,
the composer, peak memory measured in a subprocess, and the text sanitizers as properties.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batchtui.cli.commands.results import record_json, record_text
from batchtui.cli.output import json_text
from batchtui.cli.terminal import Glyphs
from batchtui.core.compose import ComposeError, ComposeSpec, compose_file
from batchtui.core.formats import validate_bytes
from batchtui.core.formats.results import parse_result_line
from batchtui.core.formats.validate import validate_file
from batchtui.core.resultfile import ResultSet, custom_id_of, request_prompt
from batchtui.core.terminal_text import inert
from batchtui.tui.widgets.record_view import MAX_DETAIL_CHARS, capped_text, pretty_json

from .conftest import EVIL, assert_inert, run_cli

DEEP = b"[" * 100_000
DEEP_OBJECTS = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
MB = 1024 * 1024


# --- deep nesting: RecursionError never escapes --------------------------------------------


@pytest.mark.parametrize(
    "line",
    [DEEP, DEEP_OBJECTS, b'{"custom_id": "x", "body": ' + DEEP],
    ids=["arrays", "objects", "in-a-field"],
)
def test_deep_nesting_in_the_libraries(line: bytes, tmp_path: Path) -> None:
    report = validate_bytes(line + b"\n")
    assert not report.ok and report.errors[0].line == 1
    path = tmp_path / "deep.jsonl"
    path.write_bytes(line + b"\n")
    assert not validate_file(path).ok

    record = parse_result_line(line)
    assert not record.ok and record.error_code == "invalid_json"

    results = ResultSet([path])
    assert results.scan()
    assert not results.record(0).ok
    assert pretty_json(results.record(0).raw).plain  # the detail pane's raw JSON view


@pytest.mark.parametrize("line", [DEEP, DEEP_OBJECTS], ids=["arrays", "objects"])
def test_deep_nesting_in_an_input_file_joined_to_results(line: bytes) -> None:
    assert custom_id_of(line) is None
    assert isinstance(request_prompt(line), str)


@pytest.mark.parametrize("command", ["validate", "results"])
def test_deep_nesting_through_the_cli(command: str, tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_bytes(DEEP + b"\n" + DEEP_OBJECTS + b"\n")

    done = run_cli(command, str(path))

    assert "Traceback" not in done.err and "unexpected failure" not in done.err
    assert "nested too deeply" in done.out or "RecursionError" in done.out
    assert done.code in (0, 1)


def test_deep_nesting_in_a_compose_dataset(tmp_path: Path) -> None:
    dataset = tmp_path / "rows.jsonl"
    dataset.write_bytes(DEEP + b"\n")

    with pytest.raises(ComposeError, match=r"rows\.jsonl:1"):
        compose_file(dataset, ComposeSpec(user_template="{text}", model="m"), tmp_path / "o")


# --- binary files: one clear message -------------------------------------------------------


@pytest.fixture
def binary_file(tmp_path: Path) -> Path:
    """Executable-like bytes: an ELF header, NULs, every byte value, some newlines."""
    source = Path("/bin/ls")
    data = source.read_bytes()[:200_000] if source.exists() else b""
    data = b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 64 + b"\n" + data
    path = tmp_path / "program"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("suffix", [".txt", ".csv", ".tsv", ".jsonl"])
def test_binary_dataset_is_one_compose_error(binary_file: Path, suffix: str) -> None:
    dataset = binary_file.with_suffix(suffix)
    shutil.copy(binary_file, dataset)

    with pytest.raises(ComposeError) as error:
        compose_file(dataset, ComposeSpec(user_template="{text}", model="m"), dataset.parent / "o")

    message = str(error.value)
    assert message.startswith(f"{dataset}") and "\n" not in message
    assert not (dataset.parent / "o").exists()  # nothing half-written


def test_binary_file_is_one_message_from_validate(binary_file: Path) -> None:
    done = run_cli("validate", str(binary_file))

    assert done.code == 1
    assert len(done.out.strip().splitlines()) <= 2, done.out[:500]
    assert "binary" in done.out


def test_binary_file_is_one_message_from_results(binary_file: Path) -> None:
    done = run_cli("results", str(binary_file))

    assert done.code == 1
    assert done.one_error_line()
    assert done.out == ""


def test_binary_file_output_is_inert_anyway(binary_file: Path) -> None:
    for command in ("validate", "results"):
        done = run_cli(command, str(binary_file))
        assert "Traceback" not in done.err
        assert_inert(done.stdout + done.stderr)


# --- a 100 MB line: bounded memory, no hang, a clear message -------------------------------

HUGE = 100 * MB
pytest_slow = pytest.mark.slow


@pytest.fixture(scope="module")
def huge_lines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 100 MB line of garbage, and a valid result row whose answer is 100 MB."""
    directory = tmp_path_factory.mktemp("huge")
    garbage = directory / "garbage.jsonl"
    with garbage.open("wb") as handle:
        handle.write(b"a" * HUGE + b"\n")
    answer = directory / "answer.jsonl"
    row = {
        "custom_id": "big",
        "response": {
            "status_code": 200,
            "body": {"choices": [{"message": {"content": "x" * HUGE}, "finish_reason": "stop"}]},
        },
        "error": None,
    }
    small = {**row, "custom_id": "small"}
    small["response"] = {"status_code": 200, "body": {"choices": [{"message": {"content": "s"}}]}}
    answer.write_text(json.dumps(row) + "\n" + json.dumps(small) + "\n")
    return {"garbage": garbage, "answer": answer}


def peak_rss(command: list[str], timeout: float = 120) -> tuple[int, bytes, bytes]:
    """Run `command`; (its peak RSS in MB, stdout, stderr), measured by a wrapper process so
    no other child counts."""
    wrapper = textwrap.dedent(
        """
        import json, resource, subprocess, sys
        done = subprocess.run(sys.argv[1:], capture_output=True)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
        sys.stdout.buffer.write(json.dumps([peak, done.returncode]).encode() + b"\\n")
        sys.stdout.buffer.write(done.stdout[:4096] + b"\\n----\\n" + done.stderr[-4096:])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *command], capture_output=True, timeout=timeout
    )
    first, _, rest = done.stdout.partition(b"\n")
    peak, _code = json.loads(first)
    stdout, _, stderr = rest.partition(b"\n----\n")
    return peak, stdout, stderr


BATCHTUI = str(Path(sys.executable).with_name("batchtui"))


@pytest_slow
@pytest.mark.parametrize("which", ["garbage", "answer"])
def test_validator_on_a_100mb_line(huge_lines: dict[str, Path], which: str) -> None:
    peak, out, _ = peak_rss([BATCHTUI, "validate", str(huge_lines[which])])

    assert peak < 150, f"validate peaked at {peak} MB"
    assert b":1: line is 104.9 MB" in out


@pytest_slow
@pytest.mark.parametrize("which", ["garbage", "answer"])
def test_results_cli_on_a_100mb_line(huge_lines: dict[str, Path], which: str) -> None:
    peak, out, _ = peak_rss([BATCHTUI, "results", str(huge_lines[which])])

    assert peak < 200, f"results peaked at {peak} MB"
    assert len(out) < MB
    assert b"104.9 MB" in out


VIEWER_SCRIPT = """
import asyncio, json, resource, sys, time
from pathlib import Path
from textual.app import App
from batchtui.tui.screens.results import ResultsScreen

class Host(App):
    def __init__(self):
        super().__init__()
        self.ascii_only = False
        self.service = self.registry = self.config = None
    def on_mount(self):
        self.push_screen(ResultsScreen(path=Path(sys.argv[1])))

async def main():
    started = time.monotonic()
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        while app.screen.source is None or not app.screen.source.complete:
            await pilot.pause(0.05)
        shown = []
        for key in ("m", "m", "J", "j", "k"):  # markdown, text, raw JSON, next, back
            await pilot.press(key)
            await pilot.pause(0.05)
        print(json.dumps({"seconds": time.monotonic() - started,
                          "rows": app.screen.source.count}))
asyncio.run(main())
"""


@pytest_slow
@pytest.mark.parametrize("which", ["garbage", "answer"])
def test_result_viewer_on_a_100mb_line(huge_lines: dict[str, Path], which: str) -> None:
    peak, out, err = peak_rss(
        [sys.executable, "-c", VIEWER_SCRIPT, str(huge_lines[which])], timeout=180
    )

    assert out.strip(), err.decode(errors="replace")[-2000:]
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["rows"] == (1 if which == "garbage" else 2)
    assert seen["seconds"] < 30, seen  # it took over two minutes before the detail was capped
    assert peak < 1200, f"the viewer peaked at {peak} MB"  # was 5 GB


def test_detail_pane_cuts_a_huge_answer() -> None:
    text = capped_text("y" * (MAX_DETAIL_CHARS * 3) + EVIL)

    assert len(text.plain) < MAX_DETAIL_CHARS + 100
    assert f"cut at {MAX_DETAIL_CHARS:,} of {MAX_DETAIL_CHARS * 3 + len(EVIL):,}" in text.plain


# --- the sanitizers, as properties -----------------------------------------------------------

hostile_text = st.text(
    st.characters(codec="utf-8")
    | st.sampled_from(["\x1b", "\x9b", "\x9d", "\x07", "\u202e", "\u2066", "\r", "]", "["]),
    max_size=40,
) | st.sampled_from([EVIL])


@given(hostile_text)
def test_the_terminal_rule_leaves_nothing_a_terminal_acts_on(text: str) -> None:
    assert_inert(inert(text))
    assert_inert(inert(text, single_line=True))
    assert "\n" not in inert(text, single_line=True)
    assert_inert(json_text({"text": text}))


@given(hostile_text, hostile_text, hostile_text, st.booleans())
def test_results_printer_is_inert_for_any_record(
    custom_id: str, answer: str, message: str, ok: bool
) -> None:
    row = {"custom_id": custom_id, "error": None}
    if ok:
        row["response"] = {
            "status_code": 200,
            "body": {"choices": [{"message": {"content": answer}}]},
        }
    else:
        row["response"] = {
            "status_code": 400,
            "body": {"error": {"message": message, "code": answer}},
        }
    record = parse_result_line(json.dumps(row))

    for glyphs in Glyphs:
        assert_inert(record_text(record, glyphs=glyphs))
    assert_inert(json_text(record_json(record)))


def test_rss_helper_measures_the_child_only() -> None:
    """The memory bound tests mean something: a child that allocates 300 MB is seen."""
    peak, _, _ = peak_rss([sys.executable, "-c", "x = bytearray(300 * 1024 * 1024); x[::4096]"])

    assert peak >= 300
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024 < peak + 2000
    assert os.path.exists(BATCHTUI)
