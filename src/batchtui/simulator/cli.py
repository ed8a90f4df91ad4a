"""`batchtui simulate` / `python -m batchtui.simulator`: serve the simulator until interrupted.

The first line on stdout is the base URL ending in /v1 (flushed at once, so a parent process
can read it); then one line per request goes to stderr unless `--quiet`.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from batchtui.simulator.faults import FaultSpecError, parse_fault_spec
from batchtui.simulator.flavors import FLAVOR_MODULES
from batchtui.simulator.options import (
    DEFAULT_EXPIRE_AFTER,
    DEFAULT_GCS_BUCKETS,
    SimulatorOptions,
    parse_models,
    parse_names,
)

PROG = "batchtui simulate"


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {text}")
    return value


def _fault_spec(text: str) -> str:
    try:
        parse_fault_spec(text)
    except FaultSpecError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _stop_on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM (kill, a job scheduler) ends the server like Ctrl-C does."""
    raise KeyboardInterrupt


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Serve a simulated OpenAI Files and Batch API on this machine.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="port (0: any free port)")
    parser.add_argument(
        "--data-dir", type=Path, help="where files and batches are kept (survives restarts)"
    )
    parser.add_argument(
        "--speed", type=_positive_float, default=5.0, help="requests finished per second"
    )
    parser.add_argument(
        "--phase-seconds",
        type=_non_negative_float,
        default=1.0,
        help="minimum seconds in each status",
    )
    parser.add_argument(
        "--expire-after",
        type=_positive_float,
        default=DEFAULT_EXPIRE_AFTER,
        help="seconds after which an unfinished batch expires (default 24 h)",
    )
    parser.add_argument(
        "--api-key", help="accept only this Bearer key (default: accept any request)"
    )
    parser.add_argument("--models", help="comma-separated models to accept (default: any)")
    parser.add_argument(
        "--faults",
        type=_fault_spec,
        default="",
        help="comma-separated [ROUTE:]KIND=RATE, e.g. create:500=0.5,content:truncated=1",
    )
    parser.add_argument("--seed", type=int, help="seed for the fault dice (repeatable runs)")
    parser.add_argument(
        "--slow-seconds",
        type=_non_negative_float,
        default=3.0,
        help="delay of the 'slow' fault",
    )
    parser.add_argument(
        "--no-range", action="store_true", help="ignore Range headers (always send whole files)"
    )
    parser.add_argument(
        "--flavor", choices=sorted(FLAVOR_MODULES), default="openai", help="wire format"
    )
    parser.add_argument(
        "--litellm-convert-output",
        action="store_true",
        help="litellm-vertex: serve Vertex results as OpenAI rows (newer LiteLLM proxies)",
    )
    parser.add_argument(
        "--litellm-raw-content",
        action="store_true",
        help="litellm-vertex: serve raw gs:// file content (proxies before 1.108)",
    )
    parser.add_argument(
        "--litellm-completion-window",
        choices=("24h", "24hrs"),
        default="24h",
        help="litellm-vertex: the completion_window batches report (24hrs before 1.108)",
    )
    parser.add_argument(
        "--json-string-bodies",
        action="store_true",
        help="write result bodies as JSON-encoded strings (some OpenAI-compatible servers do)",
    )
    google = parser.add_argument_group(
        "Google APIs",
        "Gemini (/v1beta, key in x-goog-api-key; --api-key applies), Vertex AI "
        "(/v1/projects/...), Cloud Storage (/storage/v1) and an OAuth2 token endpoint (/token) "
        "answer on the same port. The key file of a service account /token accepts is written "
        "to <data dir>/google/auth/service-account.json at start.",
    )
    google.add_argument(
        "--gcp-project", default="batchtui-sim", help="project id Vertex paths may name"
    )
    google.add_argument(
        "--gcs-buckets",
        default=",".join(sorted(DEFAULT_GCS_BUCKETS)),
        help="comma-separated Cloud Storage buckets that exist (others are 404)",
    )
    google.add_argument(
        "--token-lifetime",
        type=_positive_int,
        default=3600,
        help="seconds an access token from /token is valid (short: exercise refresh)",
    )
    google.add_argument(
        "--gcp-service-account",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="also accept JWTs signed by this service-account key file (repeatable)",
    )
    google.add_argument(
        "--vertex-file-rows",
        type=_positive_int,
        default=400,
        help="rows per Vertex predictions file; more rows split the output over several files",
    )
    parser.add_argument("--quiet", action="store_true", help="no request log on stderr")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        options = SimulatorOptions(
            host=args.host,
            port=args.port,
            data_dir=args.data_dir,
            speed=args.speed,
            phase_seconds=args.phase_seconds,
            expire_after=args.expire_after,
            api_key=args.api_key,
            models=parse_models(args.models) if args.models else None,
            faults=args.faults,
            seed=args.seed,
            slow_seconds=args.slow_seconds,
            quiet=args.quiet,
            no_range=args.no_range,
            flavor=args.flavor,
            litellm_convert_output=args.litellm_convert_output,
            json_string_bodies=args.json_string_bodies,
            litellm_raw_content=args.litellm_raw_content,
            litellm_completion_window=args.litellm_completion_window,
            gcp_project=args.gcp_project,
            gcs_buckets=parse_names(args.gcs_buckets),
            token_lifetime=args.token_lifetime,
            gcp_service_accounts=tuple(args.gcp_service_account),
            vertex_file_rows=args.vertex_file_rows,
        )
    except ValueError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2

    from batchtui.simulator.google.credentials import CredentialsFileError
    from batchtui.simulator.server import SimulatorServer

    try:
        server = SimulatorServer(options)
    except CredentialsFileError as error:
        print(f"{PROG}: --gcp-service-account {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(
            f"{PROG}: cannot listen on {options.host}:{options.port}: {error.strerror or error}",
            file=sys.stderr,
        )
        return 1

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
    server.google_credentials_file()  # before the URL: a client may read it at once (--help)
    print(server.base_url, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
