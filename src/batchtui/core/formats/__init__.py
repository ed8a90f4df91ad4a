"""Batch file formats: validating input files, reading result lines.

The validator is stdlib-only so `batchtui validate` starts fast; the result parser builds
pydantic `ResultRecord`s, so its names are imported from `results` on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from batchtui.core.formats.limits import OPENAI_LIMITS, Limits
from batchtui.core.formats.validate import (
    Problem,
    ValidationReport,
    validate_bytes,
    validate_file,
    validate_stream,
)

if TYPE_CHECKING:
    from batchtui.core.formats.results import (
        iter_result_records,
        parse_result_line,
        read_result_file,
    )

_RESULT_NAMES = frozenset({"iter_result_records", "parse_result_line", "read_result_file"})

__all__ = [
    "OPENAI_LIMITS",
    "Limits",
    "Problem",
    "ValidationReport",
    "iter_result_records",
    "parse_result_line",
    "read_result_file",
    "validate_bytes",
    "validate_file",
    "validate_stream",
]


def __getattr__(name: str) -> Any:
    if name in _RESULT_NAMES:
        from batchtui.core.formats import results

        return getattr(results, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
