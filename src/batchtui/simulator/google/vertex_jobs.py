"""Vertex AI's own batchPredictionJobs API on top of `flavors.vertex_engine` (providers.md §5).

The gateway flavours' engine already models jobs, objects, states and prediction rows; this
subclass adds what a client talking to Vertex directly sees and the gateways hide:

- Jobs live in a project and location: names are `projects/<number>/locations/<location>/
  batchPredictionJobs/<id>` (the number, whichever of id or number the URL used), and a
  location lists only its own jobs.
- `[sim:pause]` in `displayName` holds a job in JOB_STATE_PAUSED for one phase before its
  normal life (PENDING, RUNNING, ...); it can be cancelled meanwhile.
- Results are split over several files when more than `--vertex-file-rows` rows ran
  (`predictions_00001.jsonl`, ...; one file keeps the name `predictions.jsonl`), so a client
  must list the output directory. The folder is `prediction-model-<when the output was
  written>`, which never equals `createTime` (python-genai#486).
- Delete tombstones the job (its output objects stay, as on Vertex); deleting a job that has
  not ended is refused (FAILED_PRECONDITION): cancel it first (§5.3, unverified).
- `labels` of the create body are kept and returned.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from batchtui.simulator import lifecycle
from batchtui.simulator.flavors.vertex_engine import (
    LOCATION,
    PROJECT_NUMBER,
    JobPage,
    VertexEngine,
    VertexError,
    rfc3339,
)
from batchtui.simulator.google.errors import GoogleError
from batchtui.simulator.responder import short_hash

PAUSE_MARKER = "[sim:pause]"
MODEL_NAME = re.compile(r"(?:projects/[^/]+/locations/[^/]+/)?publishers/google/models/([^/@]+)")
# The filter terms the simulator understands (of AIP-160's grammar, as Vertex documents
# for this list): `state="JOB_STATE_..."`, and `create_time` compared with an RFC 3339
# time by = != < <= > >=; terms joined by AND.
FILTER_TERM = re.compile(
    r'\s*(?P<field>state|create_time)\s*(?P<op><=|>=|!=|=|<|>)\s*"?(?P<value>[^"\s]+)"?\s*'
)
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
TERMINAL_STATES = frozenset(
    {
        "JOB_STATE_SUCCEEDED",
        "JOB_STATE_PARTIALLY_SUCCEEDED",
        "JOB_STATE_FAILED",
        "JOB_STATE_CANCELLED",
        "JOB_STATE_EXPIRED",
    }
)


def split_gs_uri(uri: str) -> tuple[str, str]:
    """(bucket, object name) of `gs://bucket/name`; ("", "") when it is not one."""
    if not uri.startswith("gs://"):
        return "", ""
    bucket, _, name = uri[len("gs://") :].partition("/")
    return bucket, name


class NativeVertexEngine(VertexEngine):
    @property
    def buckets(self) -> frozenset[str]:
        return self.options.gcs_buckets

    def create_native_job(self, location: str, body: Any) -> dict[str, Any]:
        """Create a job from a BatchPredictionJob create body; returns its resource."""
        if not isinstance(body, dict):
            raise GoogleError(400, "The request body must be a BatchPredictionJob object.")
        display_name = body.get("displayName") or body.get("display_name")
        if not isinstance(display_name, str) or not display_name:
            raise GoogleError(400, "BatchPredictionJob.display_name is required.")
        model = _model_id(body.get("model"))
        input_uri = _input_uri(_field(body, "inputConfig", "input_config"))
        output_prefix = _output_prefix(_field(body, "outputConfig", "output_config"))
        for uri, what in ((input_uri, "input"), (output_prefix, "output")):
            bucket, _ = split_gs_uri(uri)
            if bucket not in self.buckets:
                raise GoogleError(
                    400,
                    f"The {what} location {uri} is not accessible: the bucket {bucket!r} "
                    "does not exist.",
                    status_name="FAILED_PRECONDITION",
                )
        labels = body.get("labels")
        paused = PAUSE_MARKER in display_name
        return self.create_job(
            input_uri=input_uri,
            model=model,
            output_prefix=output_prefix,
            display_name=display_name,
            instance_config=_field(body, "instanceConfig", "instance_config") or None,
            start_delay=self.options.phase_seconds if paused else 0.0,
            extra={
                "location": location,
                "create_time": self.clock(),
                "paused": paused,
                "labels": labels if isinstance(labels, dict) else None,
                "deleted": False,
            },
        )

    def find_job(self, number: str) -> dict[str, Any]:
        record = super().find_job(number)
        if record.get("deleted"):
            raise VertexError(404, f"The BatchPredictionJob does not exist: {number}")
        return record

    def find_job_in(self, location: str, number: str) -> dict[str, Any]:
        record = self.find_job(number)
        if record.get("location", LOCATION) != location:
            raise VertexError(
                404,
                f"The BatchPredictionJob does not exist: projects/{PROJECT_NUMBER}/locations/"
                f"{location}/batchPredictionJobs/{number}",
            )
        return record

    def list_in(
        self, location: str, page_size: int, page_token: str | None, text_filter: str | None
    ) -> JobPage:
        terms = _parse_filter(text_filter)

        def keep(record: dict[str, Any]) -> bool:
            if record.get("deleted") or record.get("location", LOCATION) != location:
                return False
            return all(term(self, record) for term in terms)

        return self.list_jobs(page_size, page_token, keep)

    def delete_job(self, location: str, number: str) -> dict[str, Any]:
        """Vertex's delete: a done long-running Operation; refused while the job runs."""
        with self._lock:
            record = self.find_job_in(location, number)
            state = self.job_resource(record)["state"]
            if state not in TERMINAL_STATES:
                raise GoogleError(
                    400,
                    f"The BatchPredictionJob {number} is in state {state} and cannot be "
                    "deleted. Cancel it first.",
                    status_name="FAILED_PRECONDITION",
                )
            record = self.find_job(number)  # re-read: job_resource may have settled it
            record["deleted"] = True
            self.store.save_batch(record)
        now = rfc3339(self.clock())
        operation_id = str(int(short_hash(number, "delete", length=15), 16))
        return {
            "name": f"projects/{PROJECT_NUMBER}/locations/{location}/operations/{operation_id}",
            "metadata": {
                "@type": "type.googleapis.com/google.cloud.aiplatform.v1.DeleteOperationMetadata",
                "genericMetadata": {"createTime": now, "updateTime": now},
            },
            "done": True,
            "response": {"@type": "type.googleapis.com/google.protobuf.Empty"},
        }

    def job_resource(self, record: dict[str, Any]) -> dict[str, Any]:
        resource = super().job_resource(record)
        location = record.get("location", LOCATION)
        resource["name"] = (
            f"projects/{PROJECT_NUMBER}/locations/{location}/batchPredictionJobs/"
            + record["vertex_id"]
        )
        if "create_time" in record:
            resource["createTime"] = rfc3339(record["create_time"])
        if record.get("labels"):
            resource["labels"] = record["labels"]
        held = record.get("paused") and self.clock() < record["created_at"]
        if held and resource["state"] == "JOB_STATE_PENDING":
            resource["state"] = "JOB_STATE_PAUSED"
        return resource

    def _write_result_files(self, record: dict[str, Any], state: lifecycle.BatchState) -> None:
        if state.in_progress_at is None:
            return  # ended before it started: no output directory
        with self.store.rows_path(record["id"]).open("rb") as rows:
            ran = [line for position, line in enumerate(rows) if position < state.done]
        ran.sort(key=lambda line: short_hash(record["vertex_id"], line.decode()))
        written_at = state.finalizing_at or state.ended_at or self.clock()
        output_dir = (
            record["output_prefix"].rstrip("/") + "/prediction-model-" + rfc3339(written_at)
        )
        per_file = self.options.vertex_file_rows
        chunks = [ran[i : i + per_file] for i in range(0, len(ran), per_file)] or [[]]
        for number, chunk in enumerate(chunks, start=1):
            name = "predictions.jsonl" if len(chunks) == 1 else f"predictions_{number:05d}.jsonl"
            self.put_object(
                f"{output_dir}/{name}",
                chunk,
                purpose="batch_output",
                content_type="application/jsonl",
            )
        record["output_dir"] = output_dir


