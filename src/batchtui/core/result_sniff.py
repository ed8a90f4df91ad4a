"""What a local file holds, results or batch requests: checked on its first line, before a
viewer opens, so a wrong file is one line naming the file and line instead of a screen of
errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from batchtui.core.errors import InputFileError

# How much of the file is read to judge it; a longer first line is left to the viewer.
SNIFF_BYTES = 1 << 20

FileKind = Literal["results", "requests"]


def check_results_file(path: Path, *, requests_ok: bool = False) -> FileKind:
    """ "results", or "requests" (a batch input, when `requests_ok`); else `InputFileError`,
    one line naming the file and line: `path` must be a readable JSONL file whose first
    record is a result line of a shape the viewer reads."""
    from batchtui.core.formats.results import parse_result_line
    from batchtui.core.localresults import NOT_RESULTS

    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    if path.is_dir():
        raise InputFileError(f"{path}: a directory, not a results file")
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as error:
        raise InputFileError(f"{path}: cannot read: {error.strerror or error}") from None
    if b"\x00" in head[:8192]:
        raise InputFileError(f"{path}: a binary file, not JSONL results")
    lines = head.split(b"\n")
    whole = lines if len(head) < SNIFF_BYTES else lines[:-1]
    found = next(((n, raw) for n, raw in enumerate(whole, 1) if raw.strip()), None)
    if found is None:
        return "results"  # empty, or a first line too long to judge here: the viewer tells
    number, raw = found
    try:
        first = json.loads(raw)
    except ValueError as error:
        detail = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
        raise InputFileError(f"{path}:{number}: not JSON ({detail}): not a results file") from None
    except RecursionError:
        raise InputFileError(f"{path}:{number}: JSON nested too deeply to read") from None
    is_request = isinstance(first, dict) and {"method", "url", "body"} <= first.keys()
    if is_request and not {"response", "error"} & first.keys():
        if requests_ok:
            return "requests"
        raise InputFileError(
            f"{path}:{number}: a batch request (method, url, body), not a result: this is "
            f"an input file; check it with `batchtui validate {path}`"
        )
    record = parse_result_line(raw)
    if not record.ok and record.error_code in NOT_RESULTS:
        raise InputFileError(f"{path}:{number}: {record.error_message}")
    return "results"
