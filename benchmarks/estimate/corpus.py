"""A varied, deterministic corpus for measuring the token estimate.

Categories: English prose (CPython's own pydoc topics, paragraphs without code), code
(standard-library sources), numbers and JSON (generated), German/French, Chinese/
Japanese and other scripts (hand-written files in `corpus/`), emoji (generated mixes).
Each sample has a stable id; `split(id)` puts about half in "fit" and half in "test",
so weights fitted on one half are measured on the other.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CORPUS_DIR = Path(__file__).parent / "corpus"

CATEGORIES = (
    "english",
    "code",
    "numbers_json",
    "german_french",
    "chinese_japanese",
    "other_scripts",
    "emoji",
)


@dataclass(frozen=True)
class Sample:
    category: str
    id: str
    text: str

    @property
    def split(self) -> str:
        digest = hashlib.sha256(self.id.encode()).digest()
        return "fit" if digest[0] % 2 == 0 else "test"


def samples() -> Iterator[Sample]:
    yield from _english()
    yield from _code()
    yield from _numbers_json()
    yield from _files("german_french", ("german.txt", "french.txt"))
    yield from _files("chinese_japanese", ("chinese.txt", "japanese.txt"))
    yield from _files("other_scripts", ("russian.txt", "korean.txt"))
    yield from _emoji()


def _paragraph_groups(paragraphs: list[str], prefix: str, category: str) -> Iterator[Sample]:
    """Single paragraphs, pairs, and the whole text: short and long samples."""
    for index, paragraph in enumerate(paragraphs):
        yield Sample(category, f"{prefix}:p{index}", paragraph)
    for index in range(0, len(paragraphs) - 1, 2):
        yield Sample(category, f"{prefix}:pair{index}", "\n\n".join(paragraphs[index : index + 2]))
    yield Sample(category, f"{prefix}:all", "\n\n".join(paragraphs))


def _files(category: str, names: tuple[str, ...]) -> Iterator[Sample]:
    for name in names:
        text = (CORPUS_DIR / name).read_text(encoding="utf-8")
        paragraphs = [part.strip() for part in text.split("\n\n") if part.strip()]
        yield from _paragraph_groups(paragraphs, name, category)


def _english() -> Iterator[Sample]:
    from pydoc_data.topics import topics

    count = 0
    for topic in sorted(topics):
        prose = [
            " ".join(paragraph.split())
            for paragraph in topics[topic].split("\n\n")
            if len(paragraph) > 200
            and not paragraph.startswith(" ")
            and paragraph.count("(") < 4
            and "::" not in paragraph
        ]
        if len(prose) < 2:
            continue
        yield from _paragraph_groups(prose[:6], f"pydoc:{topic}", "english")
        count += 1
        if count >= 25:
            return


def _code() -> Iterator[Sample]:
    import argparse
    import csv
    import dataclasses
    import json.decoder
    import shutil
    import textwrap

    for module in (argparse, csv, dataclasses, json.decoder, shutil, textwrap):
        lines = inspect.getsource(module).splitlines()
        for start in range(0, min(len(lines), 1200), 60):
            chunk = "\n".join(lines[start : start + 20 + start % 50])
            if chunk.strip():
                yield Sample("code", f"{module.__name__}:{start}", chunk)


def _numbers_json() -> Iterator[Sample]:
    rng = random.Random(42)
    for index in range(40):
        kind = index % 4
        if kind == 0:
            records = [
                {
                    "id": rng.randrange(10**6),
                    "name": rng.choice(["alpha", "beta", "gamma", "delta"]) + str(index),
                    "score": round(rng.uniform(-100, 100), rng.randrange(1, 6)),
                    "tags": rng.sample(["x", "protein", "genome", "ocean", "node"], 2),
                    "created": f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
                }
                for _ in range(rng.randrange(1, 12))
            ]
            text = json.dumps(records, indent=rng.choice([None, 2]))
        elif kind == 1:
            text = "\n".join(
                ",".join(f"{rng.uniform(0, 10 ** rng.randrange(1, 7)):.3f}" for _ in range(8))
                for _ in range(rng.randrange(2, 30))
            )
        elif kind == 2:
            text = " ".join(str(rng.randrange(10 ** rng.randrange(1, 12))) for _ in range(200))
        else:
            text = json.dumps(
                {
                    "matrix": [[rng.randrange(1000) for _ in range(6)] for _ in range(6)],
                    "uuid": f"{rng.getrandbits(128):032x}",
                    "ok": rng.random() > 0.5,
                }
            )
        yield Sample("numbers_json", f"numbers:{index}", text)


_EMOJI = [
    "😀",
    "😂",
    "🥲",
    "👍",
    "🎉",
    "🚀",
    "🔥",
    "❤️",
    "✅",
    "🙏",
    "👩‍💻",
    "👨‍👩‍👧",
    "🇩🇪",
    "🇯🇵",
    "🤖",
    "📈",
    "🌍",
    "☕",
    "🐍",
    "💡",
]
_EMOJI_TEXT = (
    "Great news team the release is out",
    "Thanks for the quick review",
    "Meeting moved to Thursday afternoon",
    "Our model beat the baseline again",
    "Coffee break anyone",
    "Deploy finished without errors",
)


def _emoji() -> Iterator[Sample]:
    rng = random.Random(7)
    for index in range(40):
        if index % 3 == 0:
            text = "".join(rng.choice(_EMOJI) for _ in range(rng.randrange(3, 40)))
        else:
            pieces = []
            for _ in range(rng.randrange(1, 8)):
                pieces.append(rng.choice(_EMOJI_TEXT))
                pieces.append(" ".join(rng.choice(_EMOJI) for _ in range(rng.randrange(1, 4))))
            text = " ".join(pieces)
        yield Sample("emoji", f"emoji:{index}", text)
