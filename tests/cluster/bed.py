"""The test bed of the cluster tests: a cluster, a work dir on it, and `batchtui` aimed at both."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.cli import Run, run_batchtui
from realparts.slurm import SlurmCluster
from realparts.vllm import VLLM_RUN_ARGS, tiny_model, vllm_python

CPU_SETUP = (
    "export VLLM_ENABLE_V1_MULTIPROCESSING=0 VLLM_CPU_KVCACHE_SPACE=1 HF_HUB_OFFLINE=1 "
    "TRANSFORMERS_OFFLINE=1 OMP_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false"
)
# A whole job (vLLM's start on a shared 2-core machine included) ends well within this.
JOB_DEADLINE = 420.0


@dataclass
class Bed:
    """A running cluster, a work dir on it, and the `batchtui` command pointed at both."""

    cluster: SlurmCluster
    work_dir: Path
    home: Path

    def cli(self, *args: str, timeout: float = 120) -> Run:
        env = {**self.cluster.env, "LANG": "C.UTF-8", "LC_ALL": ""}
        return run_batchtui(args, cwd=self.home, env=env, timeout=timeout)

    def ok(self, *args: str) -> Any:
        result = self.cli(*args)
        assert result.code == 0, f"batchtui {' '.join(args)}: {result.stderr}"
        return result.json() if "--json" in args else result.stdout

    def add_profile(self, name: str, *extra: str, model: Path | None = None) -> str:
        """A slurm profile running the tiny model on the CPU build of vLLM."""
        venv = vllm_python().parent.parent
        self.ok(
            "profile", "add", name, "--kind", "slurm",
            "--work-dir", str(self.work_dir),
            "--model", str(model or tiny_model()),
            "--served-model-name", "tiny",
            "--gres", "gpu:1",
            "--setup", f"source {venv}/bin/activate; {CPU_SETUP}",
            *(f"--vllm-arg={arg}" for arg in VLLM_RUN_ARGS),
            *extra,
        )  # fmt: skip
        return name

    def status(self, job: str) -> dict[str, Any]:
        return self.ok("status", job, "--refresh", "--json")

    def wait(
        self,
        job: str,
        until: Callable[[dict[str, Any]], bool],
        *,
        seen: list[dict[str, Any]] | None = None,
        deadline: float = JOB_DEADLINE,
    ) -> dict[str, Any]:
        """Poll `status --refresh --json` until `until(status)`; every answer goes to `seen`."""
        end = time.monotonic() + deadline
        while True:
            status = self.status(job)
            if seen is not None:
                seen.append(status)
            if until(status):
                return status
            if time.monotonic() > end:
                raise AssertionError(
                    f"job {job} still {status['status']} after {deadline:.0f}s:\n"
                    f"{json.dumps(status, indent=1)[:3000]}\n{self.cluster.log_tail(1500)}"
                )
            time.sleep(1.0)


def terminal(status: dict[str, Any]) -> bool:
    return status["status"] in {"completed", "failed", "expired", "cancelled"}


def chat_lines(count: int, *, max_tokens: Callable[[int], int] = lambda n: 16) -> str:
    return "".join(
        json.dumps(
            {
                "custom_id": f"req-{n}",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {
                    "model": "tiny",
                    "messages": [{"role": "user", "content": f"the cat reads {n} books"}],
                    "max_tokens": max_tokens(n),
                    "temperature": 0,
                    # vLLM's own: answers as long as asked, so run times are as planned.
                    "ignore_eos": True,
                },
            }
        )
        + "\n"
        for n in range(count)
    )


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
