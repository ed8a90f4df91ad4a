"""The Gemini Developer API's Files and batch mode (providers.md §4), independent of HTTP.

Batches run on the OpenAI engine's store, plans, lifecycle and settling; only the shapes are
Gemini's:

- A batch is answered as a long-running Operation whose `metadata` is the batch (§4.3):
  `state` BATCH_STATE_PENDING (lifecycle `validating`), RUNNING (`in_progress`, `finalizing`),
  SUCCEEDED, FAILED, CANCELLED, EXPIRED. Gemini has no CANCELLING: after `:cancel` the batch
  keeps the state it had until it is CANCELLED. `done: true` only once it has ended.
- `batchStats` counts are int64 strings, left out while 0 (§4.3).
- File input (`inputConfig.fileName`): JSONL lines `{"key", "request"}`; the result is the
  file `files/batch-<id>` (`output.responsesFile`) with one `{"key", "response"|"error"}` row
  per request that ran, in input order; `error` is `{"code": HTTP code, "message",
  "status"}`. A line that is not a JSON object with a `request` object, or an empty file,
  fails the batch (Operation `error`, code 3).
- Inline input (`inputConfig.requests.requests`, each `{"request", "metadata": {"key"}}`):
  the results are in `output.inlinedResponses.inlinedResponses`, in input order, each
  `{"response"|"error", "metadata"}`, `error` being a google.rpc.Status (numeric code); the
  output is in both `metadata.output` and `response`, as a forum report says (§4.3).
- Requests of a cancelled or expired batch that never ran have no row.
- Batch ids are 36 characters, so the result file's id (`batch-<id>`, 42) fails the Files
  API's 40-character check on `GET files/{id}` (§6 item 18); download works.
- Delete hides the batch (its result file stays); a batch not yet ended is cancelled first.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batchtui.simulator import lifecycle
from batchtui.simulator.engine import SimulatorEngine, _timeline
from batchtui.simulator.flavors.gemini_answers import generate
from batchtui.simulator.flavors.vertex_engine import last_change, rfc3339
from batchtui.simulator.google.errors import RPC_CODES, GoogleError
from batchtui.simulator.request_lines import read_request_lines
from batchtui.simulator.responder import Outcome

RECORD_PREFIX = "batch_gemini_"
BATCH_ID_LENGTH = 36
FILE_ID_LENGTH = 12
FILE_ID_CHECK = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")
FILE_LIFETIME = 48 * 3600
DEFAULT_PAGE_SIZE = 50
TYPE_PREFIX = "type.googleapis.com/google.ai.generativelanguage.v1main."
STATE_OF_STATUS = {
    "validating": "BATCH_STATE_PENDING",
    "in_progress": "BATCH_STATE_RUNNING",
    "finalizing": "BATCH_STATE_RUNNING",
    "completed": "BATCH_STATE_SUCCEEDED",
    "failed": "BATCH_STATE_FAILED",
    "expired": "BATCH_STATE_EXPIRED",
    "cancelled": "BATCH_STATE_CANCELLED",
}


@dataclass(frozen=True)
class OperationPage:
    operations: list[dict[str, Any]]
    next_page_token: str | None


def random_id(length: int) -> str:
    return base64.b32encode(secrets.token_bytes(length)).decode().lower()[:length]


def _line(row: dict[str, Any]) -> bytes:
    return json.dumps(row, separators=(",", ":")).encode() + b"\n"


class GeminiEngine(SimulatorEngine):
    # -- files -------------------------------------------------------------------------------

    def save_file(
        self,
        chunks: Iterable[bytes],
        *,
        display_name: str | None,
        mime_type: str,
        file_id: str | None = None,
        source: str = "UPLOADED",
    ) -> dict[str, Any]:
        file_id = file_id or random_id(FILE_ID_LENGTH)
        digest = hashlib.sha256()

        def hashed() -> Iterator[bytes]:
            for chunk in chunks:
                digest.update(chunk)
                yield chunk

        size = self.store.write_blob(file_id, hashed())
        record = {
            "id": file_id,
            "kind": "gemini_file",
            "display_name": display_name,
            "mime_type": mime_type,
            "bytes": size,
            "sha256": digest.hexdigest(),
            "created_at": self.clock(),
            "source": source,
        }
        self.store.save_file(record, self.store.next_seq())
        return record

    def find_file(self, file_id: str) -> dict[str, Any]:
        record = self.store.get_file(file_id)
        if record is None or record.get("kind") != "gemini_file":
            raise GoogleError(
                403,
                f"You do not have permission to access the File {file_id} or it may not exist.",
            )
        return record

    def checked_file(self, file_id: str) -> dict[str, Any]:
        """`files.get`: the Files API's id check first (§6 item 18), then the file."""
        if not FILE_ID_CHECK.fullmatch(file_id):
            raise GoogleError(
                400,
                "* GetFileRequest.name: File name may only contain lowercase alphanumeric "
                "characters or dashes (-), cannot begin or end with a dash, and must be at "
                "most 40 characters long.",
            )
        return self.find_file(file_id)

    def file_path(self, file_id: str) -> Path:
        self.find_file(file_id)
        return self.store.blob_path(file_id)

    def list_files(
        self, page_size: int, page_token: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        records = [r for r in self.store.list_files() if r.get("kind") == "gemini_file"]
        records.reverse()
        return _page(records, "id", page_size, page_token)

    def delete_file(self, file_id: str) -> None:
        self.find_file(file_id)
        self.store.delete_file(file_id)

    # -- batches -----------------------------------------------------------------------------

    def create_batch(self, model: str, body: Any) -> dict[str, Any]:
        batch = body.get("batch") if isinstance(body, dict) else None
        if not isinstance(batch, dict):
            raise GoogleError(400, 'Invalid JSON payload: the body must be {"batch": {...}}.')
        if self.options.models is not None and model not in self.options.models:
            raise GoogleError(
                404,
                f"models/{model} is not found for API version v1beta, or is not supported "
                "for batchGenerateContent. Call ListModels to see the list of available "
                "models and their supported methods.",
            )
        display_name = batch.get("displayName", batch.get("display_name"))
        if not isinstance(display_name, str) or not display_name:
            raise GoogleError(400, "* GenerateContentBatch.display_name: is required.")
        config = batch.get("inputConfig", batch.get("input_config"))
        if not isinstance(config, dict):
            raise GoogleError(400, "* GenerateContentBatch.input_config: is required.")
        file_name = config.get("fileName", config.get("file_name"))
        if file_name is not None:
            lines, error = self._read_input_file(str(file_name))
            inline = False
        else:
            lines, error = _inline_lines(config.get("requests")), None
            inline = True
        now = self.clock()
        gemini_id = random_id(BATCH_ID_LENGTH)
        record: dict[str, Any] = {
            "id": RECORD_PREFIX + gemini_id,
            "kind": "gemini",
            "gemini_id": gemini_id,
            "seq": self.store.next_seq(),
            "display_name": display_name,
            "model": model,
            "file_name": file_name,
            "inline": inline,
            "priority": str(batch.get("priority", "0")),
            "created_at": now,
            "phase_seconds": self.options.phase_seconds,
            "speed": self.options.speed,
            "expire_after": self.options.expire_after,
            "total": len(lines),
            "validation_errors": [error] if error else None,
            "cancel_requested_at": None,
            "responses_file": None,
            "inline_results": None,
            "output_file_id": None,
            "error_file_id": None,
            "settled": False,
            "deleted": False,
        }
        if not error:
            self._prepare_rows(record, lines)
        self.store.save_batch(record)
        return self.operation(record)

    def find_batch(self, gemini_id: str) -> dict[str, Any]:
        record = self.store.get_batch(RECORD_PREFIX + gemini_id) if gemini_id.isalnum() else None
        if record is None or record.get("deleted"):
            raise GoogleError(404, f"Batch batches/{gemini_id} not found.")
        return record

    def get_batch(self, gemini_id: str) -> dict[str, Any]:
        return self.operation(self.find_batch(gemini_id))

    def list_batches(self, page_size: int, page_token: str | None) -> OperationPage:
        records = [
            r
            for r in self.store.list_batches()
            if r.get("kind") == "gemini" and not r.get("deleted")
        ]
        records.reverse()
        page, token = _page(records, "gemini_id", page_size, page_token)
        return OperationPage([self.operation(r) for r in page], token)

    def cancel_batch(self, gemini_id: str) -> None:
        with self._lock:
            record = self.find_batch(gemini_id)
            self._request_cancel(
                record,
                lambda state: GoogleError(
                    400,
                    f"Batch batches/{gemini_id} has already ended "
                    f"({self._state(record, state)}) and cannot be cancelled.",
                    status_name="FAILED_PRECONDITION",
                ),
            )

    def delete_batch(self, gemini_id: str) -> None:
        with self._lock:
            record = self.find_batch(gemini_id)
            state = lifecycle.status_at(_timeline(record), self.clock())
            if not state.terminal and record["cancel_requested_at"] is None:
                record["cancel_requested_at"] = self.clock()
            record["deleted"] = True
            self.store.save_batch(record)

    def operation(self, record: dict[str, Any]) -> dict[str, Any]:
        record, state = self._settled_state(record)
        name = "batches/" + record["gemini_id"]
        metadata: dict[str, Any] = {
            "@type": TYPE_PREFIX + "GenerateContentBatch",
            "name": name,
            "model": "models/" + record["model"],
            "displayName": record["display_name"],
            "inputConfig": {"fileName": record["file_name"]}
            if record["file_name"]
            else {"requests": {}},
            "state": self._state(record, state),
            "createTime": rfc3339(record["created_at"]),
            "updateTime": rfc3339(last_change(record, state)),
            "batchStats": self._stats(record, state),
            "priority": record["priority"],
        }
        if state.ended_at is not None:
            metadata["endTime"] = rfc3339(state.ended_at)
        operation: dict[str, Any] = {"name": name, "metadata": metadata}
        if not state.terminal:
            return operation
        operation["done"] = True
        if record["validation_errors"]:
            operation["error"] = record["validation_errors"][0]
            return operation
        output = self._output(record)
        if output is not None:
            metadata["output"] = output
            operation["response"] = {"@type": TYPE_PREFIX + "GenerateContentBatchOutput", **output}
        return operation

    # -- internals ---------------------------------------------------------------------------

    def _state(self, record: dict[str, Any], state: lifecycle.BatchState) -> str:
        if state.status == "cancelling":  # Gemini shows no CANCELLING (§4.6)
            return "BATCH_STATE_RUNNING" if state.in_progress_at else "BATCH_STATE_PENDING"
        return STATE_OF_STATUS[state.status]

    def _stats(self, record: dict[str, Any], state: lifecycle.BatchState) -> dict[str, str]:
        total = record["total"]
        failed = (
            0
            if record["validation_errors"]
            else self._plan(record["id"]).failed_among_first(state.done)
        )
        counts = {
            "requestCount": total,
            "successfulRequestCount": state.done - failed,
            "failedRequestCount": failed,
            "pendingRequestCount": 0 if state.terminal else total - state.done,
        }
        return {key: str(value) for key, value in counts.items() if value}

    def _output(self, record: dict[str, Any]) -> dict[str, Any] | None:
        if record["responses_file"]:
            return {"responsesFile": "files/" + record["responses_file"]}
        if record["inline_results"]:
            path = self.store.blob_path(record["inline_results"])
            with path.open("rb") as rows:
                results = [json.loads(line) for line in rows]
            return {"inlinedResponses": {"inlinedResponses": results}}
        return None

    def _read_input_file(
        self, file_name: str
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        file_id = file_name.removeprefix("files/")
        record = self.store.get_file(file_id) if file_name.startswith("files/") else None
        if record is None or record.get("kind") != "gemini_file":
            raise GoogleError(404, f"Requested entity was not found: {file_name}.")
        raw_lines, bad_line = read_request_lines(self.store.blob_path(file_id))
        if bad_line is not None:
            return [], _rpc_error(
                f"Invalid request at line {bad_line} of {file_name}: each line must be "
                "a JSON object with a 'request' object."
            )
        lines = [_keyed_request(line.get("key"), line["request"]) for line in raw_lines]
        if not lines:
            return [], _rpc_error(f"The input file {file_name} has no requests.")
        return lines, None

    def _prepare_rows(self, record: dict[str, Any], lines: list[dict[str, Any]]) -> None:
        """Answer every request now, in input order (as `SimulatorEngine._prepare_results`)."""
        start = record["created_at"] + record["phase_seconds"]

        def outcomes() -> Iterator[Outcome]:
            for position, line in enumerate(lines):
                answer = generate(
                    line["request"],
                    job_id=record["gemini_id"],
                    position=position,
                    model=record["model"],
                    ran_at=start + (position + 1) / record["speed"],  # as lifecycle.done_by
                )
                row = _result_row(line["key"], answer.response, answer.error, record["inline"])
                yield Outcome(row, answer.error is None, answer.input_tokens, answer.output_tokens)

        self._store_outcomes(record["id"], outcomes())

    def _write_result_files(self, record: dict[str, Any], state: lifecycle.BatchState) -> None:
        if state.done == 0:
            return
        with self.store.rows_path(record["id"]).open("rb") as rows:
            ran = [line for position, line in enumerate(rows) if position < state.done]
        if record["inline"]:
            blob_id = record["id"] + "-inline"
            self.store.write_blob(blob_id, iter(ran))
            record["inline_results"] = blob_id
            return
        file_id = "batch-" + record["gemini_id"]
        self.save_file(
            ran,
            display_name=f"Batch {record['gemini_id']} results",
            mime_type="application/jsonl",
            file_id=file_id,
            source="GENERATED",
        )
        record["responses_file"] = file_id


def file_resource(record: dict[str, Any], root: str) -> dict[str, Any]:
    created = record["created_at"]
    resource = {
        "name": "files/" + record["id"],
        "mimeType": record["mime_type"],
        "sizeBytes": str(record["bytes"]),
        "createTime": rfc3339(created),
        "updateTime": rfc3339(created),
        "expirationTime": rfc3339(created + FILE_LIFETIME),
        "sha256Hash": base64.b64encode(record["sha256"].encode()).decode(),
        "uri": f"{root}/v1beta/files/{record['id']}",
        "state": "ACTIVE",
        "source": record["source"],
    }
    if record["display_name"]:
        resource["displayName"] = record["display_name"]
    return resource


def _gemini_response(response: dict[str, Any]) -> dict[str, Any]:
    """The Vertex-flavoured answer of `generate` as the Gemini API words it."""
    candidates = [{**c, "index": i} for i, c in enumerate(response["candidates"])]
    usage = {k: v for k, v in response["usageMetadata"].items() if k != "trafficType"}
    kept = {k: v for k, v in response.items() if k not in ("createTime", "candidates")}
    return {"candidates": candidates, **kept, "usageMetadata": usage}


def _result_row(
    key: str | None,
    response: dict[str, Any] | None,
    error: dict[str, Any] | None,
    inline: bool,
) -> dict[str, Any]:
    if inline:
        row: dict[str, Any] = (
            {"response": _gemini_response(response)}
            if response is not None
            else {"error": _rpc_status(error or {})}
        )
        return {**row, "metadata": {"key": key}} if key is not None else row
    head = {"key": key} if key is not None else {}
    if response is not None:
        return {**head, "response": _gemini_response(response)}
    return {**head, "error": error}


def _rpc_status(error: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": RPC_CODES.get(error.get("status", ""), 2),
        "message": error.get("message", ""),
        "details": [],
    }


def _rpc_error(message: str) -> dict[str, Any]:
    return {"code": RPC_CODES["INVALID_ARGUMENT"], "message": message, "details": []}


def _inline_lines(requests: Any) -> list[dict[str, Any]]:
    items = requests.get("requests") if isinstance(requests, dict) else None
    if not isinstance(items, list) or not items:
        raise GoogleError(
            400,
            "* GenerateContentBatch.input_config: needs file_name or requests.requests "
            "(a non-empty list).",
        )
    lines = []
    for index, item in enumerate(items):
        request = item.get("request") if isinstance(item, dict) else None
        if not isinstance(request, dict):
            raise GoogleError(
                400, f"* input_config.requests.requests[{index}].request: is required."
            )
        metadata = item.get("metadata")
        key = metadata.get("key") if isinstance(metadata, dict) else None
        lines.append(_keyed_request(key, request))
    return lines


def _keyed_request(key: Any, request: dict[str, Any]) -> dict[str, Any]:
    """A request as the engine keeps it; a key that is not a string is dropped."""
    return {"key": key if isinstance(key, str) else None, "request": request}


def _page(
    records: list[dict[str, Any]], id_field: str, size: int, token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    start = 0
    if token:
        try:
            after = base64.urlsafe_b64decode(token.encode()).decode()
        except (ValueError, UnicodeDecodeError):
            after = None
        ids = [r[id_field] for r in records]
        if after not in ids:
            raise GoogleError(400, "Invalid page token.")
        start = ids.index(after) + 1
    page = records[start : start + size]
    more = start + size < len(records)
    next_token = base64.urlsafe_b64encode(page[-1][id_field].encode()).decode() if more else None
    return page, next_token
