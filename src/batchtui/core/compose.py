"""Build a batch input file from a dataset and a prompt template.

Datasets are CSV, TSV, JSONL of objects, or plain text with one prompt per line.
Everything streams: rows are read one at a time and requests are generated one at
a time, so a big dataset costs no more memory than a small one, and the TUI's
preview and a `batchtui compose` command share the same code.
"""

from __future__ import annotations

import csv
import io
import json
import string
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from batchtui.core.errors import InputFileError
from batchtui.core.output_file import output_file

DATASET_KINDS = ("csv", "tsv", "jsonl", "text")
TEXT_COLUMN = "text"
ROW_NUMBER = ""  # custom_id_column value meaning "use the row number"

# Endpoints the composer knows how to fill; the request body differs for each.
COMPOSE_ENDPOINTS = (
    "/v1/chat/completions",
    "/v1/responses",
    "/v1/completions",
    "/v1/embeddings",
)

_EXTENSION_KINDS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


class ComposeError(InputFileError):
    """The dataset, the template or a setting cannot make a valid request (says where)."""


@dataclass(frozen=True, slots=True)
class Row:
    number: int  # 1-based position among the dataset's records
    line: int  # 1-based line of the source file where the record starts
    values: dict[str, Any]


# --- datasets ---------------------------------------------------------------------------------


def default_output(dataset: Path) -> Path:
    """Where a composed file goes unless told: `reviews.csv` -> `reviews.requests.jsonl`
    beside it (a path still being typed, like `/` or `~/`, has no name yet: the file goes
    into that directory). The CLI and the TUI both use this name."""
    if not dataset.name:
        return dataset / "requests.jsonl"
    return dataset.with_name(f"{dataset.stem}.requests.jsonl")


def dataset_kind(path: Path, kind: str | None = None) -> str:
    """The dataset format: `kind` when given, else from the file extension (text otherwise)."""
    if kind is not None:
        if kind not in DATASET_KINDS:
            raise ComposeError(
                f"unknown dataset format {kind!r} (known: {', '.join(DATASET_KINDS)})"
            )
        return kind
    return _EXTENSION_KINDS.get(Path(path).suffix.lower(), "text")


def iter_rows(path: Path, kind: str | None = None) -> Iterator[Row]:
    """The records of a dataset, one at a time."""
    path = Path(path)
    kind = dataset_kind(path, kind)
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ComposeError(f"{path}: cannot open: {exc.strerror or exc}") from None
    with handle:
        try:
            if kind in ("csv", "tsv"):
                yield from _csv_rows(path, handle, "\t" if kind == "tsv" else ",")
            elif kind == "jsonl":
                yield from _jsonl_rows(path, handle)
            else:
                yield from _text_rows(handle)
        except UnicodeDecodeError as exc:
            raise ComposeError(f"{path}: not UTF-8 text (byte {exc.start} of a read)") from None
        except csv.Error as exc:
            raise ComposeError(f"{path}: {exc}") from None


