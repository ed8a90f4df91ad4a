"""The whole life of a job through the installed `batchtui` command, against the simulator."""

from __future__ import annotations

from pathlib import Path

from batchtui.core.registry import Registry

from .conftest import CLI, cli_env


def test_validate_submit_watch_results_download(
    cli: CLI, sim_profile, simulator, input_file: Path, tmp_path: Path
) -> None:
    profile = sim_profile(simulator.url)

    validated = cli("validate", str(input_file), "--json")
    assert validated.code == 0, validated.stderr
    assert validated.json()["ok"] is True and validated.json()["lines"] == 3

    submitted = cli("submit", str(input_file), "--profile", profile, "--name", "sums", "--json")
    assert submitted.code == 0, submitted.stderr
    job = submitted.json()
    assert job["id"].startswith("bt-") and job["remote_id"].startswith("batch_")
    assert (job["name"], job["profile"], job["kind"]) == ("sums", profile, "openai")

    watched = cli("watch", job["id"], "--interval", "0.1")
    assert watched.code == 0, watched.stderr
    assert "completed" in watched.stdout and job["id"] in watched.stdout

    results = cli("results", job["id"], "--json")
    assert results.code == 0, results.stderr
    records = {record["custom_id"]: record for record in results.json_lines()}
    assert set(records) == {"req-0", "req-1", "req-2"}
    assert records["req-0"]["ok"] is True and "What is 2+2?" in records["req-0"]["text"]
    assert records["req-2"]["ok"] is False and records["req-2"]["error"]["status_code"] == 400

    errors_only = cli("results", job["id"], "--errors", "--json")
    assert [record["custom_id"] for record in errors_only.json_lines()] == ["req-2"]
    assert len(cli("results", job["id"], "--head", "1", "--json").json_lines()) == 1

    downloaded = cli("download", job["id"], "-o", str(tmp_path / "results"))
    assert downloaded.code == 0, downloaded.stderr
    output = tmp_path / "results" / "output.jsonl"
    assert output.is_file() and (tmp_path / "results" / "errors.jsonl").is_file()
    assert len(cli("results", str(output), "--json").json_lines()) == 2

    [listed] = cli("jobs", "--json").json()
    assert listed["id"] == job["id"] and listed["status"] == "completed"
    assert listed["request_counts"] == {"total": 3, "completed": 2, "failed": 1}
    assert listed["created_at"].endswith("Z")

    status = cli("status", job["remote_id"], "--json").json()
    assert status["id"] == job["id"] and status["errors"] == []
    assert status["output_path"] == str(output.resolve())
    history = [change["status"] for change in status["history"]]
    assert history[0] == "submitting" and history[-1] == "completed"


def test_default_download_dir_and_human_output(
    cli: CLI, sim_profile, simulator, input_file: Path, tmp_path: Path
) -> None:
    sim_profile(simulator.url)
    job_id = cli("submit", str(input_file), "--json").json()["id"]  # the only profile
    assert cli("watch", "--interval", "0.1").code == 0  # every unfinished job

    assert cli("download", job_id).code == 0
    assert (tmp_path / f"batchtui-{job_id}" / "output.jsonl").is_file()

    human = cli("--glyphs", "always", "results", job_id)
    assert "✔ req-0: Simulated answer to: What is 2+2?" in human.stdout
    assert "✖ req-2: HTTP 400 [simulated_error]" in human.stdout
    piped = cli("results", job_id)  # stdout is a pipe here: words, not glyphs
    assert "ok req-0: Simulated answer to: What is 2+2?" in piped.stdout
    assert "error req-2: HTTP 400 [simulated_error]" in piped.stdout
    assert piped.stdout.isascii()

    table = cli("--glyphs", "always", "jobs").stdout.splitlines()
    assert table[0].split() == ["ID", "STATUS", "DONE", "NAME", "PROFILE", "CREATED"]
    assert "✔ completed" in table[1] and "3/3 (1 failed)" in table[1]
    ascii_table = cli("jobs", env=cli_env(LC_ALL="C", BATCHTUI_GLYPHS="always")).stdout
    assert ascii_table.isascii() and "+ completed" in ascii_table
    assert all(len(line) <= 80 for line in table)
    piped_table = cli("jobs").stdout.splitlines()
    assert piped_table[1].split()[1] == "completed"  # `awk '{print $2}'` gets the status
    never = cli("--glyphs", "never", "jobs", env=cli_env(BATCHTUI_GLYPHS="always")).stdout
    assert never.splitlines()[1].split()[:2] == piped_table[1].split()[:2]  # the flag wins
    assert never.isascii()


def test_model_text_is_printed_inert(cli: CLI, sim_profile, simulator, tmp_path: Path) -> None:
    from .conftest import request_line

    hostile = tmp_path / "hostile.jsonl"
    hostile.write_text(request_line("evil", "\x1b]52;c;cHduZWQ=\x07 \x1b[2J \x9b31m hi") + "\n")
    sim_profile(simulator.url)
    job_id = cli("submit", str(hostile), "--json").json()["id"]
    assert cli("watch", job_id, "--interval", "0.1").code == 0

    for args in ((), ("--json",)):
        shown = cli("results", job_id, *args).stdout
        assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
        assert "52;c;cHduZWQ=" in shown  # visible, escaped, not executed


def test_failed_job_makes_watch_and_results_exit_1(
    cli: CLI, sim_profile, start_simulator, input_file: Path
) -> None:
    simulator = start_simulator(models="some-other-model")
    sim_profile(simulator.url)
    job_id = cli("submit", str(input_file), "--json").json()["id"]

    watched = cli("watch", job_id, "--interval", "0.1")
    assert watched.code == 1 and "failed" in watched.stdout

    results = cli("results", job_id)
    assert results.code == 1
    assert "line 1" in results.one_error_line()
    assert cli("download", job_id).code == 1
    status = cli("status", job_id, "--json").json()
    assert status["status"] == "failed" and status["errors"][0]["line"] == 1


def test_cancel(cli: CLI, sim_profile, start_simulator, input_file: Path) -> None:
    simulator = start_simulator(phase_seconds=30)
    sim_profile(simulator.url)
    job_id = cli("submit", str(input_file), "--json").json()["id"]

    cancelled = cli("cancel", job_id)
    assert cancelled.code == 0, cancelled.stderr
    assert "cancel" in cancelled.stdout
    assert cli("status", job_id, "--json").json()["status"] in ("cancelling", "cancelled")
    with Registry.open_default() as registry:
        assert registry.get_job(job_id).status.value in ("cancelling", "cancelled")
