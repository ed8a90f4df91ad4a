"""A slurm profile's settings, read once from the profile into one typed value."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batchtui.core.errors import ConfigError

DEFAULT_VLLM_COMMAND = "vllm"


@dataclass(frozen=True)
class SlurmSettings:
    work_dir: Path
    model: str
    served_model_name: str | None = None
    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    gres: str | None = None
    time: str | None = None
    cpus: int | None = None
    mem: str | None = None
    max_lines_per_job: int | None = None
    # Lines per `vllm run-batch` run inside a job: vLLM writes its output only when a run
    # ends, so smaller runs keep more answers when a job hits its time limit (each run
    # loads the model again). None: the whole input in one run.
    lines_per_run: int | None = None
    setup: str | None = None
    vllm_args: tuple[str, ...] = ()
    sbatch_args: tuple[str, ...] = ()
    vllm_command: str = DEFAULT_VLLM_COMMAND

    @classmethod
    def from_profile(cls, profile: Any) -> SlurmSettings:
        def get(name: str) -> Any:
            value = getattr(profile, name, None)
            if value is None:
                value = (getattr(profile, "extra_body", None) or {}).get(name)
            return value

        work_dir = get("work_dir")
        model = get("model")
        where = f"profile {profile.name!r}"
        if not work_dir:
            raise ConfigError(f"{where}: work_dir is required for kind slurm (--work-dir DIR)")
        if not model:
            raise ConfigError(f"{where}: model is required for kind slurm (--model PATH_OR_NAME)")
        return cls(
            work_dir=Path(str(work_dir)).expanduser(),
            model=str(model),
            served_model_name=get("served_model_name"),
            partition=get("partition"),
            account=get("account"),
            qos=get("qos"),
            gres=get("gres"),
            time=get("time"),
            cpus=_positive(get("cpus"), "cpus", where),
            mem=get("mem"),
            max_lines_per_job=_positive(get("max_lines_per_job"), "max_lines_per_job", where),
            lines_per_run=_positive(get("lines_per_run"), "lines_per_run", where),
            setup=get("setup"),
            vllm_args=_args(get("vllm_arg")),
            sbatch_args=_args(get("sbatch_arg")),
            vllm_command=get("vllm_command") or DEFAULT_VLLM_COMMAND,
        )


def _positive(value: Any, name: str, where: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {name} must be a whole number, not {value!r}") from None
    if number < 1:
        raise ConfigError(f"{where}: {name} must be at least 1, not {number}")
    return number


def _args(value: Any) -> tuple[str, ...]:
    """A list of arguments, or one string of them (split like a shell would)."""
    if not value:
        return ()
    if isinstance(value, str):
        return tuple(shlex.split(value))
    return tuple(str(item) for item in value)


def _slurm_limits() -> Any:
    from batchtui.core.formats.limits import OPENAI_LIMITS, Limits

    # A cluster filesystem takes any size; vLLM's run-batch answers these two endpoints.
    return Limits(
        name="vLLM run-batch",
        max_line_bytes=OPENAI_LIMITS.max_line_bytes,
        endpoints=("/v1/chat/completions", "/v1/embeddings"),
    )


SLURM_LIMITS = _slurm_limits()
