"""watch --notify/--exec/--timeout/--until-first/--quiet and refresh, through the real CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

from helpers.cli import CLI


def _submit(cli: CLI, input_file: Path, name: str = "job") -> str:
    done = cli("submit", str(input_file), "--profile", "sim", "--name", name, "--json")
    assert done.code == 0, done.stderr
    return done.json()["id"]


def test_watch_exec_writes_each_ended_jobs_json(
    cli: CLI, profile: str, input_file: Path, tmp_path: Path
) -> None:
    first, second = _submit(cli, input_file, "a"), _submit(cli, input_file, "b")
    command = 'cat > "done-$BATCHTUI_JOB_ID.json"; echo "$BATCHTUI_STATUS" >> statuses'
    watched = cli("watch", "--notify", "--exec", command, "--interval", "0.1")
    assert watched.code == 0, watched.stderr
    for job_id in (first, second):
        record = json.loads((tmp_path / f"done-{job_id}.json").read_text())
        assert record["id"] == job_id and record["status"] == "completed"
        assert record["request_counts"]["total"] == 3
    assert (tmp_path / "statuses").read_text().split() == ["completed", "completed"]


def test_watch_timeout_exits_3_while_jobs_run(
    cli: CLI, start_simulator, input_file: Path, tmp_path: Path
) -> None:
    from helpers.cli import add_profile

    slow = start_simulator(phase_seconds=60)
    add_profile(cli, slow.url, "sim", "openai")
    job_id = _submit(cli, input_file)
    watched = cli("watch", job_id, "--timeout", "1s", "--interval", "0.2", "--json")
    assert watched.code == 3, watched.stderr
    assert watched.json()[0]["status"] != "completed"


def test_watch_until_first_stops_at_the_first_end(
    cli: CLI, start_simulator, input_file: Path
) -> None:
    from helpers.cli import add_profile

    fast = start_simulator()
    slow = start_simulator(phase_seconds=60)
    add_profile(cli, fast.url, "sim", "openai")
    add_profile(cli, slow.url, "slow", "openai")
    quick = _submit(cli, input_file)
    lagging = cli("submit", str(input_file), "--profile", "slow", "--json").json()["id"]
    watched = cli("watch", quick, lagging, "--until-first", "--interval", "0.1", "--json")
    assert watched.code == 3, watched.stderr
    statuses = {job["id"]: job["status"] for job in watched.json()}
    assert statuses[quick] == "completed" and statuses[lagging] != "completed"


def test_quiet_prints_nothing_but_errors(cli: CLI, profile: str, input_file: Path) -> None:
    job_id = _submit(cli, input_file)
    watched = cli("watch", job_id, "--quiet", "--interval", "0.1")
    assert watched.code == 0
    assert watched.stdout == "" and watched.stderr == ""


def test_refresh_polls_once_and_announces_the_end(
    cli: CLI, profile: str, input_file: Path, tmp_path: Path
) -> None:
    job_id = _submit(cli, input_file)
    seen = []
    for _ in range(200):
        done = cli("refresh", "--all", "--quiet", "--exec", "cat >> ended.jsonl")
        seen.append(done.code)
        if done.code != 3:
            break
    assert seen[-1] == 0 and set(seen[:-1]) <= {3}
    lines = (tmp_path / "ended.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [job_id]  # once, not per refresh
    again = cli("refresh", job_id, "--exec", "cat >> ended.jsonl", "--json")
    assert again.code == 0 and again.json()[0]["status"] == "completed"
    assert len((tmp_path / "ended.jsonl").read_text().splitlines()) == 1


def test_refresh_needs_jobs_or_all(cli: CLI) -> None:
    done = cli("refresh")
    assert done.code == 2 and "--all" in done.one_error_line()


def test_config_exec_refused_when_others_can_write_it(
    cli: CLI, profile: str, input_file: Path, tmp_path: Path
) -> None:
    config = Path(os.environ["BATCHTUI_CONFIG"])
    config.write_text(config.read_text() + '\n[notify]\nexec = "touch ran"\n')
    config.chmod(0o666)
    job_id = _submit(cli, input_file)
    watched = cli("watch", job_id, "--notify", "--interval", "0.1")
    assert watched.code == 0
    assert f"chmod go-w {config}" in watched.stderr
    assert not (tmp_path / "ran").exists()
    config.chmod(0o600)
    job_two = _submit(cli, input_file)
    assert cli("watch", job_two, "--notify", "--interval", "0.1").code == 0
    assert (tmp_path / "ran").exists()
