"""Convert batch input files between OpenAI, Gemini and Vertex AI line formats.

- OpenAI (§1.7): `{"custom_id", "method": "POST", "url", "body"}`; chat completions, and
  embeddings with a single string input.
- Gemini Developer API (§4.5): `{"key": ID, "request": GenerateContentRequest}`, or an
  `EmbedContentRequest` (`{"content": ...}`) for embedding batches.
- Vertex AI (§5.5): `{"request": GenerateContentRequest}`. Vertex has no request id, so
  the custom_id travels twice: in `request.labels`, which the output rows echo, and as a
  top-level `requestId` (Portkey's convention, read first by `formats.results`). GCP
  labels are lowercased and cut to 63 characters, so the labels hold a label-safe
  `litellm_custom_id` plus the exact id base32-encoded over `litellm_custom_id_raw`,
  `..._raw_1`...: LiteLLM's scheme, which `formats.results` and LiteLLM's own output
  conversion both decode. `vertex_request_id=False` leaves the top-level field out, for
  a pipeline that refuses unknown top-level fields.

The source format is detected from the first request line; every line is converted on
its own, streaming (constant memory), into a temporary file renamed over `dest` at the
end. What a target cannot express is reported per line and field: a field that is
dropped leaves the line converted without it; a line that cannot be converted faithfully
(tool calls in the conversation, file ids) is skipped. Models are not part of Gemini or
Vertex lines (they are given when the batch is created), so converting to OpenAI needs
`model`.
"""

from __future__ import annotations

import base64
import contextlib
import json
import mimetypes
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from batchtui.core.errors import InputFileError, UsageError
from batchtui.core.output_file import output_file

Format = Literal["openai", "gemini", "vertex"]
FORMATS: tuple[Format, ...] = ("openai", "gemini", "vertex")
Severity = Literal["dropped", "skipped"]
# Records a field left out of the converted line: (field, why).
Drop = Callable[[str, str], None]

CHAT_URL = "/v1/chat/completions"
EMBEDDINGS_URL = "/v1/embeddings"
DEFAULT_MAX_ISSUES = 1_000

# GCP label values: at most 63 characters, lowercase letters, digits, `_` and `-`.
LABEL_MAX = 63
SAFE_LABEL = "litellm_custom_id"
RAW_LABEL = "litellm_custom_id_raw"
RAW_PREFIX = "b32_"
MAX_LABELS = 64
_LABEL_UNSAFE = re.compile(r"[^a-z0-9_-]")
_DATA_URL = re.compile(r"^data:([\w.+-]+/[\w.+-]+)(?:;[^,]*)?;base64,(.*)$", re.DOTALL)

# OpenAI chat parameter -> Gemini generationConfig field, for values copied as they are.
_SAME_VALUE_PARAMS = {
    "temperature": "temperature",
    "top_p": "topP",
    "seed": "seed",
    "presence_penalty": "presencePenalty",
    "frequency_penalty": "frequencyPenalty",
    "n": "candidateCount",
    "top_logprobs": "logprobs",
    "logprobs": "responseLogprobs",
}
# Chat fields that say nothing about the answer, or that batch lines ignore.
_IGNORED_CHAT_FIELDS = frozenset({"model", "stream", "store", "user", "metadata"})
_AUDIO_FORMATS = {"wav": "audio/wav", "mp3": "audio/mp3"}
# Raw UTF-8 keeps CJK at 3 bytes a character, but these would split a line for readers
# that use str.splitlines(); in JSON strings they can be escaped.
_LINE_BREAKS_ESCAPED = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


@dataclass(frozen=True, slots=True)
class ConversionIssue:
    line: int
    field: str | None
    message: str
    severity: Severity

    def describe(self, path: str | os.PathLike[str] | None = None) -> str:
        where = f"{path}:{self.line}" if path is not None else f"line {self.line}"
        about = f"{self.field}: " if self.field else ""
        what = "line skipped: " if self.severity == "skipped" else ""
        return f"{where}: {what}{about}{self.message}"


