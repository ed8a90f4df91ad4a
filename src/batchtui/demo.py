"""`batchtui --demo`: the TUI against an in-process simulator, with throwaway files.

The process gets its own temporary config and registry (BATCHTUI_CONFIG and
BATCHTUI_DATA_DIR point into a temporary directory), so the user's real ones are never
read or written. The simulator starts in the app's loading worker, after the first
paint; sample batches are then submitted through the job service like any other, and
progress while you watch: one completes, one has a few failed requests, one runs out of
time and expires with partial results, one goes through a simulated Portkey gateway in
front of Vertex AI (a second simulator, in that gateway's flavour) and one to the Gemini
batch API directly. Quitting stops the simulators and deletes it all.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from batchtui.core.service import JobService
    from batchtui.simulator import SimulatorHandle

DEMO_PROFILE = "demo"
GATEWAY_PROFILE = "demo-gateway"
GEMINI_PROFILE = "demo-gemini"
DEMO_KEY_ENV = "BATCHTUI_DEMO_API_KEY"
DEMO_MODEL = "gpt-4o-mini"
GOOGLE_MODEL = "gemini-2.5-flash"

# Simulated pace: requests finished per second per batch, and the minimum time per phase.
# At this pace a 24-request batch completes in about 20 s, and anything still running
# after EXPIRE_AFTER seconds expires (the 120-request batch does, half done).
SPEED = 1.5
PHASE_SECONDS = 2.0
EXPIRE_AFTER = 45.0

TOPICS = (
    "the water cycle",
    "how vaccines work",
    "the history of the printing press",
    "why the sky is blue",
    "how a transistor works",
    "the rules of chess",
    "photosynthesis",
    "plate tectonics",
)


@dataclass(frozen=True)
class SampleBatch:
    name: str
    requests: int
    failing: frozenset[int] = frozenset()  # request numbers that ask the simulator to fail
    profile: str = DEMO_PROFILE
    model: str = DEMO_MODEL


SAMPLES = (
    SampleBatch("demo-chat", 24),
    SampleBatch("demo-some-errors", 20, frozenset({3, 8, 13, 17})),
    SampleBatch("demo-long-expires", 120),
    SampleBatch("demo-via-gateway", 16, frozenset({5}), GATEWAY_PROFILE, GOOGLE_MODEL),
    SampleBatch("demo-gemini", 12, profile=GEMINI_PROFILE, model=GOOGLE_MODEL),
)


def sample_lines(sample: SampleBatch) -> list[str]:
    lines = []
    for number in range(1, sample.requests + 1):
        topic = TOPICS[number % len(TOPICS)]
        prompt = f"Explain {topic} in two sentences."
        if number in sample.failing:
            prompt += " [sim:error]"
        request: dict[str, Any] = {
            "custom_id": f"{sample.name}-{number:03d}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {
                "model": sample.model,
                "messages": [
                    {"role": "system", "content": "You are a concise teacher."},
                    {"role": "user", "content": prompt},
                ],
                "max_tokens": 120,
            },
        }
        lines.append(json.dumps(request))
    return lines


def demo_config_text(
    base_url: str, gateway_url: str, google_url: str, download_dir: Path | None = None
) -> str:
    common = f'api_key_env = "{DEMO_KEY_ENV}"\npoll_interval = 2\n'
    # Downloads and exports go to the demo's own folder, thrown away with it, never the cwd.
    downloads = f"download_dir = {json.dumps(str(download_dir))}\n" if download_dir else ""
    return (
        "# Written by `batchtui --demo`; deleted when the demo ends.\n"
        "[settings]\n"
        f'default_profile = "{DEMO_PROFILE}"\n'
        f"{downloads}"
        "registry_refresh_seconds = 1.0\n\n"
        f"[profiles.{DEMO_PROFILE}]\n"
        'kind = "openai"\n'
        f"base_url = {json.dumps(base_url)}\n{common}\n"
        "# A university's Portkey gateway in front of Vertex AI (simulated).\n"
        f"[profiles.{GATEWAY_PROFILE}]\n"
        'kind = "portkey"\n'
        f"base_url = {json.dumps(gateway_url)}\n{common}"
        f"[profiles.{GATEWAY_PROFILE}.headers]\n"
        'x-portkey-provider = "@vertexai"\n'
        'x-portkey-vertex-storage-bucket-name = "demo-bucket"\n'
        f'x-portkey-provider-model = "{GOOGLE_MODEL}"\n\n'
        f"[profiles.{GEMINI_PROFILE}]\n"
        'kind = "gemini"\n'
        f"base_url = {json.dumps(google_url)}\n{common}"
    )


class DemoRun:
    """Temporary files, environment and simulator of one demo session."""

    ENV_NAMES = ("BATCHTUI_CONFIG", "BATCHTUI_DATA_DIR", DEMO_KEY_ENV)

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="batchtui-demo-"))
        self.simulator: SimulatorHandle | None = None
        self.gateway: SimulatorHandle | None = None
        self._saved_env = {name: os.environ.get(name) for name in self.ENV_NAMES}
        self._lock = threading.Lock()
        self._closed = False
        os.environ["BATCHTUI_CONFIG"] = str(self.root / "config.toml")
        os.environ["BATCHTUI_DATA_DIR"] = str(self.root / "data")
        # The simulator accepts any key; this one only has to exist.
        os.environ[DEMO_KEY_ENV] = "sk-demo-simulated"

    def start(self) -> None:
        """Start the simulator and write the config and sample files (in a worker thread)."""
        from batchtui.core.fsutil import atomic_write_text
        from batchtui.core.paths import ensure_private_dir
        from batchtui.simulator import start_in_thread

        with self._lock:
            if self._closed:
                return
            pace: dict[str, Any] = {
                "port": 0,
                "speed": SPEED,
                "phase_seconds": PHASE_SECONDS,
                "expire_after": EXPIRE_AFTER,
            }
            self.simulator = start_in_thread(data_dir=self.root / "simulator", **pace)
            self.gateway = start_in_thread(
                data_dir=self.root / "gateway", flavor="portkey-vertex", **pace
            )
        ensure_private_dir(self.root / "data")
        config = demo_config_text(
            self.simulator.url,
            self.gateway.url,
            self.simulator.root_url,
            download_dir=self.root / "downloads",
        )
        atomic_write_text(self.root / "config.toml", config)
        for sample in SAMPLES:
            text = "\n".join(sample_lines(sample)) + "\n"
            atomic_write_text(self.input_path(sample), text, mode=None)

    def input_path(self, sample: SampleBatch) -> Path:
        return self.root / "inputs" / f"{sample.name}.jsonl"

    async def submit_samples(self, service: JobService) -> None:
        for sample in SAMPLES:
            await service.submit(self.input_path(sample), sample.profile, name=sample.name)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for simulator in (self.simulator, self.gateway):
                if simulator is not None:
                    simulator.stop()
        shutil.rmtree(self.root, ignore_errors=True)
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
