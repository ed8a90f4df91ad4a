"""RPM and TPM limits, counted where it matters: at the server, over a 20-second run."""

from __future__ import annotations

import bisect
import concurrent.futures
from collections.abc import Callable
from pathlib import Path

import pytest

from batchtui.core.estimate import estimate_request
from helpers.cli import CLI

from .conftest import chat_line, folder_of, submit

RUN_SECONDS = 20.0
LINES = 400  # more than 20 s can send at 10 a second


def _write(path: Path) -> Path:
    path.write_text(
        "".join(chat_line(f"r{n}", f"tell me about item {n}") + "\n" for n in range(LINES))
    )
    return path


def _cost(body: dict) -> int:
    estimate = estimate_request(body, "/v1/chat/completions")
    return estimate.input_tokens + estimate.max_output_tokens


def _window_sums(times: list[float], weights: list[int], start: float) -> list[int]:
    """The weight arriving in [t, t + 1 s) for each arrival t from `start` on."""
    sums = []
    for index, moment in enumerate(times):
        if moment < start:
            continue
        end = bisect.bisect_left(times, moment + 1.0)
        sums.append(sum(weights[index:end]))
    return sums


def _run_for_20_seconds(cli: CLI, sim, job: dict) -> list:
    """The arrivals of the job's first 20 s at the server; the job is cancelled after."""
    import time

    while not sim.server.realtime.arrival_times():
        time.sleep(0.05)
    first = sim.server.realtime.arrival_times()[0]
    time.sleep(max(0.0, first + RUN_SECONDS + 0.5 - time.monotonic()))
    cancelled = cli("cancel", job["id"])
    assert cancelled.code == 0, cancelled.stderr
    return [a for a in sim.server.realtime.snapshot() if a.at < first + RUN_SECONDS]


@pytest.mark.slow
def test_rpm_and_tpm_hold_at_the_server_over_20_seconds(
    cli: CLI, direct_profile: Callable[..., str], start_simulator, tmp_path: Path
):
    by_requests = start_simulator()
    by_tokens = start_simulator()
    per_request = _cost(
        {
            "model": "m",
            "messages": [{"role": "user", "content": "tell me about item 100"}],
            "max_tokens": 8,
        }
    )
    tpm = 600 * per_request  # about 10 requests a second, by tokens
    direct_profile(by_requests.url, "--concurrency", "16", "--rpm", "600", name="rpm")
    direct_profile(by_tokens.url, "--concurrency", "16", "--tpm", str(tpm), name="tpm")
    path = _write(tmp_path / "in.jsonl")
    rpm_job = submit(cli, path, "rpm")
    tpm_job = submit(cli, path, "tpm")

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        rpm_run = pool.submit(_run_for_20_seconds, cli, by_requests, rpm_job)
        tpm_run = pool.submit(_run_for_20_seconds, cli, by_tokens, tpm_job)
        rpm_arrivals, tpm_arrivals = rpm_run.result(), tpm_run.result()

    assert 180 <= len(rpm_arrivals) <= 220
    times = [a.at for a in rpm_arrivals]
    assert max(_window_sums(times, [1] * len(times), times[0] + 1.0)) <= 11

    tokens = [_cost(a.body) for a in tpm_arrivals]
    times = [a.at for a in tpm_arrivals]
    expected = tpm * RUN_SECONDS / 60
    assert 0.9 * expected <= sum(tokens) <= 1.1 * expected
    assert max(_window_sums(times, tokens, times[0] + 1.0)) <= tpm / 60 * 1.1 + max(tokens)
    for job in (rpm_job, tpm_job):
        assert folder_of(job).read_state()["status"] == "cancelled"
