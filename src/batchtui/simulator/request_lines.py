"""The request lines of a Google batch input file (Vertex and Gemini read them alike)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_request_lines(path: Path) -> tuple[list[dict[str, Any]], int | None]:
    """(the lines, None), each a JSON object with a `request` object, blank lines skipped; or
    ([], the 1-based number of the first line that is not one): such a line fails the job."""
    lines: list[dict[str, Any]] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError):
                line = None
            if not isinstance(line, dict) or not isinstance(line.get("request"), dict):
                return [], number
            lines.append(line)
    return lines, None
