"""Streaming validator for OpenAI-format batch input files (JSONL).

One pass, constant memory apart from the custom_id index: the file is read in binary
chunks, split into lines here, and each line is decoded and parsed once. Every problem
is reported with its 1-based line and the field it is about, all in the same pass.

What counts as an error (blocks submit) and what as a warning:
- Errors: anything OpenAI's batch validation rejects (`invalid_json_line`,
  `duplicate_custom_id`, `url_mismatch`, `model_mismatch`, `empty_file`,
  `too_many_tasks`...), anything a request would be refused for (missing required body
  fields, `stream: true`), and what no JSON parser reads as a request: a UTF-8 BOM (Python's
  `json` refuses it), bytes that are not UTF-8, and blank lines (an empty line is not JSON,
  and whether OpenAI skips one is undocumented: better refused here than after upload).
- Warnings: CRLF line endings. `\\r` is JSON whitespace, so each line still parses as the
  same request; the file is reported once, not line by line.

Problems are capped (`max_problems` kept, all counted) so a file with a million bad lines
does not build a million objects. File-level problems are always kept.
"""

from __future__ import annotations

import io
import json
import json.scanner
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

from batchtui.core.errors import InputFileError
from batchtui.core.estimate import FileEstimate, FileEstimator, RequestSize, chat_cap
from batchtui.core.formats.endpoints import ENDPOINTS
from batchtui.core.formats.fast_chat import (
    CHAT_URL,
    MAX_COUNT,
    NOT_DECODED,
    ChatLine,
    chat_line_decoder,
    is_utf8,
    plain_chat_line,
)
from batchtui.core.formats.limits import OPENAI_LIMITS, Limits
from batchtui.core.units import format_bytes

Severity = Literal["error", "warning"]
# Called with (bytes read so far, file size or None when unknown): the shape of
# providers.base.ProgressCallback, restated so the validator does not import pydantic.
ProgressCallback = Callable[[int, int | None], None]
CancelCheck = Callable[[], bool]
# A model's context window in tokens, None when unknown (`prices.PriceTable.context_window`).
ContextWindowLookup = Callable[[str], int | None]

DEFAULT_MAX_PROBLEMS = 1_000
CHUNK_BYTES = 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
JSON_WHITESPACE = " \t\r\n"
# Body fields that count tokens or choices, and the most any server takes (a signed 32-bit
# integer): a larger number is a mistake, and one past 10**308 would not even fit a float.
# Lines with a larger count leave the fast path; the general path reports them.
COUNT_FIELDS = ("max_tokens", "max_completion_tokens", "max_output_tokens", "n")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the file; `line` is 1-based, None for the file as a whole."""

    line: int | None
    field: str | None
    message: str
    code: str
    severity: Severity = "error"

    def describe(self, path: str | os.PathLike[str] | None = None) -> str:
        """One line for a terminal: `in.jsonl:3: custom_id 'x' already used on line 1`, or
        `in.jsonl:4: body: ...` where the message does not start with the field's name."""
        where = str(path) if path is not None else ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        prefix = f"{where}: " if where else ""
        label = "warning: " if self.severity == "warning" else ""
        # "custom_id: custom_id 'x' already used" says the field twice: once is enough.
        named = self.field is not None and self.message.startswith(self.field)
        about = f"{self.field}: " if self.field and not named else ""
        return f"{prefix}{label}{about}{self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "field": self.field,
            "message": self.message,
            "code": self.code,
            "severity": self.severity,
        }


