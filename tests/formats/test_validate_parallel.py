"""Validation on several processes gives the report one pass gives: the same problems,
in the same order, with the same line numbers and messages, and the same estimate."""

from __future__ import annotations

import json
import resource
import threading
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batchtui.core.formats import validate_file
from batchtui.core.formats.limits import OPENAI_LIMITS, Limits
from batchtui.core.formats.parallel import region_starts, usable_workers, validate_in_regions
from batchtui.core.formats.validate import ValidationReport

SAME = settings(
    deadline=None,
    max_examples=30,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def chat_line(custom_id: str, content: str, **body: Any) -> str:
    request = {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": content}],
            **body,
        },
    }
    return json.dumps(request)


def clean_lines(count: int, content_size: int = 900) -> list[str]:
    words = "alpha beta gamma delta 42 epsilon, zeta; eta\ttheta "
    text = words * (content_size // len(words) + 1)
    return [chat_line(f"req-{index}", text[: content_size + index]) for index in range(count)]


def both(
    path: Path,
    *,
    workers: int = 3,
    min_region: int = 4000,
    limits: Limits = OPENAI_LIMITS,
    window: int | None = None,
) -> tuple[ValidationReport, ValidationReport]:
    def context_window(model: str) -> int | None:
        return window

    lookup = context_window if window is not None else None
    single = validate_file(path, estimate=True, limits=limits, context_window=lookup)
    with open(path, "rb") as stream:
        size = path.stat().st_size
        split = validate_in_regions(
            path,
            stream,
            size,
            workers=workers,
            limits=limits,
            max_problems=1000,
            estimate=True,
            context_window=lookup,
            min_region=min_region,
        )
    split.path = path
    return single, split


def assert_same(path: Path, **options: Any) -> ValidationReport:
    single, split = both(path, **options)
    assert split.to_json() == single.to_json()
    assert split.problems == single.problems
    assert split.estimate == single.estimate
    return split


def write(path: Path, lines: list[str], *, newline_at_end: bool = True) -> Path:
    path.write_text("\n".join(lines) + ("\n" if newline_at_end else ""), encoding="utf-8")
    return path


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def test_a_clean_file_is_read_by_child_processes_to_the_same_report(tmp_path: Path) -> None:
    lines = clean_lines(400)
    lines[-1] = chat_line("longest", "many more words " * 400)
    path = write(tmp_path / "in.jsonl", lines)
    before = children_cpu_seconds()
    report = assert_same(path, workers=4, min_region=20_000)
    assert report.ok and report.lines == 400
    assert report.estimate is not None and report.estimate.requests == 400
    # The last request is the longest: its line is named from a child's region.
    assert report.estimate.largest_input_line == 400
    assert children_cpu_seconds() > before
    with open(path, "rb") as stream:
        assert len(region_starts(stream, path.stat().st_size, 4, 20_000)) == 4


def test_regions_start_after_a_newline(tmp_path: Path) -> None:
    path = write(tmp_path / "in.jsonl", clean_lines(100))
    data = path.read_bytes()
    with open(path, "rb") as stream:
        starts = region_starts(stream, len(data), 4, 1000)
    assert starts[0] == 0 and len(starts) == 4
    assert all(data[start - 1 : start] == b"\n" for start in starts[1:])
    with open(path, "rb") as stream:
        assert region_starts(stream, len(data), 4, len(data)) == [0]


def test_a_custom_id_used_in_an_earlier_region_is_named_with_its_first_line(
    tmp_path: Path,
) -> None:
    lines = clean_lines(300)
    lines[280] = chat_line("req-5", "again")
    report = assert_same(write(tmp_path / "in.jsonl", lines))
    assert [problem.line for problem in report.problems] == [281]
    assert "already used on line 6" in report.problems[0].message


def test_problems_only_in_the_last_region_come_in_order(tmp_path: Path) -> None:
    lines = clean_lines(300)
    lines[250] = "{not json"
    lines[260] = ""
    lines[270] = chat_line("other-model", "x", model="gpt-4o")
    lines[290] = lines[290][:-1]
    report = assert_same(write(tmp_path / "in.jsonl", lines))
    assert [problem.line for problem in report.problems] == [251, 261, 271, 291]


def test_crlf_in_a_later_region_is_the_same_warning(tmp_path: Path) -> None:
    lines = clean_lines(300)
    lines[200] += "\r"
    lines[201] += "\r"
    report = assert_same(write(tmp_path / "in.jsonl", lines))
    assert report.counts_by_code == {"crlf": 1} and report.problems[0].line == 201


def test_the_request_limit_crossed_in_a_later_region(tmp_path: Path) -> None:
    limits = Limits(name="tiny", endpoints=OPENAI_LIMITS.endpoints, max_requests=250)
    report = assert_same(write(tmp_path / "in.jsonl", clean_lines(300)), limits=limits)
    assert report.counts_by_code == {"too_many_tasks": 1}
    assert report.problems[0].line == 251


def test_a_context_window_exceeded_in_a_later_region(tmp_path: Path) -> None:
    lines = clean_lines(300, content_size=200)
    lines[260] = chat_line("huge", "word " * 3000)
    report = assert_same(write(tmp_path / "in.jsonl", lines), window=2000)
    assert report.counts_by_code == {"context_window_exceeded": 1}
    assert report.problems[0].line == 261


def test_files_that_cannot_be_split_are_read_in_one_pass(tmp_path: Path) -> None:
    embeddings = [
        json.dumps(
            {
                "custom_id": f"e{index}",
                "method": "POST",
                "url": "/v1/embeddings",
                "body": {"model": "text-embedding-3-small", "input": "x" * 500},
            }
        )
        for index in range(200)
    ]
    assert_same(write(tmp_path / "embed.jsonl", embeddings))
    no_newline = clean_lines(200)
    assert_same(write(tmp_path / "end.jsonl", no_newline, newline_at_end=False))
    binary = clean_lines(200)
    binary[2] = "\x00" * 10
    assert_same(write(tmp_path / "nul.jsonl", binary))
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + write(tmp_path / "x.jsonl", clean_lines(200)).read_bytes())
    assert_same(bom)
    assert_same(write(tmp_path / "empty.jsonl", [], newline_at_end=False))


