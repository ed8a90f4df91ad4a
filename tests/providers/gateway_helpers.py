"""Inputs and checks shared by the Portkey and LiteLLM tests against the gateway flavours."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from batchtui.core.formats.results import parse_result_line
from batchtui.core.models import RemoteBatch, ResultRecord

GEMINI = "gemini-2.5-flash"
# Ids a Vertex label cannot hold as they are: upper case, `/`, non-ASCII, over 63 characters.
TRICKY_IDS = ("Request/ÉTÉ-" + "X" * 80, "UPPER.case id", "r-plain")
FAILING_ID = "will-fail"


def write_gateway_requests(path: Path, count: int = 3) -> tuple[Path, list[str]]:
    """Chat requests with tricky custom_ids, then one the simulator fails ([sim:error])."""
    ids = [*TRICKY_IDS, *(f"r{index}" for index in range(count))]
    lines = [_chat_line(custom_id, f"question {index}") for index, custom_id in enumerate(ids)]
    lines.append(_chat_line(FAILING_ID, "please fail [sim:error]"))
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path, [*ids, FAILING_ID]


def _chat_line(custom_id: str, text: str) -> dict[str, object]:
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": GEMINI, "messages": [{"role": "user", "content": text}]},
    }


def records_of(lines: list[bytes]) -> dict[str | None, ResultRecord]:
    records = [parse_result_line(line) for line in lines if line.strip()]
    by_id = {record.custom_id: record for record in records}
    assert len(by_id) == len(records), "a custom_id came back twice"
    return by_id


def assert_recent(batch: RemoteBatch, since: datetime) -> None:
    """Every timestamp set is between `since` and now: milliseconds read as milliseconds."""
    now = datetime.now(UTC) + timedelta(seconds=2)
    stamps = {name: value for name, value in batch.timestamps.items() if value is not None}
    assert stamps, "no timestamp at all"
    for name, value in stamps.items():
        assert since - timedelta(seconds=2) <= value <= now, f"{name} = {value}"
