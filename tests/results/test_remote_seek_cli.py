"""`results JOB --tail/--last/--from` on an output not downloaded: only the window crosses the
network (bytes counted by a loopback relay in front of the simulator), numbers said "≈"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import embedding_line
from .relay import Relay
from .test_cli import add_profile, run, submit_and_wait

__all__ = ["run"]  # the fixture

MB = 1 << 20
RECORDS = 150


def port_of(url: str) -> int:
    return int(url.split(":")[2].split("/")[0])


@pytest.fixture
def big_job(run, tmp_path: Path):
    """Make a job of ~9 MB of output through a counting relay; yields (job, relay, make)."""

    def make(simulator) -> tuple[dict, Relay]:
        relay = Relay(port_of(simulator.url))
        relays.append(relay)
        add_profile(run, relay.url)
        path = tmp_path / "emb.jsonl"
        path.write_text("".join(embedding_line(f"e-{n:03d}", 3000) + "\n" for n in range(RECORDS)))
        job = submit_and_wait(run, path)
        assert job["status"] == "completed"
        return job, relay

    relays: list[Relay] = []
    yield make
    for relay in relays:
        relay.close()


def ids(stdout: str) -> list[str]:
    return [json.loads(line)["custom_id"] for line in stdout.splitlines()]


def test_tail_and_from_read_only_their_window(simulator, run, big_job) -> None:
    job, relay = big_job(simulator)
    status = json.loads(run("status", job["id"], "--json").stdout)
    assert status["output_path"] is None  # not downloaded

    before = relay.to_client
    tail = run("results", job["id"], "--tail", "3", "--json")
    assert ids(tail.stdout) == ["e-147", "e-148", "e-149"]
    assert relay.to_client - before <= MB
    assert "the last 3 records" in tail.stderr and len(tail.stderr.splitlines()) == 1

    last = run("results", job["id"], "--last", "--json")
    assert ids(last.stdout) == [f"e-{n:03d}" for n in range(RECORDS - 20, RECORDS)]

    before = relay.to_client
    deep = run("results", job["id"], "--from", "100", "--head", "2", "--json")
    got = ids(deep.stdout)
    assert len(got) == 2 and int(got[1][2:]) == int(got[0][2:]) + 1
    assert abs(int(got[0][2:]) - 100) <= 5  # placed by byte offset: close, not exact
    assert "≈" in deep.stderr and "approximate" in deep.stderr
    assert relay.to_client - before <= 2 * MB

    # To the end from a deep record: one streamed request, not everything before it.
    before = relay.to_client
    rest = run("results", job["id"], "--from", "140", "--json")
    got = ids(rest.stdout)
    assert got[-1] == "e-149" and len(got) < 20
    assert relay.to_client - before < 30 * 64 * 1024 * 2


def test_a_gateway_without_range_streams_and_says_so(start_simulator, run, big_job) -> None:
    job, _relay = big_job(start_simulator(no_range=True))
    tail = run("results", job["id"], "--tail", "2", "--json")
    assert ids(tail.stdout) == ["e-148", "e-149"]
    assert "whole file" in tail.stderr and "streaming from the start" in tail.stderr
    deep = run("results", job["id"], "--from", "147", "--json")
    assert ids(deep.stdout) == ["e-147", "e-148", "e-149"]  # exact: everything was read
    assert "streaming from the start" in deep.stderr


def test_tail_of_a_local_results_file(run, tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    rows = [
        {"id": f"b{n}", "custom_id": f"r-{n}", "response": {"status_code": 200, "body": {}}}
        for n in range(50)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows) + "\n")
    done = run("results", str(path), "--tail", "2", "--json")
    assert ids(done.stdout) == ["r-48", "r-49"]
    refused = run("results", str(path), "--tail", "2", "--from", "3", check=False)
    assert refused.returncode != 0 and "--tail" in refused.stderr


def test_tail_of_a_local_file_names_the_line_of_a_bad_record(run, tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    good = {"id": "b0", "custom_id": "r-0", "response": {"status_code": 200, "body": {}}}
    path.write_text(json.dumps(good) + "\nnot json\n" + json.dumps(good) + "\n")
    done = run("results", str(path), "--tail", "2", check=False)
    assert f"{path}:2: result line is not valid JSON" in done.stdout
