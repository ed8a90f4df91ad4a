"""Offline token estimate for batch requests: no tokenizer, no network, no download.

Text is counted by character class with C-speed `bytes.translate`/`len` calls only (no
Python loop over characters), so it can run inside the validator's pass over a 190 MB
file. The class weights were fitted against OpenAI's `o200k_base` tokenizer (gpt-4o,
gpt-4.1, o-series, gpt-5); `benchmarks/estimate/run.py` measures the error per kind of
text. Long strings are estimated from three windows (start, middle, end) and scaled.

Per request: chat messages add the overhead OpenAI's cookbook counts (3 tokens per
message, 1 for its role, 1 for a `name`, 3 to prime the reply). Images count a fixed
amount by `detail` (their size is not read). The output side is the request's own cap
(`max_completion_tokens`, `max_tokens`, `max_output_tokens`, Gemini's `maxOutputTokens`)
times the number of choices; without a cap it is the caller's default and the request
is counted as uncapped, so a cost shown from it is labelled an assumption.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from itertools import chain, compress, islice, repeat
from operator import add, and_, mul, not_, sub, truediv
from typing import Any, NamedTuple, Protocol

# -- text --------------------------------------------------------------------------------

_ASCII_LETTERS = bytes(range(ord("a"), ord("z") + 1)) + bytes(range(ord("A"), ord("Z") + 1))
_DIGITS = b"0123456789"
_NEWLINES = b"\n\r"
# Every other ASCII byte that is not a letter or a digit (tabs and control bytes included).
_PUNCTUATION = bytes(
    byte for byte in range(0x80) if byte not in set(_ASCII_LETTERS + _DIGITS + b" \n\r")
)
_NON_ASCII = bytes(range(0x80, 0x100))
# Deleting these leaves one UTF-8 lead byte per non-ASCII character.
_ASCII_AND_CONTINUATION = bytes(range(0x00, 0xC0))


def _lead_class_table() -> bytes:
    """UTF-8 lead byte -> class letter (the Unicode block it starts)."""
    table = bytearray(b"x" * 256)
    for lead in range(0xC2, 0xCB):  # Latin-1 supplement, Latin extended A/B
        table[lead] = ord("l")
    for lead in range(0xCB, 0xE0):  # IPA, Greek, Cyrillic, Armenian, Hebrew, Arabic...
        table[lead] = ord("a")
    for lead in (0xE0, 0xE1):  # Indic, Thai, Georgian, Ethiopic...
        table[lead] = ord("i")
    table[0xE2] = ord("p")  # general punctuation (quotes, dashes), arrows, math, symbols
    for lead in range(0xE3, 0xEA):  # CJK punctuation, kana, CJK ideographs
        table[lead] = ord("c")
    for lead in range(0xEA, 0xEE):  # Hangul syllables and Yi
        table[lead] = ord("h")
    for lead in (0xEE, 0xEF):  # private use, CJK compatibility, fullwidth forms
        table[lead] = ord("c")
    for lead in range(0xF0, 0xF5):  # emoji and other astral characters
        table[lead] = ord("e")
    return bytes(table)


_LEAD_CLASSES = _lead_class_table()

# Tokens per character of each class (o200k_base), least-squares fit on relative error.
# `benchmarks/estimate/run.py --fit` recomputes them.
W_LETTER = 0.1267
W_SPACE = 0.4029
W_DIGIT = 0.4989
W_PUNCT = 0.7110
W_NEWLINE = 0.9140
W_DOUBLE_SPACE = -0.6413
W_LATIN_EXT = 1.1105
W_ALPHABET = 0.2213
W_INDIC = 0.5000  # no Indic text in the corpus: a guess
W_GENERAL_PUNCT = 1.3546
W_CJK = 0.7353
W_HANGUL = 0.6728
W_ASTRAL = 1.6064

# A string longer than this is estimated from three windows of `_WINDOW` characters. Smaller
# windows (down to 192) measured the same error on the corpus and keep the estimate cheap
# enough to run in every validation (benchmarks/estimate/README.md).
_SAMPLE_ABOVE = 768
_WINDOW = 192

FEATURE_NAMES = (
    "letter",
    "space",
    "digit",
    "punct",
    "newline",
    "double_space",
    "latin_ext",
    "alphabet",
    "indic",
    "general_punct",
    "cjk",
    "hangul",
    "astral",
)
WEIGHTS = (
    W_LETTER,
    W_SPACE,
    W_DIGIT,
    W_PUNCT,
    W_NEWLINE,
    W_DOUBLE_SPACE,
    W_LATIN_EXT,
    W_ALPHABET,
    W_INDIC,
    W_GENERAL_PUNCT,
    W_CJK,
    W_HANGUL,
    W_ASTRAL,
)


_NO_NON_ASCII = (0,) * 7


def text_features(text: str) -> tuple[int, ...]:
    """Character counts per class of `text`, in `FEATURE_NAMES` order."""
    if text.isascii():
        data = text.encode("ascii")
        leads = b""
    else:
        raw = text.encode("utf-8", "surrogatepass")
        data = raw.translate(None, _NON_ASCII)
        leads = raw.translate(None, _ASCII_AND_CONTINUATION)
    rest = data.translate(None, _ASCII_LETTERS)
    no_digits = rest.translate(None, _DIGITS)
    spaces_etc = no_digits.translate(None, _PUNCTUATION)
    no_newlines = spaces_etc.translate(None, _NEWLINES)
    spaces = no_newlines.count(b" ")
    letters = len(data) - len(rest)
    digits = len(rest) - len(no_digits)
    punct = len(no_digits) - len(spaces_etc)
    newlines = len(spaces_etc) - len(no_newlines)
    # Indentation: a run of spaces is one token, not one per space. Counted only where
    # lines are short (code, tables), as the count costs a pass of its own.
    double_spaces = data.count(b"  ") if newlines * 80 > len(data) else 0
    if not leads:
        return (letters, spaces, digits, punct, newlines, double_spaces, *_NO_NON_ASCII)
    classes = leads.translate(_LEAD_CLASSES)
    return (
        letters,
        spaces,
        digits,
        punct,
        newlines,
        double_spaces,
        classes.count(b"l"),
        classes.count(b"a"),
        classes.count(b"i"),
        classes.count(b"p"),
        classes.count(b"c"),
        classes.count(b"h"),
        classes.count(b"e"),
    )


# `_ascii_weighted` reads each class's count as a difference of lengths; expanded, the
# weighted sum takes one coefficient per length.
_SIZE_WEIGHT = W_LETTER
_NON_LETTER_WEIGHT = W_DIGIT - W_LETTER
_NON_DIGIT_WEIGHT = W_PUNCT - W_DIGIT
_WHITESPACE_WEIGHT = W_NEWLINE - W_PUNCT
_SPACE_WEIGHT = W_SPACE - W_NEWLINE


def _ascii_weighted(data: bytes) -> float:
    """The weighted sum of `text_features` of ASCII bytes, in three C-speed deletions."""
    rest = data.translate(None, _ASCII_LETTERS)
    no_digits = rest.translate(None, _DIGITS)
    whitespace = no_digits.translate(None, _PUNCTUATION)
    spaces = whitespace.count(b" ")
    size = len(data)
    total = (
        _SIZE_WEIGHT * size
        + _NON_LETTER_WEIGHT * len(rest)
        + _NON_DIGIT_WEIGHT * len(no_digits)
        + _WHITESPACE_WEIGHT * len(whitespace)
        + _SPACE_WEIGHT * spaces
    )
    if (len(whitespace) - spaces) * 80 > size:
        total += W_DOUBLE_SPACE * data.count(b"  ")
    return total


def _weighted(text: str) -> float:
    """The weighted sum of `text_features(text)`; ASCII text takes a shorter path."""
    if text.isascii():
        return _ascii_weighted(text.encode("ascii"))
    return sum(weight * count for weight, count in zip(WEIGHTS, text_features(text), strict=True))


def text_tokens(text: str) -> int:
    """Estimated `o200k_base` tokens of `text` (0 for an empty string)."""
    length = len(text)
    if length == 0:
        return 0
    if length <= _SAMPLE_ABOVE:
        estimate = _weighted(text)
    else:
        middle = (length - _WINDOW) // 2
        sample = text[:_WINDOW] + text[middle : middle + _WINDOW] + text[-_WINDOW:]
        estimate = _weighted(sample) * length / len(sample)
    return max(1, round(estimate))


_SAMPLE = 3 * _WINDOW
_SAMPLE_SIZE_TERM = _SIZE_WEIGHT * _SAMPLE
# Ends each sample in a batch; no translation below deletes it (it is not ASCII).
_SAMPLE_END = "\xff"


def sampled_ascii_tokens(texts: list[str]) -> list[int]:
    """`text_tokens` of each of `texts`, all ASCII and longer than `_SAMPLE_ABOVE`, to the
    token: the samples of a whole batch are classified by the same three deletions at once,
    so the per-text work is a few calls in C rather than a dozen lines of Python."""
    if not texts:
        return []
    window = _WINDOW
    firsts = map(str.__getitem__, texts, repeat(slice(None, window)))
    middles = [
        text[(len(text) - window) // 2 : (len(text) - window) // 2 + window] for text in texts
    ]
    lasts = map(str.__getitem__, texts, repeat(slice(-window, None)))
    samples = "".join(chain.from_iterable(zip(firsts, middles, lasts, repeat(_SAMPLE_END))))
    data = samples.encode("latin-1")
    rest = data.translate(None, _ASCII_LETTERS)
    no_digits = rest.translate(None, _DIGITS)
    whitespace = no_digits.translate(None, _PUNCTUATION)
    end = _SAMPLE_END.encode("latin-1")
    whitespaces = whitespace.split(end)[:-1]
    lengths = list(map(len, texts))
    space_counts = list(map(bytes.count, whitespaces, repeat(b" ")))
    whitespace_lengths = list(map(len, whitespaces))
    # `_ascii_weighted`'s sum term by term, in its order (so the float is the same), each
    # term over all samples at once; then `* length / len(sample)`, rounded, at least 1.
    weighted = map(add, repeat(_SAMPLE_SIZE_TERM), map(mul, repeat(_NON_LETTER_WEIGHT),
                   map(len, rest.split(end)[:-1])))  # fmt: skip
    weighted = map(add, weighted, map(mul, repeat(_NON_DIGIT_WEIGHT),
                   map(len, no_digits.split(end)[:-1])))  # fmt: skip
    weighted = map(add, weighted, map(mul, repeat(_WHITESPACE_WEIGHT), whitespace_lengths))
    weighted = map(add, weighted, map(mul, repeat(_SPACE_WEIGHT), space_counts))
    scaled = map(truediv, map(mul, weighted, lengths), repeat(_SAMPLE))
    tokens = list(map(max, repeat(1), map(round, scaled)))
    newlines = list(map(sub, whitespace_lengths, space_counts))
    if max(newlines) * 80 > _SAMPLE:
        # Where lines are short, `_ascii_weighted` also counts double spaces.
        stride = _SAMPLE + 1
        for index, count_of_newlines in enumerate(newlines):
            if count_of_newlines * 80 > _SAMPLE:
                sample = data[index * stride : index * stride + _SAMPLE]
                tokens[index] = max(1, round(_ascii_weighted(sample) * lengths[index] / _SAMPLE))
    return tokens


# -- requests ----------------------------------------------------------------------------

# OpenAI's cookbook count for chat models: 3 per message, 1 per role (and per name), 3 to
# prime the assistant's reply.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_ROLE = 1
TOKENS_PER_NAME = 1
REPLY_PRIMING_TOKENS = 3
# Images: the provider counts by size and model; the size is not read here. `low` detail
# is a flat 85 tokens on gpt-4o; `high`/`auto` assumes a 1024x1024 image (4 tiles of 170
# + 85). Small models (gpt-4o-mini) count images far higher: treat these as a floor.
IMAGE_TOKENS_LOW = 85
IMAGE_TOKENS_HIGH = 765
# Audio, PDF and other file parts: a flat guess, flagged in `FileEstimate.rough_parts`.
FILE_PART_TOKENS = 1_000
# Output cap OpenAI applies to /v1/completions when `max_tokens` is absent.
COMPLETIONS_DEFAULT_MAX_TOKENS = 16
DEFAULT_UNCAPPED_OUTPUT_TOKENS = 1_024

_NO_OUTPUT_ENDPOINTS = frozenset({"/v1/embeddings", "/v1/moderations"})
_OUTPUT_CAP_KEYS = ("max_completion_tokens", "max_tokens", "max_output_tokens")


class RequestSize(NamedTuple):
    """What a request may take of a context window: its input, and its output cap (None
    when it sets none)."""

    input_tokens: int
    output_cap: int | None


class RequestEstimate(NamedTuple):
    """One request: estimated input tokens, and the output tokens it may produce at most."""

    input_tokens: int
    max_output_tokens: int
    # False when the request sets no output cap and `max_output_tokens` is the default.
    output_capped: bool = True
    # Image, audio or file parts counted at a flat rate.
    rough_parts: int = 0


def estimate_request(
    body: dict[str, Any],
    endpoint: str | None,
    *,
    default_max_output_tokens: int = DEFAULT_UNCAPPED_OUTPUT_TOKENS,
) -> RequestEstimate:
    """Estimate one OpenAI batch request's `body` sent to `endpoint` (e.g. `/v1/embeddings`).

    Never raises on odd bodies: fields of the wrong type count as nothing.
    """
    counter = _Counter()
    if endpoint == "/v1/chat/completions" or (endpoint is None and "messages" in body):
        counter.chat(body)
    elif endpoint == "/v1/responses":
        counter.responses(body)
    elif endpoint in ("/v1/embeddings", "/v1/moderations", "/v1/completions"):
        counter.inputs(body.get("prompt") if endpoint == "/v1/completions" else body.get("input"))
    else:  # images, videos and anything new: the prompt, if any
        counter.value(body.get("prompt"))
    if endpoint in _NO_OUTPUT_ENDPOINTS:
        return RequestEstimate(counter.tokens, 0, True, counter.rough)
    cap = _first_int(body, *_OUTPUT_CAP_KEYS)
    capped = cap is not None
    if cap is None:
        if endpoint == "/v1/completions":
            cap, capped = COMPLETIONS_DEFAULT_MAX_TOKENS, True
        else:
            cap = default_max_output_tokens
    choices = _first_int(body, "n") or 1
    if endpoint == "/v1/completions" and type(body.get("prompt")) is list:
        choices *= max(1, _prompt_count(body["prompt"]))
    return RequestEstimate(counter.tokens, cap * choices, capped, counter.rough)


def estimate_gemini_request(
    request: dict[str, Any], *, default_max_output_tokens: int = DEFAULT_UNCAPPED_OUTPUT_TOKENS
) -> RequestEstimate:
    """Estimate a Gemini `GenerateContentRequest` (a Gemini or Vertex batch line's `request`)."""
    counter = _Counter()
    system = request.get("systemInstruction", request.get("system_instruction"))
    if type(system) is dict:
        counter.gemini_content(system)
    contents = request.get("contents")
    if type(contents) is list:
        for content in contents:
            if type(content) is dict:
                counter.gemini_content(content)
    for key in ("tools", "toolConfig", "tool_config"):
        if key in request:
            counter.as_json(request[key])
    config = request.get("generationConfig", request.get("generation_config"))
    config = config if type(config) is dict else {}
    cap = _first_int(config, "maxOutputTokens", "max_output_tokens")
    candidates = _first_int(config, "candidateCount", "candidate_count") or 1
    capped = cap is not None
    if cap is None:
        cap = default_max_output_tokens
    return RequestEstimate(counter.tokens, cap * candidates, capped, counter.rough)


# Strings up to this length are remembered by `FileEstimator`: system prompts and
# template text repeat on every line of a batch.
_CACHED_UP_TO = 256
_CACHE_ENTRIES = 4_096
_CHAT_URL = "/v1/chat/completions"
_MESSAGE_TOKENS = TOKENS_PER_MESSAGE + TOKENS_PER_ROLE


class ChatBodyLike(Protocol):
    """A decoded plain chat body: messages with string content, and its caps (ints when set)."""

    messages: list[Any]
    max_completion_tokens: object
    max_tokens: object
    max_output_tokens: object
    n: object


def chat_cap(body: ChatBodyLike) -> int | None:
    """A plain chat body's output cap: the first count set of `max_completion_tokens`,
    `max_tokens`, `max_output_tokens`; None when it sets none."""
    cap = body.max_completion_tokens
    if type(cap) is int and cap >= 0:
        return cap
    cap = body.max_tokens
    if type(cap) is int and cap >= 0:
        return cap
    cap = body.max_output_tokens
    if type(cap) is int and cap >= 0:
        return cap
    return None


def _choices(body: ChatBodyLike) -> int:
    choices = body.n
    return choices if type(choices) is int and choices > 0 else 1


class FileEstimator:
    """Adds requests to a `FileEstimate` one after another, as the validator's pass reads them.

    The same numbers as `estimate_request` with less work per request, so the estimate fits
    in every validation: short strings (system prompts, template text, repeated on every
    line) are remembered, and chat requests whose messages are plain strings (the common
    case) are counted straight into the totals.
    """

    __slots__ = ("_cache", "default_max_output_tokens", "totals")

    def __init__(self, *, default_max_output_tokens: int = DEFAULT_UNCAPPED_OUTPUT_TOKENS) -> None:
        self.default_max_output_tokens = default_max_output_tokens
        self.totals = FileEstimate()
        self._cache: dict[str, int] = {}

    def add(
        self, body: dict[str, Any], endpoint: str | None, line: int | None = None
    ) -> RequestSize:
        """Count one request; returns its input tokens and output cap (for per-line checks)."""
        if endpoint == _CHAT_URL:
            size = self._add_plain_chat(body, line)
            if size is not None:
                return size
        estimate = estimate_request(
            body, endpoint, default_max_output_tokens=self.default_max_output_tokens
        )
        self.totals.add(estimate, line)
        return RequestSize(
            estimate.input_tokens, estimate.max_output_tokens if estimate.output_capped else None
        )

    def text(self, text: str) -> int:
        """`text_tokens(text)`, remembered when the text is short."""
        if len(text) > _CACHED_UP_TO:
            return text_tokens(text)
        tokens = self._cache.get(text)
        if tokens is None:
            if len(self._cache) >= _CACHE_ENTRIES:
                self._cache.clear()
            tokens = self._cache[text] = text_tokens(text)
        return tokens

    def _add_plain_chat(self, body: dict[str, Any], line: int | None) -> RequestSize | None:
        """Count a chat whose messages are all `{role, content: str}`, without tools or
        schema; None (nothing counted) for any other request."""
        messages = body.get("messages")
        if type(messages) is not list or "tools" in body or "functions" in body:
            return None
        if "response_format" in body:
            return None
        contents = []
        for message in messages:
            if type(message) is not dict:
                continue
            content = message.get("content")
            if type(content) is not str or "name" in message or "tool_calls" in message:
                return None
            contents.append(content)
        return self.add_chat_contents(
            contents,
            max_completion_tokens=body.get("max_completion_tokens"),
            max_tokens=body.get("max_tokens"),
            max_output_tokens=body.get("max_output_tokens"),
            n=body.get("n", 1),
            line=line,
        )

    def chat_input_tokens(self, bodies: list[ChatBodyLike]) -> list[int]:
        """Input tokens of each plain chat body, as `add_chat_contents` counts them: the
        messages of all bodies are looked up in the cache at once, and long ASCII ones (most
        of the text of a batch) go through `sampled_ascii_tokens` together."""
        message_lists = [body.messages for body in bodies]
        contents = [message.content for messages in message_lists for message in messages]
        cached = self._cache.get
        # Only short texts are ever cached: hashing a long one would cost a pass over it.
        counted: list[int | None] = [
            cached(content) if len(content) <= _CACHED_UP_TO else None for content in contents
        ]
        missing = [index for index, tokens in enumerate(counted) if tokens is None]
        missing_contents = [contents[index] for index in missing]
        is_long = list(
            map(
                and_,
                map(_SAMPLE_ABOVE.__lt__, map(len, missing_contents)),
                map(str.isascii, missing_contents),
            )
        )
        long_indexes = list(compress(missing, is_long))
        for index in compress(missing, map(not_, is_long)):
            counted[index] = self.text(contents[index])
        if long_indexes:
            sampled = sampled_ascii_tokens([contents[index] for index in long_indexes])
            for index, tokens in zip(long_indexes, sampled, strict=True):
                counted[index] = tokens
        sizes = list(map(len, message_lists))
        size = sizes[0] if sizes else 0
        if size and sizes.count(size) == len(sizes):  # the usual batch: as many messages in each
            sums = map(sum, zip(*[iter(counted)] * size, strict=True))
        else:
            parts = iter(counted)
            sums = (sum(islice(parts, count)) for count in sizes)
        return [
            REPLY_PRIMING_TOKENS + _MESSAGE_TOKENS * count + total
            for count, total in zip(sizes, sums, strict=True)
        ]

    def add_chats(
        self,
        bodies: list[ChatBodyLike],
        tokens: list[int],
        caps: list[int | None],
        lines: list[int],
    ) -> None:
        """`add_counted_chat` of consecutive requests (nothing else added between them)."""
        if not bodies:
            return
        totals = self.totals
        default = self.default_max_output_tokens
        totals.requests += len(bodies)
        totals.input_tokens += sum(tokens)
        totals.max_output_tokens += sum(
            (default if cap is None else cap) * _choices(body)
            for cap, body in zip(caps, bodies, strict=True)
        )
        totals.uncapped_requests += caps.count(None)
        largest = max(tokens)
        if largest > totals.largest_input_tokens:
            totals.largest_input_tokens = largest
            totals.largest_input_line = lines[tokens.index(largest)]
        if totals.by_line is not None:
            totals.by_line.update(zip(lines, tokens, strict=True))

    def add_counted_chat(self, body: ChatBodyLike, tokens: int, line: int | None) -> RequestSize:
        """Add a plain chat body whose input `tokens` are known (`chat_input_tokens`)."""
        cap = chat_cap(body)
        choices = _choices(body)
        totals = self.totals
        totals.requests += 1
        totals.input_tokens += tokens
        if cap is None:
            totals.max_output_tokens += self.default_max_output_tokens * choices
            totals.uncapped_requests += 1
        else:
            totals.max_output_tokens += cap * choices
        if tokens > totals.largest_input_tokens:
            totals.largest_input_tokens = tokens
            totals.largest_input_line = line
        if totals.by_line is not None and line is not None:
            totals.by_line[line] = tokens
        return RequestSize(tokens, cap)

    def add_chat_body(self, body: ChatBodyLike, line: int | None) -> RequestSize:
        """`add_chat_contents` of a decoded plain chat body (the validator's typed fast path)."""
        return self.add_counted_chat(body, self.chat_input_tokens([body])[0], line)

    def add_chat_contents(
        self,
        contents: list[str],
        *,
        max_completion_tokens: object,
        max_tokens: object,
        max_output_tokens: object,
        n: object,
        line: int | None,
    ) -> RequestSize:
        """Count a plain chat request from its messages' text and its output caps."""
        messages = [_Text(content) for content in contents]
        body = _PlainChat(messages, max_completion_tokens, max_tokens, max_output_tokens, n)
        return self.add_chat_body(body, line)


class _Text(NamedTuple):
    content: str


class _PlainChat(NamedTuple):
    """A plain chat body as `add_chat_body` reads it."""

    messages: list[_Text]
    max_completion_tokens: object
    max_tokens: object
    max_output_tokens: object
    n: object


class _Counter:
    """Adds up the tokens of the parts of one request."""

    __slots__ = ("rough", "tokens")

    def __init__(self) -> None:
        self.tokens = 0
        self.rough = 0

    def value(self, value: object) -> None:
        if type(value) is str:
            self.tokens += text_tokens(value)

    def as_json(self, value: object) -> None:
        with contextlib.suppress(TypeError, ValueError, RecursionError):
            self.tokens += text_tokens(json.dumps(value, ensure_ascii=False))

    def inputs(self, value: object) -> None:
        """A string, a list of strings, a list of token ids, or a list of such lists."""
        if type(value) is str:
            self.tokens += text_tokens(value)
        elif type(value) is list:
            for item in value:
                if type(item) is int:
                    self.tokens += 1
                elif type(item) is list:
                    self.tokens += len(item)
                else:
                    self.inputs(item)

    def chat(self, body: dict[str, Any]) -> None:
        messages = body.get("messages")
        if type(messages) is list:
            for message in messages:
                if type(message) is not dict:
                    continue
                self.tokens += TOKENS_PER_MESSAGE + TOKENS_PER_ROLE
                self.parts(message.get("content"))
                if "name" in message:
                    self.tokens += TOKENS_PER_NAME
                    self.value(message["name"])
                if "tool_calls" in message:
                    self.as_json(message["tool_calls"])
            self.tokens += REPLY_PRIMING_TOKENS
        for key in ("tools", "functions"):
            if key in body:
                self.as_json(body[key])
        response_format = body.get("response_format")
        if type(response_format) is dict and "json_schema" in response_format:
            self.as_json(response_format["json_schema"])

    def responses(self, body: dict[str, Any]) -> None:
        self.value(body.get("instructions"))
        items = body.get("input")
        if type(items) is str:
            self.tokens += text_tokens(items) + TOKENS_PER_MESSAGE + TOKENS_PER_ROLE
        elif type(items) is list:
            for item in items:
                if type(item) is dict:
                    self.tokens += TOKENS_PER_MESSAGE + TOKENS_PER_ROLE
                    self.parts(item.get("content", item.get("output")))
        self.tokens += REPLY_PRIMING_TOKENS
        if "tools" in body:
            self.as_json(body["tools"])
        text = body.get("text")
        if type(text) is dict and type(text.get("format")) is dict:
            self.as_json(text["format"].get("schema"))

    def parts(self, content: object) -> None:
        """Chat or Responses content: a string or a list of typed parts."""
        if type(content) is str:
            self.tokens += text_tokens(content)
            return
        if type(content) is not list:
            return
        for part in content:
            if type(part) is str:
                self.tokens += text_tokens(part)
            elif type(part) is dict:
                kind = part.get("type")
                if type(part.get("text")) is str:
                    self.tokens += text_tokens(part["text"])
                elif kind in ("image_url", "input_image"):
                    self.image(part)
                elif kind in ("input_audio", "file", "input_file"):
                    self.tokens += FILE_PART_TOKENS
                    self.rough += 1

    def image(self, part: dict[str, Any]) -> None:
        image = part.get("image_url")
        detail = image.get("detail") if type(image) is dict else part.get("detail")
        self.tokens += IMAGE_TOKENS_LOW if detail == "low" else IMAGE_TOKENS_HIGH
        self.rough += 1

    def gemini_content(self, content: dict[str, Any]) -> None:
        self.tokens += TOKENS_PER_MESSAGE + TOKENS_PER_ROLE
        parts = content.get("parts")
        if type(parts) is not list:
            return
        for part in parts:
            if type(part) is not dict:
                continue
            if type(part.get("text")) is str:
                self.tokens += text_tokens(part["text"])
            elif any(key in part for key in ("inlineData", "inline_data", "fileData", "file_data")):
                self.tokens += IMAGE_TOKENS_HIGH
                self.rough += 1
            else:
                self.as_json(part)


def _first_int(body: dict[str, Any], *keys: str) -> int | None:
    for key in keys:
        value = body.get(key)
        if type(value) is int and value >= 0:
            return value
    return None


def _prompt_count(prompt: list[Any]) -> int:
    """How many prompts a `/v1/completions` list holds (a list of ints is one prompt)."""
    if prompt and type(prompt[0]) is int:
        return 1
    return len(prompt)


# -- files -------------------------------------------------------------------------------


@dataclass(slots=True)
class FileEstimate:
    """Running totals over the requests of one file; feed it with `add`."""

    requests: int = 0
    input_tokens: int = 0
    max_output_tokens: int = 0
    uncapped_requests: int = 0
    rough_parts: int = 0
    largest_input_tokens: int = 0
    largest_input_line: int | None = None
    by_line: dict[int, int] | None = field(default=None, repr=False)

    def add(self, estimate: RequestEstimate, line: int | None = None) -> None:
        self.requests += 1
        self.input_tokens += estimate.input_tokens
        self.max_output_tokens += estimate.max_output_tokens
        self.rough_parts += estimate.rough_parts
        if not estimate.output_capped:
            self.uncapped_requests += 1
        if estimate.input_tokens > self.largest_input_tokens:
            self.largest_input_tokens = estimate.input_tokens
            self.largest_input_line = line
        if self.by_line is not None and line is not None:
            self.by_line[line] = estimate.input_tokens

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "max_output_tokens": self.max_output_tokens,
            "uncapped_requests": self.uncapped_requests,
            "rough_parts": self.rough_parts,
            "largest_input_tokens": self.largest_input_tokens,
            "largest_input_line": self.largest_input_line,
        }