@dataclass(slots=True)
class ValidationReport:
    """The outcome of one validation; `ok` is False when any error was found."""

    path: Path | None = None
    limits_name: str = OPENAI_LIMITS.name
    bytes: int = 0
    lines: int = 0  # request lines: every line that is not blank
    endpoint: str | None = None
    model: str | None = None
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    error_count: int = 0
    warning_count: int = 0
    counts_by_code: dict[str, int] = field(default_factory=dict)
    cancelled: bool = False
    # Token estimate of every request with a body, when asked for (`estimate=True`).
    estimate: FileEstimate | None = None
    # Embedding inputs counted across the file (a list input counts each item).
    embedding_inputs: int = 0
    # Things worth saying that are no problem (e.g. no context window known for the model).
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and not self.cancelled

    @property
    def truncated(self) -> bool:
        """True when more problems were found than `problems` holds."""
        return self.problem_count > len(self.problems)

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "warning"]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: `ok`, `lines`, `problems` [{line, field, message...}] and more."""
        return {
            "ok": self.ok,
            "lines": self.lines,
            "problems": [problem.to_json() for problem in self.problems],
            "path": str(self.path) if self.path is not None else None,
            "limits": self.limits_name,
            "bytes": self.bytes,
            "endpoint": self.endpoint,
            "model": self.model,
            "problem_count": self.problem_count,
            "error_count": self.error_count,
            "warning_count": self.warning_count,
            "counts_by_code": dict(self.counts_by_code),
            "truncated": self.truncated,
            "cancelled": self.cancelled,
            "notes": list(self.notes),
            **({"estimate": self.estimate.to_json()} if self.estimate is not None else {}),
        }


def validate_file(
    path: str | os.PathLike[str],
    *,
    limits: Limits = OPENAI_LIMITS,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
    estimate: bool = False,
    fast_path: bool = True,
    context_window: ContextWindowLookup | None = None,
    workers: int = 1,
) -> ValidationReport:
    """Validate a batch input file. Raises `InputFileError` only when it cannot be read.

    With `estimate`, the report's `estimate` holds the token estimate, made in the same pass.
    `workers` above 1 lets a large file be read on that many processes (`parallel`: only
    from a process with one thread), with neither progress nor cancel, to the same report.
    """
    file_path = Path(path)
    try:
        with open(file_path, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if workers > 1 and progress is None and cancel is None and fast_path:
                from batchtui.core.formats.parallel import validate_in_regions

                report = validate_in_regions(
                    file_path,
                    stream,
                    size,
                    workers=workers,
                    limits=limits,
                    max_problems=max_problems,
                    estimate=estimate,
                    context_window=context_window,
                )
                report.path = file_path
                return report
            report = validate_stream(
                stream,
                total_bytes=size,
                limits=limits,
                progress=progress,
                cancel=cancel,
                max_problems=max_problems,
                estimate=estimate,
                fast_path=fast_path,
                context_window=context_window,
            )
    except IsADirectoryError:
        raise InputFileError(f"{file_path}: is a directory, not a JSONL file") from None
    except OSError as error:
        raise InputFileError(f"{file_path}: cannot read: {error.strerror or error}") from None
    report.path = file_path
    return report


def validate_bytes(
    data: bytes,
    *,
    limits: Limits = OPENAI_LIMITS,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
    estimate: bool = False,
    fast_path: bool = True,
    context_window: ContextWindowLookup | None = None,
) -> ValidationReport:
    """Validate file contents held in memory (an editor buffer, a test case)."""
    return validate_stream(
        io.BytesIO(data),
        total_bytes=len(data),
        limits=limits,
        max_problems=max_problems,
        estimate=estimate,
        fast_path=fast_path,
        context_window=context_window,
    )


def validate_stream(
    stream: BinaryIO,
    *,
    total_bytes: int | None = None,
    limits: Limits = OPENAI_LIMITS,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
    chunk_bytes: int = CHUNK_BYTES,
    estimate: bool = False,
    fast_path: bool = True,
    context_window: ContextWindowLookup | None = None,
) -> ValidationReport:
    """Validate a binary stream read from its current position to its end.

    `fast_path=False` decides every line on the general path (tests compare the two).
    """
    validator = _Validator(
        limits, max_problems, estimate, fast_path=fast_path, context_window=context_window
    )
    validator.run(stream, total_bytes, progress, cancel, chunk_bytes)
    return validator.finish()


# How much of the start of a file is checked for NUL bytes.
BINARY_SNIFF_BYTES = 8192


def _read_up_to(stream: BinaryIO, size: int) -> bytes:
    """Up to `size` bytes, however few a read returns at a time (pipes, test readers)."""
    parts: list[bytes] = []
    wanted = size
    while wanted > 0:
        part = stream.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


def _drain(stream: BinaryIO, chunk_bytes: int, cancel: CancelCheck | None) -> int:
    """Bytes left in the stream, read and dropped."""
    total = 0
    while not (cancel is not None and cancel()):
        chunk = stream.read(chunk_bytes)
        if not chunk:
            break
        total += len(chunk)
    return total


class _Prefixed:
    """A stream whose first bytes were already read: they are handed out first."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size < 0 or size >= len(self._head):
                head, self._head = self._head, b""
                return head if size < 0 else head + self._rest.read(size - len(head))
            head, self._head = self._head[:size], self._head[size:]
            return head
        return self._rest.read(size)