def _csv_rows(path: Path, handle: io.TextIOBase, delimiter: str) -> Iterator[Row]:
    reader = csv.reader(handle, delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        return
    columns = [name.strip() for name in header]
    seen: set[str] = set()
    for name in columns:
        if not name:
            raise ComposeError(f"{path}:1: the header has an empty column name")
        if name in seen:
            raise ComposeError(f"{path}:1: column {name!r} appears twice in the header")
        seen.add(name)
    number = 0
    start = reader.line_num + 1
    for cells in reader:
        line = start
        start = reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        number += 1
        if len(cells) > len(columns):
            raise ComposeError(
                f"{path}:{line}: row {number} has {len(cells)} cells "
                f"but the header names {len(columns)} columns"
            )
        # A short row lacks its last columns: they stay absent so templates say which.
        yield Row(number, line, dict(zip(columns, cells, strict=False)))


def _jsonl_rows(path: Path, handle: io.TextIOBase) -> Iterator[Row]:
    number = 0
    for line_number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            raise ComposeError(f"{path}:{line_number}: not valid JSON ({exc})") from None
        except RecursionError:
            raise ComposeError(f"{path}:{line_number}: JSON nested too deeply") from None
        if not isinstance(value, dict):
            raise ComposeError(
                f"{path}:{line_number}: expected a JSON object, got {type(value).__name__}"
            )
        number += 1
        yield Row(number, line_number, value)


def _text_rows(handle: io.TextIOBase) -> Iterator[Row]:
    number = 0
    for line_number, line in enumerate(handle, 1):
        prompt = line.rstrip("\r\n")
        if not prompt.strip():
            continue
        number += 1
        yield Row(number, line_number, {TEXT_COLUMN: prompt})


def dataset_columns(path: Path, kind: str | None = None, *, sample: int = 100) -> list[str]:
    """Column names: the CSV header, or the keys of the first `sample` JSONL records."""
    path = Path(path)
    kind = dataset_kind(path, kind)
    if kind == "text":
        return [TEXT_COLUMN]
    if kind in ("csv", "tsv"):
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                header = next(csv.reader(handle, delimiter="\t" if kind == "tsv" else ","), [])
        except OSError as exc:
            raise ComposeError(f"{path}: cannot open: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise ComposeError(f"{path}: not UTF-8 text") from None
        return [name.strip() for name in header]
    columns: dict[str, None] = {}
    for row in islice(iter_rows(path, kind), sample):
        columns.update(dict.fromkeys(row.values))
    return list(columns)


# --- templates --------------------------------------------------------------------------------


class Template:
    """Text with `{column}` placeholders; `{{` and `}}` stand for literal braces."""

    def __init__(self, text: str, *, name: str = "user template") -> None:
        self.text = text
        self.name = name
        self._parts: list[tuple[str, str | None]] = []
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise ComposeError(f"{name}: {exc} (write {{{{ and }}}} for literal braces)") from None
        for literal, field_name, format_spec, conversion in parsed:
            if field_name is None:
                self._parts.append((literal, None))
                continue
            placeholder = "{" + field_name + (f"!{conversion}" if conversion else "")
            placeholder += (f":{format_spec}" if format_spec else "") + "}"
            if not field_name.strip():
                raise ComposeError(
                    f"{name}: empty placeholder {placeholder} "
                    f"(name a column, or write {{{{ and }}}} for literal braces)"
                )
            if conversion or format_spec:
                raise ComposeError(
                    f"{name}: placeholder {placeholder} has a format or conversion; only "
                    f"{{column}} is supported (write {{{{ and }}}} for literal braces)"
                )
            self._parts.append((literal, field_name))

    @property
    def fields(self) -> list[str]:
        """Column names used, in order of first use."""
        return list(dict.fromkeys(name for _, name in self._parts if name is not None))

    def check_columns(self, columns: Iterable[str], *, where: str = "") -> None:
        known = list(columns)
        for name in self.fields:
            if name not in known:
                raise ComposeError(
                    f"{where}{self.name}: placeholder {{{name}}} names no column "
                    f"(columns: {', '.join(known) or 'none'})"
                )

    def render(self, row: Row, *, where: str) -> str:
        pieces = []
        for literal, name in self._parts:
            pieces.append(literal)
            if name is None:
                continue
            if name not in row.values:
                columns = ", ".join(str(key) for key in row.values)
                raise ComposeError(
                    f"{where}: row {row.number} has no column {name!r} "
                    f"used by the {self.name} (it has: {columns})"
                )
            pieces.append(cell_text(row.values[name]))
        return "".join(pieces)


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False)


# --- requests ---------------------------------------------------------------------------------


@dataclass
class ComposeSpec:
    """Everything the composer needs besides the dataset."""

    user_template: str
    model: str
    endpoint: str = "/v1/chat/completions"
    system_prompt: str = ""
    custom_id_column: str = ROW_NUMBER
    custom_id_prefix: str = "row-"
    max_tokens: int | None = None
    temperature: float | None = None
    extra_body: dict[str, Any] = field(default_factory=dict)

    def check(self) -> None:
        """Raise ComposeError naming the first setting that cannot work."""
        if not self.model.strip():
            raise ComposeError("model: required (e.g. gpt-4o-mini)")
        if self.endpoint not in COMPOSE_ENDPOINTS:
            raise ComposeError(
                f"endpoint: {self.endpoint!r} is not one the composer fills "
                f"(known: {', '.join(COMPOSE_ENDPOINTS)})"
            )
        if not self.user_template.strip():
            raise ComposeError("user template: required (e.g. Summarise: {text})")
        if self.endpoint == "/v1/embeddings" and self.system_prompt.strip():
            raise ComposeError("system prompt: /v1/embeddings takes no system prompt")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise ComposeError(f"max tokens: must be at least 1, not {self.max_tokens}")
        if self.temperature is not None and not 0 <= self.temperature <= 2:
            raise ComposeError(f"temperature: must be between 0 and 2, not {self.temperature}")

    def body(self, system: str, user: str) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model}
        if self.endpoint == "/v1/chat/completions":
            messages = [{"role": "system", "content": system}] if system else []
            body["messages"] = [*messages, {"role": "user", "content": user}]
            tokens_key = "max_completion_tokens"  # max_tokens is deprecated for chat
        elif self.endpoint == "/v1/responses":
            if system:
                body["instructions"] = system
            body["input"] = user
            tokens_key = "max_output_tokens"
        elif self.endpoint == "/v1/completions":
            body["prompt"] = f"{system}\n\n{user}" if system else user
            tokens_key = "max_tokens"
        else:
            body["input"] = user
            return {**body, **self.extra_body}
        if self.max_tokens is not None:
            body[tokens_key] = self.max_tokens
        if self.temperature is not None:
            body["temperature"] = self.temperature
        return {**body, **self.extra_body}


