"""The simulator's settings, shared by the CLI flags and `start_in_thread(**options)`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from batchtui.simulator.faults import parse_fault_spec

DEFAULT_EXPIRE_AFTER = 24 * 3600.0


@dataclass(frozen=True)
class SimulatorOptions:
    host: str = "127.0.0.1"
    port: int = 0
    data_dir: Path | None = None  # None: batchtui's data dir / "simulator"
    speed: float = 5.0  # requests finished per second while in_progress
    phase_seconds: float = 1.0  # minimum time in each status
    expire_after: float = DEFAULT_EXPIRE_AFTER
    api_key: str | None = field(default=None, repr=False)
    models: frozenset[str] | None = None  # None: every model is accepted
    faults: str = ""
    seed: int | None = None
    slow_seconds: float = 3.0  # delay of the `slow` fault
    quiet: bool = False  # no request log on stderr
    no_range: bool = False  # ignore Range headers (always 200 with the whole file)
    flavor: str = "openai"
    # litellm-vertex: convert Vertex predictions to OpenAI rows on download, as LiteLLM does
    # since PR #25627 (default: the older proxies' raw predictions.jsonl rows)
    litellm_convert_output: bool = False

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise ValueError(f"speed must be above 0 requests/s, got {self.speed}")
        if self.phase_seconds < 0:
            raise ValueError(f"phase_seconds must be 0 or more, got {self.phase_seconds}")
        if self.expire_after <= 0:
            raise ValueError(f"expire_after must be above 0 seconds, got {self.expire_after}")
        if self.slow_seconds < 0:
            raise ValueError(f"slow_seconds must be 0 or more, got {self.slow_seconds}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be from 0 to 65535, got {self.port}")
        parse_fault_spec(self.faults)  # raises FaultSpecError (a ValueError) with the reason

    @classmethod
    def build(cls, **options: Any) -> SimulatorOptions:
        """Options from keyword arguments named like the CLI flags (`phase_seconds=0.1`...).

        `models` may be a comma-separated string or an iterable; `data_dir` a str or Path.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(f"unknown simulator option(s): {', '.join(unknown)}")
        models = options.get("models")
        if models is not None:
            options["models"] = parse_models(models)
        if options.get("data_dir") is not None:
            options["data_dir"] = Path(options["data_dir"])
        if options.get("faults") is None:
            options["faults"] = ""
        return cls(**options)


def parse_models(models: str | Iterable[str]) -> frozenset[str] | None:
    names = models.split(",") if isinstance(models, str) else list(models)
    cleaned = frozenset(name.strip() for name in names if name.strip())
    return cleaned or None
