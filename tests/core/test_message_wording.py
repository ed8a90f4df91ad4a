"""Issue 15 #22: messages that said a thing twice or the opposite of what they meant, and
one way to write progress for the CLI and the TUI."""

from __future__ import annotations

from pathlib import Path

from batchtui.core.costs import group_usage_rows, scope_text
from batchtui.core.formats.limits import Limits
from batchtui.core.formats.validate import validate_bytes
from batchtui.core.jobview import counts_text, progress_legend, progress_text
from batchtui.core.models import Job, JobGroup, RequestCounts
from batchtui.core.prices import PriceTable
from batchtui.core.registry import Registry
from batchtui.core.split import SAFETY_MARGIN, ShardCaps, SplitPlan
from batchtui.core.status import JobStatus

CHAT = '"method": "POST", "url": "/v1/chat/completions", "body": {"model": "m", "messages": []}'


def test_an_unterminated_string_says_at_column_once() -> None:
    report = validate_bytes(b'{"custom_id": "a\n')
    (problem,) = [p for p in report.problems if p.code == "invalid_json_line"]
    assert " at at " not in problem.message
    assert "starting at column" in problem.message


def test_a_duplicate_custom_id_names_the_field_once() -> None:
    text = "".join(f'{{"custom_id": "x1", {CHAT}}}\n' for _ in range(2))
    report = validate_bytes(text.encode())
    (problem,) = [p for p in report.problems if p.code == "duplicate_custom_id"]
    line = problem.describe("in.jsonl")
    assert line == "in.jsonl:2: custom_id 'x1' already used on line 1"
    assert line.count("custom_id") == 1


def test_a_split_plan_states_the_margin_it_keeps() -> None:
    limits = Limits(name="OpenAI", max_requests=100)
    plan = SplitPlan(3, 90, ShardCaps.from_limits(limits), None)
    margin = round((1 - SAFETY_MARGIN) * 100)
    assert margin == 5
    assert plan.describe(limits).endswith("5% margin)")


def shard(index: int, completed: int) -> Job:
    return Job(
        id=f"bt-word{index}",
        name=f"words [{index}/2]",
        profile="demo",
        kind="openai",
        tag=f"00000000-0000-0000-0002-{index:012d}",
        status=JobStatus.COMPLETED,
        remote_id=f"batch_w{index}",
        model="gpt-4o-mini",
        request_counts=RequestCounts(total=10, completed=completed),
        usage={"input_tokens": 1000, "output_tokens": 100},
        group_id="bg-words",
        shard_index=index,
    )


def test_a_group_cost_without_retries_says_shards_not_retries(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "registry.sqlite3")
    group = JobGroup(id="bg-words", name="words", profile="demo", shard_count=2)
    registry.add_group(group, [shard(1, 10), shard(2, 10)])
    rows = dict(group_usage_rows(registry, group, PriceTable()))
    assert "retries" not in rows["cost"] and "retry" not in rows["cost"]
    assert rows["cost"].endswith("(2 shards)")
    assert rows["tokens"] == "2,000 prompt + 200 completion"
    registry.close()


def test_scope_words() -> None:
    assert scope_text(shards=3) == "3 shards"
    assert scope_text(shards=3, retries=1) == "3 shards and 1 retry"
    assert scope_text(retries=2) == "this job and 2 retries"
    assert scope_text() == "this job"


def test_the_cli_and_the_tui_write_progress_the_same_way() -> None:
    counts = RequestCounts(total=12, completed=12, failed=0)
    assert counts_text(counts) == "12/12"
    assert progress_text(counts, width=18).startswith("12/12 ")
    failing = RequestCounts(total=100, completed=90, failed=5)
    assert counts_text(failing) == "95/100 (5 failed)"
    assert progress_text(failing, width=18).startswith("95/100 ✖5 ")
    assert progress_text(failing, width=18, ascii_only=True).startswith("95/100 x5 ")
    # The help legend explains each form shown.
    samples = [sample for sample, _meaning in progress_legend()]
    assert "95/100" in samples and "95/100 ✖5" in samples
