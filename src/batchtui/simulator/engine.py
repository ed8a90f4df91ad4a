"""The Files and Batch operations, independent of HTTP, returning OpenAI-shaped objects.

Objects follow the official spec (`OpenAIFile`, `Batch`, list and delete responses) field by
field. A flavour (see `flavors/`) may reshape them for a gateway's wire format; this module
always speaks OpenAI.

Results: when a batch reaches a terminal status its output and error files are written once,
with ids derived from the batch id, so writing them again (two readers, a crash half-way)
gives the same files. Requests that never ran go to the error file with code `batch_expired`
or `batch_cancelled` and, as on the live service, are not counted in `request_counts.failed`.
Sharp edges kept on purpose: `completed` with `output_file_id: null` when every request
failed; `error_file_id: null` when none did.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from batchtui.simulator import lifecycle
from batchtui.simulator.options import SimulatorOptions
from batchtui.simulator.responder import Outcome, respond, short_hash, unrun_row
from batchtui.simulator.store import Store
from batchtui.simulator.validation import (
    MAX_INPUT_BYTES,
    CreateBatchParams,
    RequestInvalid,
    check_input_file,
    not_found,
)

BATCH_INPUT_DEFAULT_EXPIRY = 30 * 24 * 3600
MAX_UPLOAD_BYTES = 512 * 1024 * 1024
FILES_LIST_LIMIT = (1, 10_000, 10_000)  # min, max, default
BATCHES_LIST_LIMIT = (1, 100, 20)
CACHED_PLANS = 64  # plans of running batches kept in memory (a 50,000-request plan is ~2 MB)


@dataclass(frozen=True)
class Plan:
    """Per-request outcomes of a valid batch, with prefix sums for counts at any moment."""

    failed_positions: list[int]  # sorted input positions (0-based) of requests that fail
    input_prefix: list[int]  # input tokens of successful requests among the first i
    output_prefix: list[int]

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> Plan:
        input_prefix, output_prefix = [0], [0]
        for tokens_in, tokens_out in zip(
            stored["input_tokens"], stored["output_tokens"], strict=True
        ):
            input_prefix.append(input_prefix[-1] + tokens_in)
            output_prefix.append(output_prefix[-1] + tokens_out)
        return cls(stored["failed_positions"], input_prefix, output_prefix)

    def failed_among_first(self, done: int) -> int:
        return bisect_right(self.failed_positions, done - 1)


class SimulatorEngine:
    def __init__(
        self, options: SimulatorOptions, store: Store, clock: Callable[[], float] = time.time
    ) -> None:
        self.options = options
        self.store = store
        self.clock = clock
        self._lock = threading.RLock()
        self._plans: dict[str, Plan] = {}

    # -- files -------------------------------------------------------------------------------

    def create_file(
        self,
        handle: BinaryIO,
        temp_path: Path,
        *,
        filename: str,
        size: int,
        purpose: str,
        expires_after: int | None,
    ) -> dict[str, Any]:
        """Keep an uploaded blob (already streamed to `temp_path`) as a new File."""
        if size > MAX_UPLOAD_BYTES:
            raise RequestInvalid("File is too large: at most 512 MB.", param="file")
        if purpose == "batch":
            if not filename.endswith(".jsonl"):
                raise RequestInvalid(
                    f"Invalid file format for Batch API: {filename!r}. Must be .jsonl",
                    param="file",
                )
            if size > MAX_INPUT_BYTES:
                raise RequestInvalid("Batch input files are limited to 200 MB.", param="file")
        created_at = int(self.clock())
        if expires_after is None and purpose == "batch":
            expires_after = BATCH_INPUT_DEFAULT_EXPIRY
        file_object = _file_object(
            f"file-{secrets.token_hex(12)}",
            size=size,
            created_at=created_at,
            filename=filename,
            purpose=purpose,
            expires_at=None if expires_after is None else created_at + expires_after,
        )
        self.store.commit_blob(handle, temp_path, file_object["id"])
        self.store.save_file(file_object, self.store.next_seq())
        return file_object

    def get_file(self, file_id: str) -> dict[str, Any]:
        file_object = self.store.get_file(file_id)
        if file_object is None:
            raise not_found("File", file_id)
        return file_object

    def list_files(
        self, *, purpose: str | None, limit: str | None, order: str | None, after: str | None
    ) -> dict[str, Any]:
        self.settle_all()
        size = _parse_limit(limit, *FILES_LIST_LIMIT)
        if order not in (None, "asc", "desc"):
            raise RequestInvalid(
                f"Invalid value for 'order': {order!r}; 'asc' or 'desc'.", param="order"
            )
        files = self.store.list_files()
        if order != "asc":
            files.reverse()
        if purpose:
            files = [f for f in files if f["purpose"] == purpose]
        return _page(files, after=after, limit=size)

    def delete_file(self, file_id: str) -> dict[str, Any]:
        if not self.store.delete_file(file_id):
            raise not_found("File", file_id)
        return {"id": file_id, "object": "file", "deleted": True}

    def file_content_path(self, file_id: str) -> Path:
        self.get_file(file_id)
        path = self.store.blob_path(file_id)
        if not path.is_file():
            raise not_found("File", file_id)
        return path

    # -- batches -----------------------------------------------------------------------------

    def create_batch(self, params: CreateBatchParams) -> dict[str, Any]:
        input_file = self.store.get_file(params.input_file_id)
        if input_file is None:
            raise not_found("File", params.input_file_id, param="input_file_id")
        if input_file["purpose"] != "batch":
            raise RequestInvalid(
                f"Invalid 'input_file_id': {params.input_file_id} has purpose "
                f"{input_file['purpose']!r}; a batch needs a file uploaded with purpose 'batch'.",
                param="input_file_id",
            )
        check = check_input_file(
            self.store.blob_path(params.input_file_id), params.endpoint, self.options.models
        )
        now = self.clock()
        batch_id = f"batch_{secrets.token_hex(16)}"
        timeline = lifecycle.Timeline(
            created_at=now,
            phase_seconds=self.options.phase_seconds,
            speed=self.options.speed,
            expire_after=self.options.expire_after,
            total=len(check.requests),
            validation_failed=bool(check.errors),
        )
        if not check.errors:
            self._prepare_results(batch_id, params.endpoint, timeline, check.requests)
        record = {
            "id": batch_id,
            "seq": self.store.next_seq(),
            "endpoint": params.endpoint,
            "input_file_id": params.input_file_id,
            "completion_window": params.completion_window,
            "metadata": params.metadata,
            "model": check.model if not check.errors else None,
            "output_expires_after_seconds": params.output_expires_after_seconds,
            "created_at": now,
            "phase_seconds": timeline.phase_seconds,
            "speed": timeline.speed,
            "expire_after": timeline.expire_after,
            "total": timeline.total,
            "validation_errors": check.errors or None,
            "cancel_requested_at": None,
            "output_file_id": None,
            "error_file_id": None,
            "settled": False,
        }
        self.store.save_batch(record)
        return self._render(record, now)

    def get_batch(self, batch_id: str) -> dict[str, Any]:
        record = self.store.get_batch(batch_id)
        if record is None:
            raise not_found("Batch", batch_id)
        return self._render(record, self.clock())

    def list_batches(self, *, after: str | None, limit: str | None) -> dict[str, Any]:
        size = _parse_limit(limit, *BATCHES_LIST_LIMIT)
        now = self.clock()
        records = self.store.list_batches()
        records.reverse()  # newest first
        if after is not None and not any(r["id"] == after for r in records):
            raise RequestInvalid(f"Invalid 'after': no batch {after!r}.", param="after")
        page = _page(records, after=after, limit=size)
        page["data"] = [self._render(record, now) for record in page["data"]]
        return page

    def cancel_batch(self, batch_id: str) -> dict[str, Any]:
        with self._lock:
            record = self.store.get_batch(batch_id)
            if record is None:
                raise not_found("Batch", batch_id)
            now = self.clock()
            state = lifecycle.status_at(_timeline(record), now)
            if state.status in ("cancelling", "cancelled"):
                return self._render(record, now)
            if state.terminal:
                raise RequestInvalid(
                    f"Cannot cancel a batch with status '{state.status}'.", code="invalid_state"
                )
            record["cancel_requested_at"] = now
            self.store.save_batch(record)
            return self._render(record, now)

    def settle_all(self) -> None:
        """Write the result files of every batch that has ended (they appear in GET /files)."""
        now = self.clock()
        for record in self.store.list_batches():
            if not record["settled"]:
                self._render(record, now)

    # -- internals ---------------------------------------------------------------------------

    def _request_cancel(
        self, record: dict[str, Any], refusal: Callable[[lifecycle.BatchState], Exception]
    ) -> None:
        """Record a cancel request on a batch not yet ended (asking again changes nothing);
        `refusal(state)` is raised for one that has. The caller holds `_lock`."""
        now = self.clock()
        state = lifecycle.status_at(_timeline(record), now)
        if state.status in ("cancelling", "cancelled"):
            return
        if state.terminal:
            raise refusal(state)
        record["cancel_requested_at"] = now
        self.store.save_batch(record)

    def _settled_state(self, record: dict[str, Any]) -> tuple[dict[str, Any], lifecycle.BatchState]:
        """The record (its result files written once it has ended) and its state now."""
        now = self.clock()
        state = lifecycle.status_at(_timeline(record), now)
        if state.terminal and not record["settled"]:
            record = self._settle(record["id"], now)
        return record, state

    def _prepare_results(
        self,
        batch_id: str,
        endpoint: str,
        timeline: lifecycle.Timeline,
        requests: list[Any],
    ) -> None:
        """Answer every request now (answers depend only on the request and when it runs)."""
        start = timeline.created_at + timeline.phase_seconds

        def outcomes() -> Iterator[Outcome]:
            for position, request in enumerate(requests):
                ran_at = start + (position + 1) / timeline.speed  # as `lifecycle.done_by`
                yield respond(
                    endpoint,
                    request.custom_id,
                    request.body,
                    batch_id=batch_id,
                    created=int(ran_at),
                )

        self._store_outcomes(batch_id, outcomes())

    def _store_outcomes(self, batch_id: str, outcomes: Iterable[Outcome]) -> None:
        """Write the rows of a batch's outcomes, in input order, and keep its plan (which
        requests fail, and their tokens); streamed, so a large batch is never held whole."""
        failed_positions: list[int] = []
        input_tokens: list[int] = []
        output_tokens: list[int] = []

        def rows() -> Iterator[dict[str, Any]]:
            for position, outcome in enumerate(outcomes):
                if not outcome.succeeded:
                    failed_positions.append(position)
                input_tokens.append(outcome.input_tokens)
                output_tokens.append(outcome.output_tokens)
                yield _string_body(outcome.row) if self.options.json_string_bodies else outcome.row

        self.store.write_rows(batch_id, rows())
        stored = {
            "failed_positions": failed_positions,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
        }
        self.store.save_plan(batch_id, stored)
        self._cache_plan(batch_id, Plan.from_stored(stored))

    def _cache_plan(self, batch_id: str, plan: Plan) -> None:
        with self._lock:
            self._plans.pop(batch_id, None)
            self._plans[batch_id] = plan
            while len(self._plans) > CACHED_PLANS:
                del self._plans[next(iter(self._plans))]  # least recently used

    def _plan(self, batch_id: str) -> Plan:
        with self._lock:
            plan = self._plans.get(batch_id)
        if plan is None:
            stored = self.store.load_plan(batch_id)
            if stored is None:
                raise RuntimeError(f"simulator data dir is missing the plan of {batch_id}")
            plan = Plan.from_stored(stored)
        self._cache_plan(batch_id, plan)
        return plan

    def _render(self, record: dict[str, Any], now: float) -> dict[str, Any]:
        state = lifecycle.status_at(_timeline(record), now)
        if state.terminal and not record["settled"]:
            record = self._settle(record["id"], now)
            state = lifecycle.status_at(_timeline(record), now)
        return _batch_object(record, state, self._counts(record, state))

    def _counts(self, record: dict[str, Any], state: lifecycle.BatchState) -> dict[str, Any]:
        if record["validation_errors"] or state.status == "validating":
            return {"total": 0, "completed": 0, "failed": 0, "input_tokens": 0, "output_tokens": 0}
        plan = self._plan(record["id"])
        failed = plan.failed_among_first(state.done)
        return {
            "total": record["total"],
            "completed": state.done - failed,
            "failed": failed,
            "input_tokens": plan.input_prefix[state.done],
            "output_tokens": plan.output_prefix[state.done],
        }

    def _settle(self, batch_id: str, now: float) -> dict[str, Any]:
        """Write the output and error files of an ended batch, once."""
        with self._lock:
            record = self.store.get_batch(batch_id)
            assert record is not None
            if record["settled"]:
                return record
            state = lifecycle.status_at(_timeline(record), now)
            if not record["validation_errors"]:
                self._write_result_files(record, state)
            record["settled"] = True
            self.store.save_batch(record)
            return record

    def _write_result_files(self, record: dict[str, Any], state: lifecycle.BatchState) -> None:
        batch_id = record["id"]
        unrun_code = {"expired": "batch_expired", "cancelled": "batch_cancelled"}.get(state.status)
        failed = set(self._plan(batch_id).failed_positions)
        output_lines: list[bytes] = []
        error_lines: list[bytes] = []
        with self.store.rows_path(batch_id).open("rb") as rows:
            for position, line in enumerate(rows):
                if position < state.done:
                    (error_lines if position in failed else output_lines).append(line)
                elif unrun_code is not None:
                    custom_id = json.loads(line)["custom_id"]
                    row = unrun_row(batch_id, custom_id, unrun_code)
                    error_lines.append(json.dumps(row, separators=(",", ":")).encode() + b"\n")
        ended_at = int(state.ended_at or self.clock())
        for kind, lines in (("output", output_lines), ("error", error_lines)):
            if not lines:
                record[f"{kind}_file_id"] = None
                continue
            file_id = f"file-{short_hash(batch_id, kind)}"
            size = self.store.write_blob(file_id, iter(lines))
            expires_after = record["output_expires_after_seconds"]
            self.store.save_file(
                _file_object(
                    file_id,
                    size=size,
                    created_at=ended_at,
                    filename=f"{batch_id}_{kind}.jsonl",
                    purpose="batch_output",
                    expires_at=None if expires_after is None else ended_at + expires_after,
                ),
                self.store.next_seq(),
            )
            record[f"{kind}_file_id"] = file_id


def _timeline(record: dict[str, Any]) -> lifecycle.Timeline:
    return lifecycle.Timeline(
        created_at=record["created_at"],
        phase_seconds=record["phase_seconds"],
        speed=record["speed"],
        expire_after=record["expire_after"],
        total=record["total"],
        validation_failed=bool(record["validation_errors"]),
        cancel_requested_at=record["cancel_requested_at"],
    )


def _seconds(moment: float | None) -> int | None:
    return None if moment is None else int(moment)


def _batch_object(
    record: dict[str, Any], state: lifecycle.BatchState, counts: dict[str, Any]
) -> dict[str, Any]:
    errors = record["validation_errors"]
    batch: dict[str, Any] = {
        "id": record["id"],
        "object": "batch",
        "endpoint": record["endpoint"],
        "errors": {"object": "list", "data": errors}
        if errors and state.status == "failed"
        else None,
        "input_file_id": record["input_file_id"],
        "completion_window": record["completion_window"],
        "status": state.status,
        "output_file_id": record["output_file_id"] if state.terminal else None,
        "error_file_id": record["error_file_id"] if state.terminal else None,
        "created_at": int(record["created_at"]),
        "in_progress_at": _seconds(state.in_progress_at),
        "expires_at": int(record["created_at"] + record["expire_after"]),
        "finalizing_at": _seconds(state.finalizing_at),
        "completed_at": _seconds(state.completed_at),
        "failed_at": _seconds(state.failed_at),
        "expired_at": _seconds(state.expired_at),
        "cancelling_at": _seconds(state.cancelling_at),
        "cancelled_at": _seconds(state.cancelled_at),
        "request_counts": {
            "total": counts["total"],
            "completed": counts["completed"],
            "failed": counts["failed"],
        },
        "usage": {
            "input_tokens": counts["input_tokens"],
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": counts["output_tokens"],
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": counts["input_tokens"] + counts["output_tokens"],
        },
        "metadata": record["metadata"],
    }
    if record["model"]:
        batch["model"] = record["model"]
    return batch


def _file_object(
    file_id: str, *, size: int, created_at: int, filename: str, purpose: str, expires_at: int | None
) -> dict[str, Any]:
    return {
        "id": file_id,
        "object": "file",
        "bytes": size,
        "created_at": created_at,
        "expires_at": expires_at,
        "filename": filename,
        "purpose": purpose,
        "status": "processed",
        "status_details": None,
    }


def _parse_limit(raw: str | None, low: int, high: int, default: int) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise RequestInvalid(
            f"Invalid 'limit': {raw!r}; an integer from {low} to {high}.", param="limit"
        )
    return value


def _page(items: list[dict[str, Any]], *, after: str | None, limit: int) -> dict[str, Any]:
    """One page of `items` (already in answer order) after the object with id `after`."""
    if after is not None:
        ids = [item["id"] for item in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    data = items[:limit]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": len(items) > limit,
    }


def _string_body(row: dict[str, Any]) -> dict[str, Any]:
    """The row with `response.body` JSON-encoded in a string, as some OpenAI-compatible
    batch servers write it."""
    response = row.get("response")
    if not isinstance(response, dict) or not isinstance(response.get("body"), dict):
        return row
    return {**row, "response": {**response, "body": json.dumps(response["body"])}}
