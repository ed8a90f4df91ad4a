"""Splitting a validated file over a provider's limits into shards within them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from batchtui.core.formats import OPENAI_LIMITS, Limits, validate_file
from batchtui.core.split import (
    SAFETY_MARGIN,
    ShardCaps,
    blocking_problems,
    needs_split,
    plan_split,
    write_shards,
)

SMALL = Limits(name="Small", max_requests=10, max_file_bytes=2_000, max_embedding_inputs=12)


def chat_line(n: int, text: str = "hi") -> str:
    body = {"model": "m", "messages": [{"role": "user", "content": f"{text} {n}"}]}
    return json.dumps(
        {"custom_id": f"r{n}", "method": "POST", "url": "/v1/chat/completions", "body": body}
    )


def write(path: Path, lines: list[str], *, final_newline: bool = True) -> Path:
    path.write_text("\n".join(lines) + ("\n" if final_newline else ""))
    return path


def test_caps_keep_a_safety_margin() -> None:
    caps = ShardCaps.from_limits(OPENAI_LIMITS)
    assert caps.requests == int(50_000 * SAFETY_MARGIN) == 47_500
    assert caps.bytes == 190_000_000
    assert ShardCaps.from_limits(Limits(name="none")) == ShardCaps(None, None, None)


def test_too_many_requests_is_split_evenly(tmp_path: Path) -> None:
    source = write(tmp_path / "in.jsonl", [chat_line(n) for n in range(25)])
    report = validate_file(source, limits=SMALL)
    assert needs_split(report) and not blocking_problems(report)
    plan = plan_split(report, SMALL)
    assert (plan.shard_count, plan.per_shard) == (3, 9)  # 25 over a cap of 9 (10 x 0.95)

    shards = write_shards(source, tmp_path / "shards", plan)

    assert [shard.requests for shard in shards] == [9, 9, 7]
    assert [shard.first_line for shard in shards] == [1, 10, 19]
    assert [shard.path.name for shard in shards] == [
        "in.shard-01-of-03.jsonl",
        "in.shard-02-of-03.jsonl",
        "in.shard-03-of-03.jsonl",
    ]
    assert b"".join(shard.path.read_bytes() for shard in shards) == source.read_bytes()
    for shard in shards:
        assert validate_file(shard.path, limits=SMALL).ok
        assert shard.path.stat().st_mode & 0o777 == 0o600


def test_bytes_cap_closes_a_shard_early_and_names_follow_the_real_count(tmp_path: Path) -> None:
    lines = [chat_line(n, "x" * (500 if n == 2 else 10)) for n in range(8)]
    source = write(tmp_path / "in.jsonl", lines, final_newline=False)
    report = validate_file(source, limits=SMALL)
    plan = plan_split(report, SMALL)  # ~1.4 kB: one shard by bytes, requests fit
    assert not needs_split(report) and plan.shard_count == 1

    tight = plan_split(report, Limits(name="Tight", max_file_bytes=800))
    shards = write_shards(source, tmp_path / "shards", tight)

    assert all(shard.bytes <= tight.caps.bytes for shard in shards)
    assert len(shards) >= tight.shard_count
    assert all(f"-of-{len(shards):02d}" in shard.path.name for shard in shards)
    assert b"".join(s.path.read_bytes() for s in shards) == source.read_bytes() + b"\n"


def test_embedding_inputs_are_counted_per_shard(tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {
                "custom_id": f"e{n}",
                "method": "POST",
                "url": "/v1/embeddings",
                "body": {"model": "text-embedding-3-small", "input": ["a", "b", "c", "d"]},
            }
        )
        for n in range(6)
    ]
    source = write(tmp_path / "emb.jsonl", lines)
    report = validate_file(source, limits=SMALL)
    assert report.embedding_inputs == 24 and needs_split(report)
    plan = plan_split(report, SMALL)  # cap 11 inputs: 24 / 11 -> 3 shards

    shards = write_shards(source, tmp_path / "shards", plan)

    assert [shard.requests for shard in shards] == [2, 2, 2]


def test_a_failure_leaves_no_shard_behind(tmp_path: Path) -> None:
    source = write(tmp_path / "in.jsonl", [chat_line(n) for n in range(25)])
    plan = plan_split(validate_file(source, limits=SMALL), SMALL)
    source.unlink()
    with pytest.raises(Exception, match=r"in\.jsonl"):
        write_shards(source, tmp_path / "shards", plan)
    assert not (tmp_path / "shards").exists()


def test_real_problems_block_and_size_problems_do_not(tmp_path: Path) -> None:
    lines = [chat_line(n) for n in range(12)] + [chat_line(3)]
    report = validate_file(write(tmp_path / "dup.jsonl", lines), limits=SMALL)
    assert needs_split(report)
    assert [problem.code for problem in blocking_problems(report)] == ["duplicate_custom_id"]