def estimate_file(
    path: str,
    *,
    default_max_output_tokens: int = DEFAULT_UNCAPPED_OUTPUT_TOKENS,
) -> FileEstimate:
    """Estimate every parseable line of an OpenAI, Gemini or Vertex batch file.

    For files the validator does not read (Gemini and Vertex lines); for OpenAI files
    prefer calling `estimate_request` from the validator's own pass. Lines that are not
    JSON objects of a known shape are skipped: validation reports them.
    """
    total = FileEstimate()
    with open(path, "rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if type(line) is not dict:
                continue
            body = line.get("body")
            request = line.get("request")
            if type(body) is dict:
                url = line.get("url")
                estimate = estimate_request(
                    body,
                    url if type(url) is str else None,
                    default_max_output_tokens=default_max_output_tokens,
                )
            elif type(request) is dict:
                estimate = estimate_gemini_request(
                    request, default_max_output_tokens=default_max_output_tokens
                )
            else:
                continue
            total.add(estimate, line_no)
    return total


def format_tokens(count: int) -> str:
    """`1,834,000` as `1.8M`, `412,345` as `412k`: for one-line messages."""
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f}M".replace(".0M", "M")
    if count >= 10_000:
        return f"{round(count / 1_000)}k"
    return f"{count:,}"
