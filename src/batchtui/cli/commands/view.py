"""`batchtui view FILE [--input REQUESTS]`: a local results file in the TUI's result viewer.

No registry, profile or network: any OpenAI, Gemini or Vertex batch output on disk opens
directly, searched and paged like less; a batch request file opens read-only, a line
and its prompt at a time. Textual is imported only once the file passed its check.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from batchtui.core.errors import InputFileError, UsageError


def run(args: argparse.Namespace) -> int:
    from batchtui.core.result_sniff import check_results_file

    path = Path(args.file)
    kind = check_results_file(path, requests_ok=True)
    input_path = Path(args.input) if args.input else None
    if input_path is not None and not input_path.is_file():
        raise InputFileError(f"{input_path}: no such input file (--input)")
    if not (sys.stdin.isatty() and sys.__stdout__ is not None and sys.__stdout__.isatty()):
        raise UsageError(
            "the viewer needs a terminal (stdin and stdout are not both one); "
            f"to print the records use `batchtui results {path}`"
        )
    from batchtui.tui.view_app import run_view

    return run_view(
        path, input_path=input_path, requests=kind == "requests", no_mouse=args.no_mouse
    )
