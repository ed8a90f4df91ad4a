"""The simulator's settings, shared by the CLI flags and `start_in_thread(**options)`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from batchtui.simulator.faults import parse_fault_spec

DEFAULT_EXPIRE_AFTER = 24 * 3600.0
DEFAULT_GCS_BUCKETS = frozenset({"batchtui-sim-bucket"})


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
    # litellm-vertex: serve raw gs:// file content, as proxies before 1.108 did (1.108 refuses
    # it without a database), and the `completion_window` batches report ("24h" since 1.108)
    litellm_raw_content: bool = False
    litellm_completion_window: str = "24h"
    # openai: write each result row's `response.body` as a JSON-encoded string, as some
    # OpenAI-compatible batch servers do
    json_string_bodies: bool = False
    # Google APIs (served beside every flavour, see simulator.google)
    gcp_project: str = "batchtui-sim"  # the project id Vertex paths may name (or the number)
    gcs_buckets: frozenset[str] = DEFAULT_GCS_BUCKETS
    token_lifetime: int = 3600  # seconds an OAuth2 access token from /token stays valid
    gcp_service_accounts: tuple[Path, ...] = ()  # key files /token trusts besides its own
    vertex_file_rows: int = 400  # rows per predictions file before a job's output is split

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
        if self.token_lifetime < 1:
            raise ValueError(f"token_lifetime must be 1 second or more, got {self.token_lifetime}")
        if self.vertex_file_rows < 1:
            raise ValueError(f"vertex_file_rows must be 1 or more, got {self.vertex_file_rows}")
        if self.litellm_completion_window not in ("24h", "24hrs"):
            raise ValueError(
                f"litellm_completion_window must be 24h or 24hrs, got "
                f"{self.litellm_completion_window!r}"
            )
        if not self.gcs_buckets:
            raise ValueError("gcs_buckets must name at least one bucket")
        parse_fault_spec(self.faults)  # raises FaultSpecError (a ValueError) with the reason

    @classmethod
    def build(cls, **options: Any) -> SimulatorOptions:
        """Options from keyword arguments named like the CLI flags (`phase_seconds=0.1`...).

        `models` and `gcs_buckets` may be a comma-separated string or an iterable; `data_dir`
        a str or Path; `gcp_service_accounts` an iterable of str or Path.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(f"unknown simulator option(s): {', '.join(unknown)}")
        models = options.get("models")
        if models is not None:
            options["models"] = parse_models(models)
        if isinstance(options.get("gcs_buckets"), str):
            options["gcs_buckets"] = parse_names(options["gcs_buckets"])
        elif options.get("gcs_buckets") is not None:
            options["gcs_buckets"] = frozenset(options["gcs_buckets"])
        if options.get("gcp_service_accounts") is not None:
            options["gcp_service_accounts"] = tuple(map(Path, options["gcp_service_accounts"]))
        if options.get("data_dir") is not None:
            options["data_dir"] = Path(options["data_dir"])
        if options.get("faults") is None:
            options["faults"] = ""
        return cls(**options)


def parse_models(models: str | Iterable[str]) -> frozenset[str] | None:
    names = models.split(",") if isinstance(models, str) else list(models)
    cleaned = frozenset(name.strip() for name in names if name.strip())
    return cleaned or None


def parse_names(text: str) -> frozenset[str]:
    return frozenset(name.strip() for name in text.split(",") if name.strip())