def _json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_decoder = json.JSONDecoder(parse_constant=_json_constant)
_scan_once = json.scanner.make_scanner(_decoder)


def _loads(text: str) -> Any:
    """`_decoder.decode(text)`, minus two Python calls and two regex matches per line.

    The scanner reads a value starting at column 1; anything else (leading whitespace, a
    line that is not JSON, extra data) goes through `decode` for its exact error message.
    """
    try:
        value, end = _scan_once(text, 0)
    except StopIteration:
        return _decoder.decode(text)
    if end != len(text) and text[end:].strip(JSON_WHITESPACE):
        return _decoder.decode(text)
    return value


class _Validator:
    """State of one pass over one file."""

    def __init__(
        self,
        limits: Limits,
        max_problems: int,
        estimate: bool = False,
        *,
        fast_path: bool = True,
        context_window: ContextWindowLookup | None = None,
    ) -> None:
        self.limits = limits
        self.fast_path = fast_path
        # With the estimate, each request's input + output cap is held to its model's window.
        self.window_of = context_window or _shipped_context_window
        self.window_model: str | None = None
        self.window: int | None = None
        self.estimator = FileEstimator() if estimate else None
        # At least one, so a failed report always shows an error.
        self.max_problems = max(1, max_problems)
        self.report = ValidationReport(limits_name=limits.name)
        self.line_problems: list[Problem] = []
        self.file_problems: list[Problem] = []
        self.counts: Counter[str] = Counter()
        self.seen_ids: dict[str, int] = {}
        self.endpoint: str | None = None
        self.endpoint_line = 0
        self.model: str | None = None
        self.model_line = 0
        self.requests = 0
        self.first_request_over_limit: int | None = None
        self.binary = False
        self.embedding_inputs = 0
        self.crlf_lines = 0
        self.first_crlf_line = 0
        self.supported = frozenset(limits.endpoints)

    # -- reading -------------------------------------------------------------------------

    def run(
        self,
        stream: BinaryIO,
        total_bytes: int | None,
        progress: ProgressCallback | None,
        cancel: CancelCheck | None,
        chunk_bytes: int,
        *,
        after_line: int = 0,
    ) -> int:
        """Check every line of `stream`, the first numbered `after_line + 1`; returns the
        number of the last. A stream that starts the file (`after_line` 0) is first sniffed
        for binary content; one that continues it (`parallel`) is not, as a single pass
        does not sniff past the file's start either."""
        if after_line:
            return self._read_lines(stream, total_bytes, progress, cancel, chunk_bytes, after_line)
        head = _read_up_to(stream, BINARY_SNIFF_BYTES)
        if b"\x00" in head and not head.startswith(UTF16_BOMS):
            # JSONL in UTF-8 never holds a NUL byte: one problem, not one per "line".
            self._file_problem(
                None,
                None,
                "binary_file",
                "a binary file, not JSONL text (it contains NUL bytes); "
                "batch input must be UTF-8 JSON Lines",
            )
            self.binary = True
            self.report.bytes = len(head) + _drain(stream, chunk_bytes, cancel)
            return 0
        return self._read_lines(
            _Prefixed(head, stream), total_bytes, progress, cancel, chunk_bytes, 0
        )

    def _read_lines(
        self,
        stream: BinaryIO,
        total_bytes: int | None,
        progress: ProgressCallback | None,
        cancel: CancelCheck | None,
        chunk_bytes: int,
        line_no: int,
    ) -> int:
        max_line = self.limits.max_line_bytes
        check_line = self._check_line
        carry: list[bytes] = []  # pieces of a line that spans chunks
        carry_bytes = 0
        carry_too_long = False  # the carried line passed max_line: its bytes are dropped
        bytes_read = 0
        while True:
            if cancel is not None and cancel():
                self.report.cancelled = True
                break
            chunk = stream.read(chunk_bytes)
            if not chunk:
                break
            bytes_read += len(chunk)
            first_end = chunk.find(b"\n")
            if first_end >= 0:
                # The line the previous chunks began (or this chunk's first line) ends here.
                line_no += 1
                length = carry_bytes + first_end
                if carry_too_long or (max_line is not None and length > max_line):
                    self._line_too_long(line_no, length)
                elif carry_bytes:
                    carry.append(chunk[:first_end])
                    check_line(b"".join(carry), line_no)
                else:
                    check_line(chunk[:first_end], line_no)
                carry = []
                carry_bytes = 0
                carry_too_long = False
                last_end = chunk.rfind(b"\n")
                if last_end > first_end:
                    line_no = self._check_lines(chunk, first_end + 1, last_end, line_no)
                tail = chunk[last_end + 1 :]
            else:
                tail = chunk
            if tail:
                carry_bytes += len(tail)
                if carry_too_long or (max_line is not None and carry_bytes > max_line):
                    carry_too_long = True
                    carry = []
                else:
                    carry.append(tail)
            if progress is not None:
                progress(bytes_read, total_bytes)
        if carry_bytes and not self.report.cancelled:
            line_no += 1
            if carry_too_long:
                self._line_too_long(line_no, carry_bytes)
            else:
                check_line(b"".join(carry), line_no)
        self.report.bytes += bytes_read
        return line_no

    def _check_lines(self, data: bytes, pos: int, stop: int, line_no: int) -> int:
        """Check the whole lines of `data[pos:stop]` (`stop` is the last one's newline);
        returns the number of the last line checked."""
        max_line = self.limits.max_line_bytes
        fast = self.fast_path and (max_line is None or len(data) <= max_line)
        # CRLF lines are counted as such on the general path.
        fast = fast and b"\r" not in data
        find = data.find
        while pos <= stop:
            if fast and self.endpoint == CHAT_URL and self.model is not None:
                return self._fast_lines(data, pos, stop, line_no)
            end = find(b"\n", pos)
            line_no += 1
            if max_line is not None and end - pos > max_line:
                self._line_too_long(line_no, end - pos)
            else:
                self._check_line(data[pos:end], line_no)
            pos = end + 1
        return line_no

    def _fast_lines(self, data: bytes, pos: int, stop: int, line_no: int) -> int:
        """`_check_lines` once the file's url is the chat endpoint and its model is known.

        Each line is decoded by msgspec from a view of `data` (no copy), every rule checked
        in C (`fast_chat`); the estimate of the decoded lines is made for all of them at once.
        When all decoded and nothing is wrong (the usual chunk), the chunk is counted in a
        few bulk operations; otherwise line by line in order, those msgspec could not decode
        by `_check_line`, so problems come in the same order, and under the same cap, as a
        line-by-line pass gives them.
        """
        assert self.model is not None
        view = memoryview(data)
        find = data.find
        decode = chat_line_decoder(self.model)
        starts: list[int] = []
        decoded: list[ChatLine | None] = []
        while pos <= stop:
            end = find(b"\n", pos)
            try:
                decoded.append(decode(view[pos:end]))
            except NOT_DECODED:
                decoded.append(None)
            starts.append(pos)
            pos = end + 1
        if not data.isascii():
            # msgspec checks the text of the fields it reads, not of those it skips.
            for index, start in enumerate(starts):
                if decoded[index] is not None and not is_utf8(view[start : find(b"\n", start)]):
                    decoded[index] = None
        view.release()
        first = line_no + 1
        lines = list(range(first, first + len(starts)))
        fast = [line for line in decoded if line is not None]
        bodies = [line.body for line in fast]
        estimator = self.estimator
        tokens: list[int] = []
        caps: list[int | None] = []
        window = None
        if estimator is not None:
            tokens = estimator.chat_input_tokens(bodies)
            caps = list(map(chat_cap, bodies))
            window = self._window()
        if len(fast) == len(decoded) and self._count_chunk(fast, lines, tokens, caps, window):
            if estimator is not None:
                estimator.add_chats(bodies, tokens, caps, lines)
            return lines[-1] if lines else line_no
        counted = iter(tokens)
        seen_first = self.seen_ids.setdefault
        for start, line, line_no in zip(starts, decoded, lines, strict=True):
            if line is None:
                self._check_line(data[start : find(b"\n", start)], line_no)
                continue
            self._count_request(line_no)
            custom_id = line.custom_id
            if seen_first(custom_id, line_no) != line_no:
                self._note_custom_id(custom_id, line_no)
            if estimator is not None:
                size = estimator.add_counted_chat(line.body, next(counted), line_no)
                if window is not None and size.input_tokens + (size.output_cap or 0) > window:
                    self._check_window(size, line_no)
        return lines[-1] if lines else line_no

    def _count_chunk(
        self,
        decoded: list[ChatLine],
        lines: list[int],
        tokens: list[int],
        caps: list[int | None],
        window: int | None,
    ) -> bool:
        """Count a chunk of valid lines in bulk: True when done, False (nothing counted) when
        one of them has a problem (a custom_id used before, a request past its window)."""
        ids = [line.custom_id for line in decoded]
        seen = self.seen_ids
        if len(set(ids)) != len(ids) or not seen.keys().isdisjoint(ids):
            return False
        if (
            window is not None
            # The largest input with the largest cap bounds every request: one sum, usually.
            and max(tokens) + max(filter(None, caps), default=0) > window
            and any(size + (cap or 0) > window for size, cap in zip(tokens, caps, strict=True))
        ):
            return False
        seen.update(zip(ids, lines, strict=True))
        max_requests = self.limits.max_requests
        if max_requests is not None and self.requests <= max_requests < self.requests + len(ids):
            self.first_request_over_limit = lines[max_requests - self.requests]
        self.requests += len(ids)
        return True

    # -- per line ------------------------------------------------------------------------

    def _check_line(self, raw: bytes, line_no: int) -> None:
        if raw.endswith(b"\r"):
            raw = raw[:-1]
            self.crlf_lines += 1
            if self.crlf_lines == 1:
                self.first_crlf_line = line_no
        if line_no == 1:
            raw = self._check_start_of_file(raw)
        elif self.fast_path and self._fast_chat(raw, line_no):
            return
        try:
            text = raw.decode()
        except UnicodeDecodeError as error:
            self._problem(
                line_no,
                None,
                "not_utf8",
                f"bytes that are not UTF-8 at column {error.start + 1} "
                f"(0x{raw[error.start]:02x}); save the file as UTF-8",
            )
            text = raw.decode(errors="replace")
        try:
            request = _loads(text)
        except (ValueError, RecursionError) as error:
            self._not_json(text, line_no, error)
            return
        self._count_request(line_no)
        if type(request) is not dict:
            self._problem(
                line_no,
                None,
                "invalid_json_line",
                f"line is {_json_kind(request)}, not a JSON object",
            )
            return

        custom_id = request.get("custom_id")
        if type(custom_id) is str and custom_id:
            self._note_custom_id(custom_id, line_no)
        else:
            self._bad_custom_id(request, line_no)

        if request.get("method") != "POST":
            self._bad_method(request, line_no)

        url = request.get("url")
        if url != self.endpoint or url is None:
            self._check_url(request, url, line_no)

        body = request.get("body")
        if type(body) is not dict:
            self._bad_body(request, body, line_no)
            return
        spec = ENDPOINTS.get(url) if url == self.endpoint else None
        model = body.get("model")
        if model != self.model or model is None:
            self._check_model(body, model, line_no, spec is None or spec.model_required)
        if body.get("stream") is True:
            self._problem(
                line_no,
                "body.stream",
                "stream_not_supported",
                "stream: true is not supported in a batch; remove it",
            )
        if _has_huge_count(body):
            body = self._huge_counts(body, line_no)
        if spec is not None:
            for issue in spec.check_body(body):
                self._problem(line_no, f"body.{issue.field}", issue.code, issue.message)
            if spec.count_inputs is not None:
                self.embedding_inputs += spec.count_inputs(body)
        if self.estimator is not None:
            size = self.estimator.add(body, url if type(url) is str else None, line_no)
            self._check_window(size, line_no)

    def _fast_chat(self, raw: bytes, line_no: int) -> bool:
        """Decide a plain chat request line on the typed fast path (`fast_chat`); False when
        the line needs the general path."""
        line = plain_chat_line(raw, endpoint=self.endpoint, model=self.model)
        if line is None:
            return False
        self._count_request(line_no)
        self._note_custom_id(line.custom_id, line_no)
        if self.estimator is not None:
            self._check_window(self.estimator.add_chat_body(line.body, line_no), line_no)
        return True

    def _window(self) -> int | None:
        """The context window of the file's model (None when unknown: said once in a note)."""
        if self.model != self.window_model:
            self.window_model = self.model
            self.window = self.window_of(self.model) if type(self.model) is str else None
            if self.window is None and type(self.model) is str:
                self.report.notes.append(
                    f"no context window known for model {self.model!r}: request sizes not "
                    'checked (set [prices."MODEL"] context_window = N in config.toml)'
                )
        return self.window

    def _check_window(self, size: RequestSize, line_no: int) -> None:
        """A request whose input and output cap exceed its model's context window fails."""
        window = self._window()
        if window is None:
            return
        needed = size.input_tokens + (size.output_cap or 0)
        if needed > window:
            cap = f" + {size.output_cap:,} max output" if size.output_cap else ""
            self._problem(
                line_no,
                "body",
                "context_window_exceeded",
                f"about {size.input_tokens:,} input tokens{cap} exceed the {window:,}-token "
                f"context window of {self.model}",
            )

    def _note_custom_id(self, custom_id: str, line_no: int) -> None:
        first_use = self.seen_ids.setdefault(custom_id, line_no)
        if first_use != line_no:
            self._problem(
                line_no,
                "custom_id",
                "duplicate_custom_id",
                f"custom_id {_short_repr(custom_id)} already used on line {first_use}",
            )

    def _huge_counts(self, body: dict[str, Any], line_no: int) -> dict[str, Any]:
        """Report each count past MAX_COUNT; the body without them, for the later checks."""
        kept = dict(body)
        for name in COUNT_FIELDS:
            value = body.get(name)
            if type(value) is int and value > MAX_COUNT:
                digits = len(str(value))  # json reads no int longer than str() writes
                self._problem(
                    line_no,
                    f"body.{name}",
                    "number_too_large",
                    f"body.{name} is a {digits}-digit number; at most {MAX_COUNT:,}",
                )
                del kept[name]
        return kept

    def _count_request(self, line_no: int) -> None:
        self.requests += 1
        max_requests = self.limits.max_requests
        if max_requests is not None and self.requests == max_requests + 1:
            self.first_request_over_limit = line_no

    def _check_start_of_file(self, raw: bytes) -> bytes:
        if raw.startswith(UTF8_BOM):
            self._problem(
                1,
                None,
                "bom",
                "file starts with a UTF-8 byte order mark (BOM); save it as UTF-8 without BOM",
            )
            return raw[len(UTF8_BOM) :]
        if raw.startswith(UTF16_BOMS):
            self._file_problem(
                1, None, "not_utf8", "file is UTF-16 (byte order mark); save it as UTF-8"
            )
        return raw

    def _not_json(self, text: str, line_no: int, error: Exception) -> None:
        if not text.strip(JSON_WHITESPACE):
            self._problem(
                line_no,
                None,
                "blank_line",
                "blank line; every line must be one JSON request (remove it)",
            )
            return
        self._count_request(line_no)
        if isinstance(error, json.JSONDecodeError):
            # json's own messages may end in "at" ("Unterminated string starting at").
            detail = f"{error.msg.removesuffix(' at')} at column {error.colno}"
        elif isinstance(error, RecursionError):
            detail = "nested too deeply"
        else:
            detail = str(error)
        self._problem(line_no, None, "invalid_json_line", f"not valid JSON: {detail}")

    def _bad_custom_id(self, request: dict[str, Any], line_no: int) -> None:
        if "custom_id" not in request:
            self._problem(line_no, "custom_id", "missing_custom_id", "missing custom_id")
            return
        value = request["custom_id"]
        if type(value) is str:
            message = "custom_id is empty"
        else:
            message = f"custom_id must be a string, not {_json_kind(value)}"
        self._problem(line_no, "custom_id", "invalid_custom_id", message)

    def _bad_method(self, request: dict[str, Any], line_no: int) -> None:
        if "method" not in request:
            self._problem(line_no, "method", "missing_method", 'missing method (must be "POST")')
        else:
            shown = _short_repr(request["method"])
            self._problem(
                line_no, "method", "invalid_method", f'method is {shown}; it must be "POST"'
            )

    def _check_url(self, request: dict[str, Any], url: object, line_no: int) -> None:
        if "url" not in request:
            self._problem(
                line_no,
                "url",
                "missing_url",
                "missing url (the endpoint, e.g. /v1/chat/completions)",
            )
            return
        if type(url) is not str or url not in self.supported:
            supported = ", ".join(self.limits.endpoints)
            self._problem(
                line_no,
                "url",
                "unsupported_url",
                f"url {_short_repr(url)} is not a batch endpoint {self.limits.name} supports "
                f"({supported})",
            )
            return
        if self.endpoint is None:
            self.endpoint = url
            self.endpoint_line = line_no
            return
        self._problem(
            line_no,
            "url",
            "url_mismatch",
            f"url {url!r} differs from {self.endpoint!r} on line {self.endpoint_line} "
            "(one endpoint per file)",
        )

    def _bad_body(self, request: dict[str, Any], body: object, line_no: int) -> None:
        if "body" not in request:
            self._problem(line_no, "body", "missing_body", "missing body (the request itself)")
        else:
            self._problem(
                line_no, "body", "invalid_body", f"body must be an object, not {_json_kind(body)}"
            )

    def _check_model(
        self, body: dict[str, Any], model: object, line_no: int, required: bool
    ) -> None:
        if model is None:
            if "model" in body:
                self._problem(line_no, "body.model", "invalid_model", "body.model is null")
            elif required:
                self._problem(line_no, "body.model", "missing_model", "missing body.model")
            return
        if type(model) is not str or not model:
            self._problem(
                line_no, "body.model", "invalid_model", "body.model must be a non-empty string"
            )
            return
        if self.model is None:
            self.model = model
            self.model_line = line_no
            return
        self._problem(
            line_no,
            "body.model",
            "model_mismatch",
            f"body.model {_short_repr(model)} differs from {_short_repr(self.model)} "
            f"on line {self.model_line} "
            "(one model per file)",
        )

    def _line_too_long(self, line_no: int, length: int) -> None:
        self._count_request(line_no)
        limit = self.limits.max_line_bytes or 0
        self._problem(
            line_no,
            None,
            "line_too_long",
            f"line is {format_bytes(length)} ({length:,} bytes); {self.limits.name} takes at "
            f"most {format_bytes(limit)} per request, so it was not checked further",
        )

    # -- reporting -----------------------------------------------------------------------

    def _problem(
        self,
        line: int | None,
        field_name: str | None,
        code: str,
        message: str,
        severity: Severity = "error",
    ) -> None:
        self._count(code, severity)
        if len(self.line_problems) < self.max_problems:
            self.line_problems.append(Problem(line, field_name, message, code, severity))

    def _file_problem(
        self,
        line: int | None,
        field_name: str | None,
        code: str,
        message: str,
        severity: Severity = "error",
    ) -> None:
        self._count(code, severity)
        self.file_problems.append(Problem(line, field_name, message, code, severity))

    def _count(self, code: str, severity: Severity) -> None:
        self.counts[code] += 1
        if severity == "error":
            self.report.error_count += 1
        else:
            self.report.warning_count += 1

    def finish(self) -> ValidationReport:
        report = self.report
        limits = self.limits
        if not report.cancelled and not self.binary:
            if self.requests == 0:
                what = "file is empty" if report.bytes == 0 else "file has no requests"
                self._file_problem(None, None, "empty_file", what)
            if limits.max_file_bytes is not None and report.bytes > limits.max_file_bytes:
                self._file_problem(
                    None,
                    None,
                    "file_too_large",
                    f"file is {format_bytes(report.bytes)} ({report.bytes:,} bytes); "
                    f"{limits.name} takes at most {format_bytes(limits.max_file_bytes)}",
                )
            if self.first_request_over_limit is not None:
                self._file_problem(
                    self.first_request_over_limit,
                    None,
                    "too_many_tasks",
                    f"file has {self.requests:,} requests; {limits.name} takes at most "
                    f"{limits.max_requests:,} per batch (line {self.first_request_over_limit} "
                    "is the first over)",
                )
            max_inputs = limits.max_embedding_inputs
            if max_inputs is not None and self.embedding_inputs > max_inputs:
                self._file_problem(
                    None,
                    "body.input",
                    "too_many_embedding_inputs",
                    f"file has {self.embedding_inputs:,} embedding inputs; {limits.name} "
                    f"takes at most {max_inputs:,} per batch",
                )
            if self.crlf_lines:
                self._file_problem(
                    self.first_crlf_line,
                    None,
                    "crlf",
                    f"{_plural(self.crlf_lines, 'line ends', 'lines end')} with CRLF "
                    f"(\\r\\n), first on line {self.first_crlf_line}; they still parse, "
                    "but LF is the JSONL norm",
                    severity="warning",
                )
        report.lines = self.requests
        report.embedding_inputs = self.embedding_inputs
        if self.estimator is not None:
            report.estimate = self.estimator.totals
        report.endpoint = self.endpoint
        report.model = self.model
        # Stable: file-wide problems (no line) first, then by line as found.
        report.problems = sorted(
            self.file_problems + self.line_problems, key=lambda problem: problem.line or 0
        )
        report.problem_count = report.error_count + report.warning_count
        report.counts_by_code = dict(self.counts)
        return report


def _has_huge_count(body: dict[str, Any]) -> bool:
    for name in COUNT_FIELDS:
        value = body.get(name)
        if type(value) is int and value > MAX_COUNT:
            return True
    return False


def _shipped_context_window(model: str) -> int | None:
    from batchtui.core.prices import PriceTable

    return PriceTable().context_window(model)


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _short_repr(value: object, limit: int = 60) -> str:
    if isinstance(value, str):
        text = repr(value)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (ValueError, RecursionError):  # nested as deep as the parser allowed
            text = _json_kind(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"