@dataclass(slots=True)
class ConversionReport:
    source: Path
    dest: Path
    source_format: Format | None = None
    target_format: Format = "openai"
    lines_read: int = 0
    lines_written: int = 0
    lines_skipped: int = 0
    fields_dropped: int = 0
    issues: list[ConversionIssue] = field(default_factory=list)
    counts_by_field: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every line was converted and nothing was dropped."""
        return self.lines_skipped == 0 and self.fields_dropped == 0

    def summary(self) -> str:
        """One line: `converted 120 of 122 lines (openai -> gemini) into out.jsonl; ...`."""
        text = (
            f"converted {self.lines_written:,} of {self.lines_read:,} lines "
            f"({self.source_format} -> {self.target_format}) into {self.dest}"
        )
        if self.lines_skipped:
            text += f"; {self.lines_skipped:,} skipped"
        if self.fields_dropped:
            worst = sorted(self.counts_by_field.items(), key=lambda item: -item[1])[:3]
            fields = ", ".join(f"{name} ({count:,})" for name, count in worst)
            text += f"; fields dropped: {fields}"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "source": str(self.source),
            "dest": str(self.dest),
            "source_format": self.source_format,
            "target_format": self.target_format,
            "lines_read": self.lines_read,
            "lines_written": self.lines_written,
            "lines_skipped": self.lines_skipped,
            "fields_dropped": self.fields_dropped,
            "counts_by_field": dict(self.counts_by_field),
            "issues": [
                {"line": i.line, "field": i.field, "message": i.message, "severity": i.severity}
                for i in self.issues
            ],
        }


class _Skip(Exception):
    """The current line cannot be converted faithfully."""

    def __init__(self, field_name: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


# -- detection ---------------------------------------------------------------------------


def detect_line_format(line: dict[str, Any]) -> Format | None:
    """The format of one parsed line, or None when it is none of the three."""
    if "custom_id" in line and type(line.get("body")) is dict:
        return "openai"
    if type(line.get("request")) is dict:
        return "gemini" if "key" in line else "vertex"
    return None


# -- the file ----------------------------------------------------------------------------


def convert_file(
    src: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    to: Format,
    *,
    model: str | None = None,
    vertex_request_id: bool = True,
    max_issues: int = DEFAULT_MAX_ISSUES,
) -> ConversionReport:
    """Convert `src` into `dest` in format `to`. `model` is required when `to` is openai.

    Raises UsageError for a bad target or missing model, InputFileError when `src`
    cannot be read or is in no known format; problems with single lines go in the report.
    """
    if to not in FORMATS:
        raise UsageError(f"--to: unknown format {to!r} (known: {', '.join(FORMATS)})")
    source, target = Path(src), Path(dest)
    report = ConversionReport(source=source, dest=target, target_format=to)
    converter = _Converter(report, to, model, vertex_request_id, max(1, max_issues))
    try:
        with open(source, "rb") as reader, output_file(target) as writer:
            for line_no, raw in enumerate(reader, start=1):
                converted = converter.line(raw, line_no)
                if converted is not None:
                    writer.write(converted)
            if report.source_format is None:
                raise InputFileError(
                    f"{source}: no request lines in OpenAI, Gemini or Vertex format"
                )
    except IsADirectoryError:
        raise InputFileError(f"{source}: is a directory, not a JSONL file") from None
    except FileNotFoundError as error:
        missing = source if error.filename in (str(source), None) else error.filename
        raise InputFileError(f"{missing}: no such file") from None
    except PermissionError as error:
        raise InputFileError(f"{error.filename}: permission denied") from None
    return report


class _Converter:
    def __init__(
        self,
        report: ConversionReport,
        to: Format,
        model: str | None,
        vertex_request_id: bool,
        max_issues: int,
    ) -> None:
        self.report = report
        self.to = to
        self.model = model
        self.vertex_request_id = vertex_request_id
        self.max_issues = max_issues
        self.counts: Counter[str] = Counter()
        self.dropped: list[tuple[str, str]] = []

    def line(self, raw: bytes, line_no: int) -> bytes | None:
        if not raw.strip():
            return None
        report = self.report
        report.lines_read += 1
        self.dropped = []
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            return self._skip(line_no, _Skip(None, "not valid JSON"))
        line_format = detect_line_format(data) if type(data) is dict else None
        if report.source_format is None and line_format is not None:
            report.source_format = line_format
            if line_format == self.to:
                raise UsageError(f"{report.source}: already in {self.to} format")
            if self.to == "openai" and not self.model:
                raise UsageError(
                    f"--model: {line_format} lines carry no model; give the OpenAI model "
                    "to write into each request"
                )
        try:
            if line_format is None:
                raise _Skip(None, "not an OpenAI, Gemini or Vertex batch line")
            if line_format != report.source_format:
                raise _Skip(None, f"a {line_format} line in a {report.source_format} file")
            converted = self._convert(data, line_format, line_no)
        except _Skip as skip:
            return self._skip(line_no, skip)
        for field_name, message in self.dropped:
            self._issue(ConversionIssue(line_no, field_name, message, "dropped"))
            report.fields_dropped += 1
        report.lines_written += 1
        text = json.dumps(converted, ensure_ascii=False, separators=(",", ":"))
        return text.translate(_LINE_BREAKS_ESCAPED).encode() + b"\n"

    def _convert(self, data: dict[str, Any], source: Format, line_no: int) -> dict[str, Any]:
        drop = self._drop
        if source == "openai":
            custom_id = data.get("custom_id")
            if type(custom_id) is not str or not custom_id:
                raise _Skip("custom_id", "custom_id must be a non-empty string")
            url = data.get("url")
            if url == EMBEDDINGS_URL:
                if self.to == "vertex":
                    raise _Skip("url", "embedding requests are not converted to Vertex lines")
                return {"key": custom_id, "request": embedding_to_google(data["body"], drop)}
            if url != CHAT_URL:
                raise _Skip("url", f"only {CHAT_URL} and {EMBEDDINGS_URL} lines are converted")
            request = chat_to_google(data["body"], drop)
            if self.to == "gemini":
                return {"key": custom_id, "request": request}
            return self._vertex_line(custom_id, request)
        request = data["request"]
        custom_id = _google_custom_id(data, source, line_no)
        request = {key: value for key, value in request.items() if key != "labels"}
        labels = _other_labels(data["request"].get("labels"))
        if self.to == "openai":
            if labels:
                drop("request.labels", "labels other than the custom_id are dropped")
            if "content" in request and "contents" not in request:
                body = google_to_embedding(request, self.model or "", drop)
                url = EMBEDDINGS_URL
            else:
                body = google_to_chat(request, self.model or "", drop)
                url = CHAT_URL
            return {"custom_id": custom_id, "method": "POST", "url": url, "body": body}
        if self.to == "gemini":
            if labels:
                drop("request.labels", "Gemini batch requests take no labels")
            return {"key": custom_id, "request": request}
        if labels:
            request["labels"] = labels
        return self._vertex_line(custom_id, request)

    def _vertex_line(self, custom_id: str, request: dict[str, Any]) -> dict[str, Any]:
        labels = dict(request.get("labels") or {})
        labels.update(custom_id_labels(custom_id))
        if len(labels) > MAX_LABELS:
            raise _Skip("custom_id", f"custom_id is too long to carry in {MAX_LABELS} labels")
        line: dict[str, Any] = {"request": {**request, "labels": labels}}
        if self.vertex_request_id:
            line["requestId"] = custom_id
        return line

    def _drop(self, field_name: str, message: str) -> None:
        self.dropped.append((field_name, message))
        self.counts[field_name] += 1
        self.report.counts_by_field[field_name] = self.counts[field_name]

    def _skip(self, line_no: int, skip: _Skip) -> None:
        self.report.lines_skipped += 1
        self._issue(ConversionIssue(line_no, skip.field, skip.message, "skipped"))
        return None

    def _issue(self, issue: ConversionIssue) -> None:
        if len(self.report.issues) < self.max_issues:
            self.report.issues.append(issue)


# -- custom_id in Vertex labels ----------------------------------------------------------


def custom_id_labels(custom_id: str) -> dict[str, str]:
    """Labels carrying `custom_id`: a label-safe copy, and the exact id in base32 pieces."""
    safe = _LABEL_UNSAFE.sub("_", custom_id.lower())[:LABEL_MAX]
    encoded = base64.b32encode(custom_id.encode()).decode().rstrip("=").lower()
    piece = LABEL_MAX - len(RAW_PREFIX)
    labels = {SAFE_LABEL: safe}
    for index in range(0, max(len(encoded), 1), piece):
        key = RAW_LABEL if index == 0 else f"{RAW_LABEL}_{index // piece}"
        labels[key] = RAW_PREFIX + encoded[index : index + piece]
    return labels


def custom_id_from_labels(labels: object) -> str | None:
    """The exact custom_id of `custom_id_labels`, else the label-safe copy, else None."""
    if type(labels) is not dict:
        return None
    pieces: list[tuple[int, str]] = []
    for key, value in labels.items():
        if type(value) is not str or not value.startswith(RAW_PREFIX):
            continue
        if key == RAW_LABEL:
            pieces.append((0, value[len(RAW_PREFIX) :]))
        elif key.startswith(RAW_LABEL + "_") and key[len(RAW_LABEL) + 1 :].isdigit():
            pieces.append((int(key[len(RAW_LABEL) + 1 :]), value[len(RAW_PREFIX) :]))
    if pieces:
        text = "".join(piece for _, piece in sorted(pieces)).upper()
        with contextlib.suppress(ValueError):
            return base64.b32decode(text + "=" * (-len(text) % 8)).decode()
    for key in (SAFE_LABEL, "custom_id"):
        if type(labels.get(key)) is str:
            return labels[key]
    return None


def _other_labels(labels: object) -> dict[str, Any]:
    if type(labels) is not dict:
        return {}
    return {
        key: value
        for key, value in labels.items()
        if key not in (SAFE_LABEL, "custom_id") and not key.startswith(RAW_LABEL)
    }


def _google_custom_id(data: dict[str, Any], source: Format, line_no: int) -> str:
    for key in ("key", "requestId", "custom_id"):
        value = data.get(key)
        if type(value) is str and value:
            return value
        if type(value) is int:
            return str(value)
    found = custom_id_from_labels(data["request"].get("labels"))
    if found:
        return found
    if source == "gemini":
        raise _Skip("key", "key must be a non-empty string")
    raise _Skip("request.labels", "no custom_id: no requestId and no custom_id label")


# -- OpenAI chat -> GenerateContentRequest -----------------------------------------------


def chat_to_google(body: dict[str, Any], drop: Drop) -> dict[str, Any]:
    """An OpenAI chat completions body as a Gemini `GenerateContentRequest`."""
    messages = body.get("messages")
    if type(messages) is not list or not messages:
        raise _Skip("body.messages", "messages must be a non-empty list")
    system_parts: list[dict[str, Any]] = []
    contents: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        where = f"body.messages[{index}]"
        if type(message) is not dict:
            raise _Skip(where, "a message must be an object")
        role = message.get("role")
        if role in ("tool", "function") or "tool_calls" in message or "function_call" in message:
            raise _Skip(where, "tool calls and tool results are not converted")
        parts = _openai_content_to_parts(message.get("content"), where)
        if "name" in message:
            drop(f"{where}.name", "message names have no Gemini equivalent")
        if role in ("system", "developer"):
            if contents:
                drop(where, "a system message after the conversation began moves to the front")
            system_parts.extend(parts)
        elif role in ("user", "assistant"):
            contents.append({"role": "user" if role == "user" else "model", "parts": parts})
        else:
            raise _Skip(f"{where}.role", f"role {role!r} is not converted")
    if not contents:
        raise _Skip("body.messages", "no user or assistant message")
    request: dict[str, Any] = {"contents": contents}
    if system_parts:
        request["systemInstruction"] = {"parts": system_parts}
    config = _generation_config(body, drop)
    if config:
        request["generationConfig"] = config
    return request


def _openai_content_to_parts(content: object, where: str) -> list[dict[str, Any]]:
    if type(content) is str:
        return [{"text": content}]
    if type(content) is not list or not content:
        raise _Skip(f"{where}.content", "content must be a string or a non-empty list of parts")
    parts = []
    for index, part in enumerate(content):
        at = f"{where}.content[{index}]"
        kind = part.get("type") if type(part) is dict else None
        if kind == "text" and type(part.get("text")) is str:
            parts.append({"text": part["text"]})
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if type(image) is dict else image
            parts.append(_url_part(url, f"{at}.image_url.url"))
        elif kind == "input_audio" and type(part.get("input_audio")) is dict:
            audio = part["input_audio"]
            mime = _AUDIO_FORMATS.get(audio.get("format"))
            if mime is None or type(audio.get("data")) is not str:
                raise _Skip(f"{at}.input_audio", "audio must be wav or mp3 data")
            parts.append({"inlineData": {"mimeType": mime, "data": audio["data"]}})
        elif kind == "file" and type(part.get("file")) is dict:
            data_url = part["file"].get("file_data")
            if type(data_url) is not str:
                raise _Skip(f"{at}.file", "file ids are not converted; inline file_data only")
            parts.append(_url_part(data_url, f"{at}.file.file_data"))
        else:
            raise _Skip(at, f"content part of type {kind!r} is not converted")
    return parts


def _url_part(url: object, where: str) -> dict[str, Any]:
    if type(url) is not str:
        raise _Skip(where, "must be a URL string")
    match = _DATA_URL.match(url)
    if match:
        return {"inlineData": {"mimeType": match.group(1), "data": match.group(2)}}
    mime = mimetypes.guess_type(url.split("?", 1)[0])[0]
    if not url.startswith(("gs://", "https://", "http://")) or mime is None:
        raise _Skip(where, "only data: URLs and gs:// or http(s) URLs with a known file type")
    return {"fileData": {"mimeType": mime, "fileUri": url}}


def _generation_config(body: dict[str, Any], drop: Drop) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for key, value in body.items():
        if key in ("messages", *_IGNORED_CHAT_FIELDS):
            continue
        where = f"body.{key}"
        if key in ("max_completion_tokens", "max_tokens"):
            config["maxOutputTokens"] = value
        elif key in _SAME_VALUE_PARAMS:
            config[_SAME_VALUE_PARAMS[key]] = value
        elif key == "stop":
            config["stopSequences"] = [value] if type(value) is str else value
        elif key == "response_format" and type(value) is dict:
            kind = value.get("type")
            if kind == "json_object":
                config["responseMimeType"] = "application/json"
            elif kind == "json_schema" and type(value.get("json_schema")) is dict:
                config["responseMimeType"] = "application/json"
                schema = value["json_schema"].get("schema")
                if schema is not None:
                    config["responseJsonSchema"] = schema
            elif kind != "text":
                drop(where, f"response_format {kind!r} is not converted")
        elif key in ("tools", "tool_choice", "functions", "function_call", "parallel_tool_calls"):
            drop(where, "function tools are not converted")
        else:
            drop(where, f"{key} has no Gemini equivalent")
    return config


def embedding_to_google(body: dict[str, Any], drop: Drop) -> dict[str, Any]:
    value = body.get("input")
    if type(value) is not str:
        raise _Skip("body.input", "only a single string input is converted (one per line)")
    request: dict[str, Any] = {"content": {"parts": [{"text": value}]}}
    for key in body:
        if key == "dimensions":
            request["outputDimensionality"] = body[key]
        elif key not in ("input", "model", "encoding_format", "user"):
            drop(f"body.{key}", f"{key} has no Gemini equivalent")
    return request


# -- GenerateContentRequest -> OpenAI chat -----------------------------------------------

_REVERSE_PARAMS = {google: openai for openai, google in _SAME_VALUE_PARAMS.items()}
_CHAT_REQUEST_FIELDS = frozenset(
    {"contents", "systemInstruction", "system_instruction", "generationConfig", "generation_config"}
)
_RESPONSE_FORMAT_FIELDS = frozenset({"responseMimeType", "responseJsonSchema", "responseSchema"})


def _get(data: dict[str, Any], camel: str) -> Any:
    """`data[camel]`, or its snake_case spelling (Google accepts both)."""
    if camel in data:
        return data[camel]
    return data.get(re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), camel))


def google_to_chat(request: dict[str, Any], model: str, drop: Drop) -> dict[str, Any]:
    """A Gemini `GenerateContentRequest` as an OpenAI chat completions body."""
    messages: list[dict[str, Any]] = []
    system = _get(request, "systemInstruction")
    if type(system) is dict:
        messages.append(
            {"role": "system", "content": _parts_to_content(system, "request.systemInstruction")}
        )
    elif type(system) is str:
        messages.append({"role": "system", "content": system})
    contents = request.get("contents")
    if type(contents) is not list or not contents:
        raise _Skip("request.contents", "contents must be a non-empty list")
    for index, content in enumerate(contents):
        where = f"request.contents[{index}]"
        if type(content) is not dict:
            raise _Skip(where, "a content must be an object")
        role = content.get("role", "user")
        if role not in ("user", "model"):
            raise _Skip(f"{where}.role", f"role {role!r} is not converted")
        messages.append(
            {
                "role": "user" if role == "user" else "assistant",
                "content": _parts_to_content(content, where),
            }
        )
    body: dict[str, Any] = {"model": model, "messages": messages}
    config = _get(request, "generationConfig")
    if type(config) is dict:
        _reverse_config(config, body, drop)
    for key in request:
        if key not in _CHAT_REQUEST_FIELDS:
            drop(f"request.{key}", f"{key} has no OpenAI chat equivalent")
    return body


def _parts_to_content(content: dict[str, Any], where: str) -> str | list[dict[str, Any]]:
    parts = content.get("parts")
    if type(parts) is not list or not parts:
        raise _Skip(f"{where}.parts", "parts must be a non-empty list")
    converted: list[dict[str, Any]] = []
    for index, part in enumerate(parts):
        at = f"{where}.parts[{index}]"
        if type(part) is not dict:
            raise _Skip(at, "a part must be an object")
        inline = _get(part, "inlineData")
        file_data = _get(part, "fileData")
        if type(part.get("text")) is str and not part.get("thought"):
            converted.append({"type": "text", "text": part["text"]})
        elif type(inline) is dict:
            converted.append(_inline_to_part(inline, at))
        elif type(file_data) is dict and str(_get(file_data, "mimeType")).startswith("image/"):
            converted.append(
                {"type": "image_url", "image_url": {"url": _get(file_data, "fileUri")}}
            )
        else:
            raise _Skip(at, f"part with {', '.join(sorted(part)) or 'nothing'} is not converted")
    if len(converted) == 1 and converted[0]["type"] == "text":
        return converted[0]["text"]
    return converted


def _inline_to_part(inline: dict[str, Any], where: str) -> dict[str, Any]:
    mime = _get(inline, "mimeType")
    data = inline.get("data")
    if type(mime) is not str or type(data) is not str:
        raise _Skip(f"{where}.inlineData", "inlineData needs mimeType and data")
    if mime.startswith("image/"):
        return {"type": "image_url", "image_url": {"url": f"data:{mime};base64,{data}"}}
    for audio_format, audio_mime in _AUDIO_FORMATS.items():
        if mime == audio_mime:
            return {"type": "input_audio", "input_audio": {"data": data, "format": audio_format}}
    return {"type": "file", "file": {"file_data": f"data:{mime};base64,{data}"}}


def _reverse_config(config: dict[str, Any], body: dict[str, Any], drop: Drop) -> None:
    mime = _get(config, "responseMimeType")
    schema = _get(config, "responseJsonSchema")
    if schema is None:
        schema = _get(config, "responseSchema")
    for key, value in config.items():
        camel = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), key)
        where = f"request.generationConfig.{key}"
        if camel == "maxOutputTokens":
            body["max_completion_tokens"] = value
        elif camel in _REVERSE_PARAMS:
            body[_REVERSE_PARAMS[camel]] = value
        elif camel == "stopSequences":
            body["stop"] = value
        elif camel in _RESPONSE_FORMAT_FIELDS or (
            camel == "responseModalities" and value == ["TEXT"]
        ):
            continue
        else:
            drop(where, f"{key} has no OpenAI chat equivalent")
    if schema is not None:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "response", "schema": schema},
        }
    elif mime == "application/json":
        body["response_format"] = {"type": "json_object"}
    elif mime not in (None, "text/plain"):
        drop("request.generationConfig.responseMimeType", f"{mime} is not converted")


def google_to_embedding(request: dict[str, Any], model: str, drop: Drop) -> dict[str, Any]:
    content = request.get("content")
    parts = content.get("parts") if type(content) is dict else None
    texts = [part.get("text") for part in parts or [] if type(part) is dict]
    if not texts or any(type(text) is not str for text in texts):
        raise _Skip("request.content", "only text content is converted")
    body: dict[str, Any] = {"model": model, "input": "".join(texts)}
    for key, value in request.items():
        if key == "outputDimensionality":
            body["dimensions"] = value
        elif key not in ("content", "model"):
            drop(f"request.{key}", f"{key} has no OpenAI embeddings equivalent")
    return body