def _field(body: dict[str, Any], camel: str, snake: str) -> Any:
    value = body.get(camel, body.get(snake))
    return value if value is not None else {}


def _model_id(model: Any) -> str:
    match = MODEL_NAME.fullmatch(model) if isinstance(model, str) else None
    if match is None:
        raise GoogleError(
            400,
            f"Invalid model {model!r}: expected publishers/google/models/<model> (other "
            "publishers are not simulated).",
        )
    return match.group(1)


def _input_uri(config: Any) -> str:
    if not isinstance(config, dict) or not config:
        raise GoogleError(400, "BatchPredictionJob.input_config is required.")
    instances_format = config.get("instancesFormat", config.get("instances_format"))
    if instances_format != "jsonl":
        raise GoogleError(
            400, f"Unsupported instancesFormat {instances_format!r}: the simulator reads jsonl."
        )
    source = _field(config, "gcsSource", "gcs_source")
    uris = source.get("uris") if isinstance(source, dict) else None
    if isinstance(uris, str):
        uris = [uris]  # Portkey sends a bare string and Vertex evidently takes it (§5.3)
    if not isinstance(uris, list) or len(uris) != 1 or not split_gs_uri(str(uris[0]))[1]:
        raise GoogleError(400, "input_config.gcs_source.uris must hold one gs://bucket/object URI.")
    return str(uris[0])