def test_equal_largest_inputs_name_the_first(tmp_path: Path) -> None:
    lines = [chat_line(f"id-{index}", "same words " * 100) for index in range(300)]
    report = assert_same(write(tmp_path / "in.jsonl", lines))
    assert report.estimate is not None and report.estimate.largest_input_line == 1


line_kinds = st.sampled_from(
    ["clean", "clean", "clean", "clean", "dup", "bad", "blank", "crlf", "model", "long"]
)


@SAME
@given(
    kinds=st.lists(line_kinds, min_size=1, max_size=60),
    workers=st.integers(2, 4),
    min_region=st.integers(300, 6000),
)
def test_any_file_gives_the_single_pass_report(
    tmp_path_factory: Any, kinds: list[str], workers: int, min_region: int
) -> None:
    lines = []
    for index, kind in enumerate(kinds):
        line = chat_line(f"r{index}", f"text {index} " * (index % 7 + 20))
        if kind == "dup":
            line = chat_line(f"r{index // 2}", "dup")
        elif kind == "bad":
            line = line[:-3]
        elif kind == "blank":
            line = ""
        elif kind == "crlf":
            line += "\r"
        elif kind == "model":
            line = chat_line(f"m{index}", "x", model="gpt-4o")
        elif kind == "long":
            line = chat_line(f"l{index}", "long " * 2000, max_tokens=100)
        lines.append(line)
    path = write(tmp_path_factory.mktemp("split") / "in.jsonl", lines)
    assert_same(path, workers=workers, min_region=min_region, window=4000)


def test_no_fork_while_another_thread_runs() -> None:
    assert usable_workers(limit=1) == 1
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert usable_workers() == 1
    finally:
        stop.set()
        thread.join()


def test_a_custom_id_first_used_in_a_child_region_is_named_with_its_line(tmp_path: Path) -> None:
    lines = clean_lines(300)
    lines[-1] = chat_line("req-000", "again")  # an id as long as the one it will be
    data = write(tmp_path / "in.jsonl", lines).read_bytes()
    with open(tmp_path / "in.jsonl", "rb") as stream:
        starts = region_starts(stream, len(data), 3, 4000)
    assert len(starts) == 3
    # The last line of the second region, used again in the third.
    last_of_second = data[: starts[2]].count(b"\n")
    assert 100 < last_of_second < 300
    lines[-1] = chat_line(f"req-{last_of_second - 1}", "again")
    report = assert_same(write(tmp_path / "in.jsonl", lines))
    assert f"already used on line {last_of_second}" in report.problems[0].message
