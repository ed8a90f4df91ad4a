"""The real LiteLLM proxy (PyPI, pinned) in front of `batchtui simulate`, for the gateway tests.

- Installed by `ensure_venv` into a venv of its own (LiteLLM brings `click`, its own `httpx`
  and `openai`: none of it may reach the suite's environment). The `prisma` package is
  there because without it LiteLLM turns every upstream error into a bare 500; there is no
  database and no prisma engine.
- Started on 127.0.0.1 and a free port, with its start-up lookups off: the bundled model
  cost map (`LITELLM_LOCAL_MODEL_COST_MAP`), no telemetry, no callbacks.
- Served by uvicorn on the standard asyncio loop (`--loop asyncio`), the proxy's own ASGI
  app and config file (`CONFIG_FILE_PATH`, as LiteLLM's container images run it). The
  `litellm` command forces uvloop, whose resolver and connects are libuv's own: the
  preload that sends Google's names to the simulator (tls_front) would not see them.
- Upstreams: OpenAI-format calls (`custom_llm_provider=openai`) go to the simulator's
  OpenAI routes; Vertex AI calls (`vertex_ai`) go to Google's real hostnames, which the
  preload resolves to the TLS front in front of the same simulator. The proxy signs in to
  Google with the simulator's service account, its `token_uri` Google's own.

`litellm_proxy(directory)` is a context manager yielding a `LiteLLMProxy`; the gateway tests
wrap it in a module-scoped fixture (`litellm_gateway`) and an xdist group.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from helpers.cli import CLI, Run, add_profile, env_with_key, run_batchtui
from realparts.provision import ensure_venv
from realparts.simulate import Simulate, running_simulator
from realparts.tls_front import (
    GOOGLE_HOSTNAMES,
    google_front,
    outside_connections,
    python_preload_env,
)

LITELLM_VERSION = "1.108.7"
MASTER_KEY = "sk-batchtui-litellm-test"
UPSTREAM_KEY = "sk-simulator-upstream"
GCP_PROJECT = "batchtui-sim"
GCP_LOCATION = "us-central1"
BUCKET = "batchtui-sim-bucket"
VERTEX_MODEL = "gemini-2.0-flash-001"
VERTEX_DEPLOYMENT = "gemini-on-vertex"  # the proxy's model name for model-based routing
START_TIMEOUT = 120.0  # the first start compiles LiteLLM's many modules


def litellm_venv() -> Path:
    return ensure_venv(
        "litellm",
        [[f"litellm[proxy,google]=={LITELLM_VERSION}", "prisma"]],
        check=["-c", "import litellm, prisma, litellm.proxy.proxy_server"],
    )


@dataclass
class LiteLLMProxy:
    url: str  # ends in /v1
    upstream: Simulate
    process: subprocess.Popen[bytes]
    log_file: Path
    connections_log: Path
    vertex_credentials: Path  # the simulator's service account, as a user would have it

    def log_text(self) -> str:
        return self.log_file.read_text(errors="replace")

    def outside_connections(self) -> list[str]:
        return outside_connections(self.connections_log)


def _die_with_parent() -> None:
    """In the proxy's process before exec: a SIGTERM when the test process dies, so a
    killed test run leaves no proxy behind (Linux's PR_SET_PDEATHSIG; elsewhere nothing)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _google_key_file(upstream: Simulate, directory: Path) -> Path:
    """The simulator's service-account key, with Google's token_uri (reached via the front)."""
    info = json.loads(upstream.google_credentials_file.read_text())
    info["token_uri"] = "https://oauth2.googleapis.com/token"
    path = directory / "vertex-service-account.json"
    path.write_text(json.dumps(info))
    path.chmod(0o600)
    return path


def _config(upstream: Simulate, key_file: Path) -> dict[str, object]:
    openai_upstream = {
        "custom_llm_provider": "openai",
        "api_base": upstream.url,
        "api_key": UPSTREAM_KEY,
    }
    return {
        "model_list": [
            {
                "model_name": "gpt-4o-mini",
                "litellm_params": {
                    "model": "openai/gpt-4o-mini",
                    "api_base": upstream.url,
                    "api_key": UPSTREAM_KEY,
                },
            },
            {
                # Model-based routing (the `x-litellm-model` header): file and batch ids come
                # back encoded with the model, and the proxy serves their content itself.
                "model_name": VERTEX_DEPLOYMENT,
                "litellm_params": {
                    "model": f"vertex_ai/{VERTEX_MODEL}",
                    "vertex_project": GCP_PROJECT,
                    "vertex_location": GCP_LOCATION,
                    "vertex_credentials": str(key_file),
                },
            },
        ],
        "files_settings": [openai_upstream],
        "general_settings": {"master_key": MASTER_KEY},
        "litellm_settings": {
            "telemetry": False,
            "drop_params": True,
            # The preload resolves Google's names to 127.0.0.1, which LiteLLM's guard against
            # server-side request forgery blocks unless the admin allows the host.
            "user_url_allowed_hosts": list(GOOGLE_HOSTNAMES),
        },
    }


def _environment(
    venv: Path, upstream: Simulate, directory: Path, preload: dict[str, str], key_file: Path
) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "TMPDIR", "SYSTEMROOT")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(preload)
    env.update(
        {
            "PATH": f"{venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}",
            "CONFIG_FILE_PATH": str(directory / "config.yaml"),
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_TELEMETRY": "False",
            "LITELLM_DONT_SHOW_FEEDBACK_BOX": "True",
            "LITELLM_MODE": "PRODUCTION",
            "DISABLE_SCHEMA_UPDATE": "True",
            "PYTHONUNBUFFERED": "1",
            # The OpenAI-format upstream, for the calls routed by custom_llm_provider=openai.
            "OPENAI_API_KEY": UPSTREAM_KEY,
            "OPENAI_BASE_URL": upstream.url,
            "OPENAI_API_BASE": upstream.url,
            # Vertex AI behind the proxy: Google's real hostnames, redirected by the preload.
            "VERTEXAI_PROJECT": GCP_PROJECT,
            "VERTEXAI_LOCATION": GCP_LOCATION,
            "VERTEXAI_CREDENTIALS": str(key_file),
            "GOOGLE_APPLICATION_CREDENTIALS": str(key_file),
            "GCS_BUCKET_NAME": BUCKET,
            "GCS_PATH_SERVICE_ACCOUNT": str(key_file),
            "HOME": str(directory / "home"),
        }
    )
    (directory / "home").mkdir(exist_ok=True)
    return env


