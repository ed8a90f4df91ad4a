"""One record as a document for a pager or editor: its request and result as pretty JSON,
and the command that opens it ($PAGER, else $EDITOR, else less)."""

from __future__ import annotations

import json
import shlex
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from batchtui.core.models import ResultRecord

DEFAULT_PAGER = "less"


def _json_or_text(raw: str | bytes | None) -> Any:
    if raw is None:
        return None
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text  # shown as the string it is: a bad line is still worth reading


def record_document(record: ResultRecord, request_line: bytes | None, where: str) -> str:
    """The request (when its input line is known) and the result, indented JSON."""
    document = {
        "where": where,
        "custom_id": record.custom_id,
        "request": _json_or_text(request_line),
        "result": _json_or_text(record.raw),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def pager_command(environ: Mapping[str, str]) -> list[str]:
    """$PAGER, else $EDITOR, else `less`, split as a shell would (`less -R` is two words)."""
    for name in ("PAGER", "EDITOR"):
        value = environ.get(name, "").strip()
        if value:
            try:
                words = shlex.split(value)
            except ValueError:
                words = value.split()
            if words:
                return words
    return [DEFAULT_PAGER]


def write_document(text: str, custom_id: str | None) -> Path:
    """`text` in a private temporary file named after the record (the caller deletes it)."""
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in (custom_id or "record"))[:60]
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", prefix=f"batchtui-{stem}-", suffix=".json", delete=False
    ) as handle:
        handle.write(text)
    return Path(handle.name)
