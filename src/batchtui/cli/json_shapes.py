"""The shapes of every command's `--json` output, in one place, as JSON Schemas.

`batchtui help json` prints them; a test validates each command's real output against
its schema, so the documentation and the output cannot drift apart. Objects may gain keys
in later versions (scripts should ignore keys they do not know); keys listed here stay.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

STRING = {"type": "string"}
MAYBE_STRING = {"type": ["string", "null"]}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
BOOLEAN = {"type": "boolean"}


def obj(**properties: Schema) -> Schema:
    """An object with these keys, all required."""
    return {"type": "object", "properties": properties, "required": sorted(properties)}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


MAYBE_INTEGER = {"type": ["integer", "null"]}
# null each where the provider counts nothing and the results have not been read yet
COUNTS = obj(total=MAYBE_INTEGER, completed=MAYBE_INTEGER, failed=MAYBE_INTEGER)

JOB = obj(
    id=STRING,
    remote_id=MAYBE_STRING,
    name=STRING,
    profile=STRING,
    kind=STRING,
    status=STRING,
    raw_status=MAYBE_STRING,
    request_counts=COUNTS,
    created_at=STRING,
    updated_at=STRING,
    endpoint=MAYBE_STRING,
    model=MAYBE_STRING,
    input_path=MAYBE_STRING,
    output_path=MAYBE_STRING,
    error_path=MAYBE_STRING,
    metadata={"type": "object"},
    last_error=MAYBE_STRING,
)

JOB_OR_GROUP = {"anyOf": [JOB, obj(id=STRING, shards=array(JOB))]}

VALIDATION = obj(
    ok=BOOLEAN,
    lines=INTEGER,
    path=STRING,
    problems=array(obj(line=INTEGER, code=STRING, message=STRING)),
    error_count=INTEGER,
    warning_count=INTEGER,
)

PROFILE = obj(
    name=STRING,
    kind=STRING,
    base_url=STRING,
    api_key=STRING,
    timeout=NUMBER,
    poll_interval=NUMBER,
    headers={"type": "object"},
)

RESULT_RECORD = obj(
    custom_id=MAYBE_STRING,
    ok=BOOLEAN,
    text=MAYBE_STRING,
    status_code={"type": ["integer", "null"]},
)

ID_LIST = obj(command=STRING, jobs=array(STRING))

# Command (as typed after `batchtui`) -> the schema of what `--json` prints.
SHAPES: dict[str, Schema] = {
    "jobs": array(JOB_OR_GROUP),
    "status": JOB_OR_GROUP,
    "submit": JOB_OR_GROUP,
    "watch": array(JOB),
    "refresh": array(JOB),
    "cancel": {"anyOf": [JOB, array(JOB)]},
    "validate": VALIDATION,
    "compose": obj(path=STRING, requests=INTEGER, bytes=INTEGER, validation=VALIDATION),
    "convert": obj(source=STRING, dest=STRING, lines_read=INTEGER, lines_written=INTEGER),
    "results": RESULT_RECORD,  # JSON Lines: one record a line
    "download": obj(
        job=STRING,
        files=array(obj(path=STRING, bytes=INTEGER, sha256=MAYBE_STRING, fetched=BOOLEAN)),
        warnings=array(STRING),
    ),
    "export": obj(path=STRING, rows=INTEGER, succeeded=INTEGER, failed=INTEGER),
    "retry": array(obj(parent_id=STRING, to_retry=INTEGER, retry_input=MAYBE_STRING)),
    "sync": obj(profile=STRING, scanned=INTEGER, adopted=array({"type": "object"})),
    "doctor": array(obj(section=STRING, name=STRING, value=STRING, advice=STRING)),
    "profile add": PROFILE,
    "profile list": array(PROFILE),
    "profile show": PROFILE,
    "profile remove": obj(removed=STRING, config=STRING),
    "profile test": obj(profile=STRING, ok=BOOLEAN, milliseconds=INTEGER),
    "clean": array(
        obj(
            job=STRING,
            ok=BOOLEAN,
            files=array(obj(what=STRING, name=STRING, outcome=STRING)),
        )
    ),
    "rename": JOB,
    "forget": ID_LIST,
    "archive": ID_LIST,
    "logs": obj(
        job=STRING,
        remote_id=MAYBE_STRING,
        folder=STRING,
        script=STRING,
        logs=array(obj(path=STRING, tail=array(STRING))),
    ),
}
