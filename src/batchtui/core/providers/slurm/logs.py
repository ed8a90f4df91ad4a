"""What a job's log tells: vLLM's progress bar and the cause when its engine died."""

from __future__ import annotations

import re
from pathlib import Path

# Each run of `vllm run-batch` in a job starts with this line (written by the sbatch script),
# so progress is read from the current run only.
RUN_MARKER = "batchtui: run "
# vLLM's tqdm bar: `Running batch:  45% Completed | 9/20 [00:05<00:06, 1.6req/s]`.
_PROGRESS = re.compile(r"Running batch:.*?\|\s*(\d+)/(\d+)")
# A log line's message after vLLM's `(Proc pid=1) ERROR 12-06 00:31:53 [core.py:1512] ` prefix.
_ERROR_LINE = re.compile(r"ERROR [\d-]+ [\d:]+ \[[^\]]*\] (.*)$")
_EXCEPTION = re.compile(r"^([\w.]*(?:Error|Exception)): (.+)")
_ENGINE_DEAD = "EngineDeadError"
TAIL_BYTES = 64 * 1024


def read_tail(path: Path, limit: int = TAIL_BYTES) -> str:
    """The last `limit` bytes of a log (decoded leniently), or "" when there is none."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(max(0, size - limit))
            data = handle.read()
    except OSError:
        return ""
    return data.decode("utf-8", errors="replace").replace("\r", "\n")


def current_run_progress(log_text: str) -> int:
    """Requests the current run has answered, per the last progress bar since its marker."""
    start = log_text.rfind(RUN_MARKER)
    done = 0
    for match in _PROGRESS.finditer(log_text, start if start >= 0 else 0):
        done = int(match.group(1))
    return done


def engine_failure_cause(log_text: str) -> str | None:
    """The exception that killed vLLM's engine (its first error naming one), if logged."""
    fallback = None
    for line in log_text.splitlines():
        match = _ERROR_LINE.search(line)
        if not match:
            continue
        message = match.group(1).strip()
        exception = _EXCEPTION.match(message)
        if exception is None:
            continue
        if _ENGINE_DEAD in exception.group(1):
            fallback = fallback or message
            continue
        return message
    return fallback


def last_error_line(log_text: str) -> str | None:
    """The last line that looks like an error (for jobs that failed before vLLM ran)."""
    for line in reversed(log_text.splitlines()):
        text = line.strip()
        if text and re.search(r"(error|Error|ERROR|not found|No such file|Traceback)", text):
            return text[-300:]
    return None


def tail_lines(path: Path, count: int) -> list[str]:
    """The last `count` lines of a log (progress bars' carriage returns read as newlines)."""
    text = read_tail(path)
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-count:] if count > 0 else []
