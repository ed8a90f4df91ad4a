"""Bodies as they come off the wire: decoded within a ceiling, and cut into lines in linear time.

`BodyDecoder` undoes `Content-Encoding` (identity, gzip, deflate: the encodings batchtui
asks for) a bounded piece at a time: zlib never produces more than the bytes still
allowed, so a 300 KB gzip bomb is refused after its first megabytes instead of being
inflated whole. `LineJoiner` turns chunks into lines without ever copying a partial line
again: a 200 MB line costs what 2,000 short lines of the same bytes cost.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Iterator

# What batchtui asks for: zlib (stdlib) decodes both, a bounded piece at a time.
ACCEPT_ENCODING = "gzip, deflate"


class BodyTooLarge(Exception):
    """The body passed a ceiling; the message says which (for a one-line error)."""


class UnsupportedEncoding(Exception):
    """A `Content-Encoding` batchtui did not ask for and does not decode."""


class BodyDecoder:
    """Decodes one body, refusing to produce more than its limits allow.

    `limit` caps the decoded size; `inflation_limit(compressed)` caps it as a function
    of the compressed bytes seen so far (only for encoded bodies). With `truncate`, the
    output stops quietly at `limit` instead of raising (error bodies: the start is enough).
    """

    def __init__(
        self,
        encoding: str | None,
        *,
        limit: int,
        limit_name: str,
        inflation_limit: Callable[[int], int] | None = None,
        truncate: bool = False,
    ) -> None:
        self.encoding = (encoding or "identity").strip().lower() or "identity"
        self.limit = limit
        self.limit_name = limit_name
        self.inflation_limit = inflation_limit
        self.truncate = truncate
        self.compressed = 0
        self.decoded = 0
        self.full = False  # truncating: the limit was reached
        self._zlib: zlib._Decompress | None = None
        self._first_deflate = True
        if self.encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.encoding == "deflate":
            self._zlib = zlib.decompressobj()
        elif self.encoding != "identity":
            raise UnsupportedEncoding(
                f"the answer is encoded as {self.encoding!r}, which batchtui did not ask for"
            )

    @property
    def encoded(self) -> bool:
        return self._zlib is not None

    def _allowed(self) -> tuple[int, str]:
        allowed, name = self.limit, self.limit_name
        if self._zlib is not None and self.inflation_limit is not None:
            by_ratio = self.inflation_limit(self.compressed)
            if by_ratio < allowed:
                allowed = by_ratio
                name = f"{by_ratio:,} bytes inflated from {self.compressed:,} compressed"
        return allowed, name

    def feed(self, raw: bytes) -> bytes:
        """The decoded bytes of the next raw piece; raises BodyTooLarge past a ceiling."""
        if self.full or not raw:
            return b""
        self.compressed += len(raw)
        if self._zlib is None:
            return self._take(raw)
        pieces = []
        data = raw
        while data and not self.full:
            allowed, _ = self._allowed()
            room = max(allowed - self.decoded, 0)
            try:
                piece = self._zlib.decompress(data, room + 1)
            except zlib.error:
                if self.encoding == "deflate" and self._first_deflate and not self.decoded:
                    # Some servers send raw deflate without the zlib header (as httpx allows).
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._first_deflate = False
                    continue
                raise
            self._first_deflate = False
            pieces.append(self._take(piece))
            data = self._zlib.unconsumed_tail
            if not piece and not data:
                break
        return b"".join(pieces)

    def _take(self, piece: bytes) -> bytes:
        allowed, name = self._allowed()
        if self.decoded + len(piece) > allowed:
            if not self.truncate:
                raise BodyTooLarge(f"the answer is over {_limit_text(allowed, name)}")
            piece = piece[: max(allowed - self.decoded, 0)]
            self.full = True
        self.decoded += len(piece)
        return piece

    def flush(self) -> bytes:
        if self._zlib is None or self.full:
            return b""
        return self._take(self._zlib.flush())


def _limit_text(allowed: int, name: str) -> str:
    if name.endswith("compressed"):
        return f"{name} (max_inflation, max_inflated_bytes)"
    return f"{allowed:,} bytes ({name})"


class LineJoiner:
    """Lines out of a stream of chunks, without their line ending (`\n`, `\r\n`).

    A partial line grows in one `BytesIO` (amortised, never copied whole per chunk), whose
    `getvalue()` hands its buffer over without a copy when the line ends; the chunks are
    let go at once, so the network buffers are reused. A 200 MB line costs about what
    2,000 short lines of the same bytes cost.
    """

    def __init__(self) -> None:
        self._partial: io.BytesIO | None = None

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        start = 0
        find = chunk.find
        end = find(b"\n")
        while end != -1:
            if self._partial is not None:
                self._partial.write(memoryview(chunk)[start:end])
                line = self._partial.getvalue()
                self._partial = None
            else:
                line = chunk[start:end]
            yield line.removesuffix(b"\r")
            start = end + 1
            end = find(b"\n", start)
        if start < len(chunk):
            if self._partial is None:
                self._partial = io.BytesIO()
            self._partial.write(memoryview(chunk)[start:])

    def finish(self) -> Iterator[bytes]:
        """The last line when the stream did not end with a newline."""
        if self._partial is not None:
            line = self._partial.getvalue()
            self._partial = None
            yield line.removesuffix(b"\r")