def iter_requests(rows: Iterable[Row], spec: ComposeSpec, *, source: str) -> Iterator[dict]:
    """One batch request dict per row; ComposeError names `source`:line and the row."""
    spec.check()
    user = Template(spec.user_template, name="user template")
    system = Template(spec.system_prompt, name="system prompt")
    seen: dict[str, int] = {}
    for row in rows:
        where = f"{source}:{row.line}"
        custom_id = _custom_id(row, spec, where)
        if custom_id in seen:
            raise ComposeError(
                f"{where}: custom_id {custom_id!r} of row {row.number} repeats "
                f"row {seen[custom_id]} (custom_id must be unique)"
            )
        seen[custom_id] = row.number
        yield {
            "custom_id": custom_id,
            "method": "POST",
            "url": spec.endpoint,
            "body": spec.body(system.render(row, where=where), user.render(row, where=where)),
        }


def _custom_id(row: Row, spec: ComposeSpec, where: str) -> str:
    if spec.custom_id_column == ROW_NUMBER:
        return f"{spec.custom_id_prefix}{row.number}"
    if spec.custom_id_column not in row.values:
        raise ComposeError(
            f"{where}: row {row.number} has no custom_id column {spec.custom_id_column!r}"
        )
    value = cell_text(row.values[spec.custom_id_column]).strip()
    if not value:
        raise ComposeError(
            f"{where}: row {row.number} has an empty custom_id column {spec.custom_id_column!r}"
        )
    return value


def request_line(request: dict) -> str:
    return json.dumps(request, ensure_ascii=False, separators=(",", ":"))


def preview_lines(
    path: Path, spec: ComposeSpec, *, count: int = 5, kind: str | None = None
) -> list[str]:
    """The first `count` JSONL lines the dataset would give (reads only what it needs)."""
    requests = iter_requests(iter_rows(path, kind), spec, source=str(path))
    return [request_line(request) for request in islice(requests, count)]


@dataclass(frozen=True)
class ComposeResult:
    path: Path
    requests: int
    bytes: int


class _Cancelled(Exception):
    """Raised inside the atomic write so the partial file is discarded."""


def compose_file(
    source: Path,
    spec: ComposeSpec,
    dest: Path,
    *,
    kind: str | None = None,
    progress: Callable[[int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> ComposeResult | None:
    """Write the batch input for `source` to `dest`, whole or not at all; None when cancelled.

    `progress` gets the number of requests written so far, every 1000 requests.
    """
    source, dest = Path(source), Path(dest)
    if dest.resolve() == source.resolve():
        raise ComposeError(f"{dest}: the output would overwrite the dataset")
    requests = iter_requests(iter_rows(source, kind), spec, source=str(source))
    count = 0
    size = 0
    try:
        with output_file(dest, text=True) as handle:
            for request in requests:
                data = request_line(request) + "\n"
                handle.write(data)
                count += 1
                size += len(data.encode("utf-8"))
                if count % 1000 == 0:
                    if cancel is not None and cancel():
                        raise _Cancelled
                    if progress is not None:
                        progress(count)
            if count == 0:
                raise ComposeError(f"{source}: the dataset has no rows")
    except _Cancelled:
        return None
    if progress is not None:
        progress(count)
    return ComposeResult(dest, count, size)