def _output_prefix(config: Any) -> str:
    if not isinstance(config, dict) or not config:
        raise GoogleError(400, "BatchPredictionJob.output_config is required.")
    predictions_format = config.get("predictionsFormat", config.get("predictions_format"))
    if predictions_format != "jsonl":
        raise GoogleError(
            400,
            f"Unsupported predictionsFormat {predictions_format!r}: the simulator writes jsonl.",
        )
    destination = _field(config, "gcsDestination", "gcs_destination")
    prefix = destination.get("outputUriPrefix", destination.get("output_uri_prefix"))
    if not isinstance(prefix, str) or not split_gs_uri(prefix)[0]:
        raise GoogleError(
            400, "output_config.gcs_destination.output_uri_prefix must be a gs:// URI."
        )
    return prefix


def _parse_filter(text: str | None) -> list[Callable[[NativeVertexEngine, dict[str, Any]], bool]]:
    """The filter's terms as tests of a job record (all must hold)."""
    if not text or not text.strip():
        return []
    terms = []
    for part in re.split(r"\s+AND\s+", text.strip()):
        match = FILTER_TERM.fullmatch(part)
        if match is None:
            raise GoogleError(
                400,
                f'Unsupported filter {text!r}: the simulator takes state="..." and '
                "create_time comparisons, joined by AND.",
            )
        terms.append(_filter_term(match["field"], COMPARISONS[match["op"]], match["value"]))
    return terms


def _filter_term(
    field: str, compare: Callable[[Any, Any], bool], value: str
) -> Callable[[NativeVertexEngine, dict[str, Any]], bool]:
    if field == "state":
        if not re.fullmatch(r"JOB_STATE_[A-Z_]+", value):
            raise GoogleError(400, f"Invalid state in filter: {value!r}.")
        return lambda engine, record: compare(engine.job_resource(record)["state"], value)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise GoogleError(400, f"create_time must be in RFC 3339 format, got {value!r}.") from None
    return lambda _engine, record: compare(record["created_at"], moment)