@contextmanager
def litellm_proxy(directory: Path, *simulate_flags: str) -> Iterator[LiteLLMProxy]:
    """The real proxy in front of a fresh `batchtui simulate` (given `simulate_flags`)."""
    venv = litellm_venv()
    # The upstream's request log (its log_file) witnesses which calls the proxy passed on.
    flags = ("--phase-seconds", "0.2", "--speed", "1000", *simulate_flags)
    with (
        running_simulator(directory / "simulator", *flags) as upstream,
        google_front(directory / "ca", upstream.port) as (ca, front),
    ):
        connections_log = directory / "outside-connections.log"
        preload = python_preload_env(ca, front, connections_log)
        key_file = _google_key_file(upstream, directory)
        (directory / "config.yaml").write_text(json.dumps(_config(upstream, key_file), indent=2))
        port = _free_port()
        log_file = directory / "litellm.log"
        command = [
            str(venv / "bin" / "python"),
            "-m",
            "uvicorn",
            "litellm.proxy.proxy_server:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--loop",
            "asyncio",
            "--no-access-log",
        ]
        env = _environment(venv, upstream, directory, preload, key_file)
        with log_file.open("wb") as log:
            process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=directory,
                preexec_fn=_die_with_parent,
            )
        proxy = LiteLLMProxy(
            f"http://127.0.0.1:{port}/v1", upstream, process, log_file, connections_log, key_file
        )
        try:
            _wait_until_ready(proxy)
            yield proxy
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_until_ready(proxy: LiteLLMProxy) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    health = proxy.url.removesuffix("/v1") + "/health/liveliness"
    while time.monotonic() < deadline:
        if proxy.process.poll() is not None:
            raise RuntimeError(
                f"the LiteLLM proxy exited ({proxy.process.returncode}) at start:\n"
                f"{proxy.log_text()[-3000:]}"
            )
        try:
            if httpx.get(health, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(
        f"the LiteLLM proxy did not answer {health} within {START_TIMEOUT:.0f}s:\n"
        f"{proxy.log_text()[-3000:]}"
    )


# The simulator behind the shared proxy: phases long enough to cancel a job from a second
# CLI call, and a model list so a batch on any other model fails validation.
GATEWAY_SIMULATOR_FLAGS = (
    "--phase-seconds",
    "1.5",
    "--models",
    f"gpt-4o-mini,{VERTEX_MODEL}",
)


@contextmanager
def checked_proxy(directory: Path, *simulate_flags: str) -> Iterator[LiteLLMProxy]:
    """`litellm_proxy`, then fail if the proxy connected anywhere outside 127.0.0.0/8."""
    with litellm_proxy(directory, *simulate_flags) as proxy:
        yield proxy
        leaked = proxy.outside_connections()
    assert not leaked, f"the LiteLLM proxy connected outside 127.0.0.0/8: {leaked}"
    shutil.rmtree(directory / "home", ignore_errors=True)


# Each test module that imports the fixture gets a fixture definition of its own, so the
# proxy is kept here: the first module to ask starts it, the session's end stops it.
_shared_gateway: list[LiteLLMProxy] = []


@pytest.fixture(scope="session")
def litellm_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiteLLMProxy]:
    """One real LiteLLM proxy (and its simulator) shared by the LiteLLM flows."""
    if _shared_gateway:
        yield _shared_gateway[0]
        return
    with checked_proxy(tmp_path_factory.mktemp("litellm"), *GATEWAY_SIMULATOR_FLAGS) as proxy:
        _shared_gateway.append(proxy)
        try:
            yield proxy
        finally:
            _shared_gateway.clear()


@pytest.fixture
def gateway_cli(tmp_path: Path) -> CLI:
    """`gateway_cli("jobs", "--json")`: the installed batchtui in the test's isolated
    environment, with the proxy's key in KEY_ENV."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Run:
        return run_batchtui(
            args, cwd=tmp_path, env=env or env_with_key(MASTER_KEY), timeout=timeout
        )

    return run


def add_litellm_profile(cli: CLI, proxy: LiteLLMProxy, name: str, backend: str, *extra: str) -> str:
    """`batchtui profile add NAME --kind litellm --custom-llm-provider BACKEND ...`."""
    return add_profile(cli, proxy.url, name, "litellm", "--custom-llm-provider", backend, *extra)


def google_flags(proxy: LiteLLMProxy) -> tuple[str, ...]:
    """What a LiteLLM-to-Vertex profile needs to read results: the Google credentials (the
    user's own key file, here the simulator's account), the bucket, and Cloud Storage's
    address (the simulator; batchtui itself is not behind the redirect)."""
    key = proxy.upstream.google_credentials_file
    return ("--credentials", str(key), "--bucket", BUCKET, "--storage-url", proxy.upstream.root)
