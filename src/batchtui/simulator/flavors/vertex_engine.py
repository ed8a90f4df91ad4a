"""What sits behind the Vertex gateways: Cloud Storage objects and Vertex batch prediction jobs.

The gateway flavours (`portkey_vertex`, `litellm_vertex`) translate OpenAI-shaped calls into
calls on this engine and translate its Vertex resources back, as the real gateways do. It
reuses the OpenAI engine's store, lifecycle, plans and settling; only the shapes differ:

- Objects are addressed by `gs://bucket/name` URIs (kept in the store under a hashed id).
- A job's resource is a Vertex `BatchPredictionJob` (providers.md §5.3): RFC 3339 times,
  `completionStats` as int64 strings (only once the job has ended), `outputInfo` once it ran.
- Lifecycle (see `lifecycle`) → `state`: validating → JOB_STATE_PENDING; in_progress and
  finalizing → JOB_STATE_RUNNING (Vertex has no finalizing); completed → JOB_STATE_SUCCEEDED,
  or JOB_STATE_PARTIALLY_SUCCEEDED when some rows failed; failed / expired / cancelling /
  cancelled → the JOB_STATE_ of the same name.
- An input file that is empty or has a line that is not a JSON object with a `request` object
  fails the whole job (`error: {"code": 3, ...}`), as a JSON array uploaded by old LiteLLM
  versions did (§6 item 14).
- Results: `<outputUriPrefix>/prediction-model-<startTime>/predictions.jsonl`, one row per
  request that ran (rows of expired or cancelled jobs' unrun requests are simply absent), in
  a shuffled order: Vertex does not promise input order (§5.5), so clients must join on ids.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from batchtui.simulator import lifecycle
from batchtui.simulator.engine import SimulatorEngine
from batchtui.simulator.flavors.gemini_answers import predict
from batchtui.simulator.options import SimulatorOptions
from batchtui.simulator.request_lines import read_request_lines
from batchtui.simulator.responder import short_hash
from batchtui.simulator.store import Store

PROJECT_NUMBER = "123456789012"
LOCATION = "us-central1"
JOB_RECORD_PREFIX = "batch_vertex_"
DEFAULT_PAGE_SIZE = 100  # Vertex's own default when no pageSize is sent [unverified]
INVALID_ARGUMENT = 3  # google.rpc.Code
STATE_OF_STATUS = {
    "validating": "JOB_STATE_PENDING",
    "in_progress": "JOB_STATE_RUNNING",
    "finalizing": "JOB_STATE_RUNNING",
    "failed": "JOB_STATE_FAILED",
    "expired": "JOB_STATE_EXPIRED",
    "cancelling": "JOB_STATE_CANCELLING",
    "cancelled": "JOB_STATE_CANCELLED",
}
GOOGLE_STATUS_NAMES = {400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 409: "FAILED_PRECONDITION"}


class VertexError(Exception):
    """An error answer of Vertex AI or Cloud Storage; each gateway relays it its own way."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def google_body(self) -> dict[str, Any]:
        name = GOOGLE_STATUS_NAMES.get(self.status, "UNKNOWN")
        return {"error": {"code": self.status, "message": self.message, "status": name}}


@dataclass(frozen=True)
class JobPage:
    jobs: list[dict[str, Any]]  # Vertex resources
    next_page_token: str | None


def rfc3339(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def last_change(record: dict[str, Any], state: lifecycle.BatchState) -> float:
    """When the job last changed state: its `updateTime`."""
    return state.ended_at or state.cancelling_at or state.in_progress_at or record["created_at"]


def epoch_ms(stamp: str) -> int:
    """JavaScript's `new Date(stamp).getTime()` for Vertex's RFC 3339 times."""
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return calendar.timegm(parsed.utctimetuple()) * 1000 + parsed.microsecond // 1000


def object_file_id(uri: str) -> str:
    return "gs-" + hashlib.sha256(uri.encode()).hexdigest()[:40]


def job_number() -> str:
    """A 19-digit job id like Vertex's (e.g. 3814889423749775360)."""
    return str(10**18 + secrets.randbelow(9 * 10**18))


class VertexEngine(SimulatorEngine):
    @classmethod
    def beside(cls, options: SimulatorOptions, store: Store, flavor: str) -> VertexEngine:
        """An engine keeping its state in `<data dir>/<flavor>/`, so the openai flavour (whose
        listings read every batch record) can share the data dir without seeing Vertex jobs."""
        return cls(options, Store(store.data_dir / flavor))

    # -- Cloud Storage -----------------------------------------------------------------------

    def put_object(
        self, uri: str, chunks: Iterable[bytes], *, purpose: str, **extra: Any
    ) -> dict[str, Any]:
        """Write (or overwrite) the object at `uri`; returns its record."""
        file_id = object_file_id(uri)
        size = self.store.write_blob(file_id, iter(chunks))
        record = {
            "id": file_id,
            "object": "gcs_object",
            "uri": uri,
            "bytes": size,
            "created_at": self.clock(),
            "purpose": purpose,
            **extra,
        }
        self.store.save_file(record, self.store.next_seq())
        return record

    def find_object(self, uri: str) -> dict[str, Any] | None:
        record = self.store.get_file(object_file_id(uri))
        return record if record is not None and record.get("uri") == uri else None

    def object_path(self, uri: str) -> Path:
        """The object's bytes on disk; VertexError 404 when there is no such object."""
        if self.find_object(uri) is None:
            raise VertexError(404, f"No such object: {uri.removeprefix('gs://')}")
        return self.store.blob_path(object_file_id(uri))

    # -- jobs --------------------------------------------------------------------------------

    def create_job(
        self,
        *,
        input_uri: str,
        model: str,
        output_prefix: str,
        display_name: str,
        instance_config: dict[str, Any] | None = None,
        start_delay: float = 0.0,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create a BatchPredictionJob on a JSONL object; returns its resource.

        `start_delay` holds the job back (its lifecycle starts that much later); `extra` is
        kept in the job's record for a subclass."""
        if self.options.models is not None and model not in self.options.models:
            raise VertexError(
                404,
                f"Publisher Model `projects/{PROJECT_NUMBER}/locations/{LOCATION}/publishers/"
                f"google/models/{model}` was not found or your project does not have access "
                "to it.",
            )
        lines, error = self._read_input(input_uri)
        now = self.clock()
        number = job_number()
        record: dict[str, Any] = {
            "id": JOB_RECORD_PREFIX + number,
            "kind": "vertex",
            "vertex_id": number,
            "seq": self.store.next_seq(),
            "display_name": display_name,
            "model": model,
            "input_uri": input_uri,
            "output_prefix": output_prefix,
            "instance_config": instance_config,
            "created_at": now + start_delay,
            "phase_seconds": self.options.phase_seconds,
            "speed": self.options.speed,
            "expire_after": self.options.expire_after,
            "total": len(lines),
            "validation_errors": [error] if error else None,
            "cancel_requested_at": None,
            "output_dir": None,
            "output_file_id": None,
            "error_file_id": None,
            "settled": False,
            **(extra or {}),
        }
        if not error:
            self._prepare_predictions(record, lines)
        self.store.save_batch(record)
        return self.job_resource(record)

    def find_job(self, number: str) -> dict[str, Any]:
        """The job's record; VertexError 404 for an unknown (or non-numeric) id."""
        record = self.store.get_batch(JOB_RECORD_PREFIX + number) if number.isdigit() else None
        if record is None or record.get("kind") != "vertex":
            raise VertexError(
                404,
                f"The BatchPredictionJob does not exist: projects/{PROJECT_NUMBER}/locations/"
                f"{LOCATION}/batchPredictionJobs/{number}",
            )
        return record

    def get_job(self, number: str) -> dict[str, Any]:
        return self.job_resource(self.find_job(number))

    def list_jobs(
        self,
        page_size: int | None,
        page_token: str | None,
        keep: Callable[[dict[str, Any]], bool] | None = None,
    ) -> JobPage:
        """Newest first, `pageSize`/`pageToken` paging as Vertex's list call; `keep` filters
        the job records."""
        records = [
            r
            for r in self.store.list_batches()
            if r.get("kind") == "vertex" and (keep is None or keep(r))
        ]
        records.reverse()
        start = 0
        if page_token:
            after = _decode_page_token(page_token)
            ids = [r["vertex_id"] for r in records]
            if after not in ids:
                raise VertexError(400, "Invalid page token.")
            start = ids.index(after) + 1
        size = page_size or DEFAULT_PAGE_SIZE
        page = records[start : start + size]
        more = start + size < len(records)
        token = _encode_page_token(page[-1]["vertex_id"]) if more and page else None
        return JobPage([self.job_resource(r) for r in page], token)

    def cancel_job(self, number: str) -> None:
        """Vertex's `:cancel`: accepted until the job ends (then FAILED_PRECONDITION)."""
        with self._lock:
            record = self.find_job(number)
            self._request_cancel(
                record,
                lambda state: VertexError(
                    400,
                    f"Cannot cancel BatchPredictionJob {number}: it is in state "
                    f"{self._vertex_state(record, state)}.",
                ),
            )

    def job_resource(self, record: dict[str, Any]) -> dict[str, Any]:
        record, state = self._settled_state(record)
        resource: dict[str, Any] = {
            "name": f"projects/{PROJECT_NUMBER}/locations/{LOCATION}/batchPredictionJobs/"
            + record["vertex_id"],
            "displayName": record["display_name"],
            "model": f"publishers/google/models/{record['model']}",
            "inputConfig": {
                "instancesFormat": "jsonl",
                "gcsSource": {"uris": [record["input_uri"]]},
            },
            "outputConfig": {
                "predictionsFormat": "jsonl",
                "gcsDestination": {"outputUriPrefix": record["output_prefix"]},
            },
            "state": self._vertex_state(record, state),
            "createTime": rfc3339(record["created_at"]),
            "updateTime": rfc3339(last_change(record, state)),
        }
        if record["instance_config"]:
            resource["instanceConfig"] = record["instance_config"]
        if state.in_progress_at is not None:
            resource["startTime"] = rfc3339(state.in_progress_at)
        if state.ended_at is not None:
            resource["endTime"] = rfc3339(state.ended_at)
        if record["validation_errors"] and state.status == "failed":
            resource["error"] = record["validation_errors"][0]
        elif state.terminal:
            counts = self._counts(record, state)
            resource["completionStats"] = {
                "successfulCount": str(counts["completed"]),
                "failedCount": str(counts["failed"]),
                "incompleteCount": str(record["total"] - state.done),
            }
        if record["output_dir"]:
            resource["outputInfo"] = {"gcsOutputDirectory": record["output_dir"]}
        return resource

    # -- internals ---------------------------------------------------------------------------

    def _vertex_state(self, record: dict[str, Any], state: lifecycle.BatchState) -> str:
        if state.status != "completed":
            return STATE_OF_STATUS[state.status]
        failed = self._counts(record, state)["failed"]
        return "JOB_STATE_PARTIALLY_SUCCEEDED" if failed else "JOB_STATE_SUCCEEDED"

    def _read_input(self, uri: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """(instances, None) or ([], the job's error) for the input object."""
        path = self.store.blob_path(object_file_id(uri)) if self.find_object(uri) else None
        if path is None or not path.is_file():
            raise VertexError(400, f"Failed to read the input file {uri}: no such object.")
        lines, bad_line = read_request_lines(path)
        if bad_line is not None:
            return [], {
                "code": INVALID_ARGUMENT,
                "message": f"Failed to parse the instance at line {bad_line} of {uri}: "
                "each line must be a JSON object with a 'request' object.",
            }
        if not lines:
            return [], {"code": INVALID_ARGUMENT, "message": f"The input file {uri} is empty."}
        return lines, None

    def _prepare_predictions(self, record: dict[str, Any], lines: list[dict[str, Any]]) -> None:
        """Answer every instance now; rows are kept in input order until the job settles."""
        start = record["created_at"] + record["phase_seconds"]
        predictions = (
            predict(
                line,
                job_id=record["vertex_id"],
                position=position,
                model=record["model"],
                ran_at=start + (position + 1) / record["speed"],  # as lifecycle.done_by
            )
            for position, line in enumerate(lines)
        )
        self._store_outcomes(record["id"], predictions)

    def _write_result_files(self, record: dict[str, Any], state: lifecycle.BatchState) -> None:
        """predictions.jsonl of the rows that ran, once the job has ended (see module doc)."""
        if state.in_progress_at is None:
            return  # cancelled or expired before it started: no output directory
        with self.store.rows_path(record["id"]).open("rb") as rows:
            ran = [line for position, line in enumerate(rows) if position < state.done]
        order = sorted(range(len(ran)), key=lambda i: short_hash(record["vertex_id"], str(i)))
        output_dir = (
            record["output_prefix"].rstrip("/")
            + "/prediction-model-"
            + rfc3339(state.in_progress_at)
        )
        self.put_object(
            f"{output_dir}/predictions.jsonl", (ran[i] for i in order), purpose="batch_output"
        )
        record["output_dir"] = output_dir


def _encode_page_token(job_id: str) -> str:
    return base64.urlsafe_b64encode(f"after:{job_id}".encode()).decode().rstrip("=")


def _decode_page_token(token: str) -> str | None:
    try:
        decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.removeprefix("after:") if decoded.startswith("after:") else None
