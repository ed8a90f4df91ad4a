"""`batchtui sync`: batches made outside this registry become jobs, once."""

from __future__ import annotations

from pathlib import Path

import httpx

from .conftest import API_KEY, CLI, cli_env, request_line


def create_batch_by_hand(base_url: str, path: Path, metadata: dict[str, str]) -> str:
    """What a user's curl script does: upload, then create; returns the batch id."""
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(base_url=base_url, headers=headers) as client:
        uploaded = client.post(
            "/files", files={"file": (path.name, path.read_bytes())}, data={"purpose": "batch"}
        )
        uploaded.raise_for_status()
        created = client.post(
            "/batches",
            json={
                "input_file_id": uploaded.json()["id"],
                "endpoint": "/v1/chat/completions",
                "completion_window": "24h",
                "metadata": metadata,
            },
        )
        created.raise_for_status()
        return created.json()["id"]


def test_sync_adopts_batches_from_curl_and_from_another_registry(
    cli: CLI, sim_profile, start_simulator, tmp_path: Path
) -> None:
    sim = start_simulator(api_key=API_KEY)
    profile = sim_profile(sim.url)
    source = tmp_path / "in.jsonl"
    source.write_text(request_line("a", "hello") + "\n" + request_line("b", "world") + "\n")

    by_curl = create_batch_by_hand(sim.url, source, {"description": "nightly eval"})
    # A colleague's batchtui, with its own registry, on the same account.
    other_env = cli_env(BATCHTUI_DATA_DIR=str(tmp_path / "other-registry"))
    theirs = cli("submit", str(source), "--profile", profile, "--name", "theirs", "--json",
                 env=other_env).json()  # fmt: skip
    ours = cli("submit", str(source), "--profile", profile, "--name", "ours", "--json").json()

    first = cli("sync", "--profile", profile, "--json")
    assert first.code == 0, first.stderr
    report = first.json()
    assert report["already_tracked"] == 1  # ours
    adopted = {job["remote_id"]: job for job in report["adopted"]}
    assert set(adopted) == {by_curl, theirs["remote_id"]}
    assert adopted[by_curl]["name"] == "nightly eval"
    assert adopted[by_curl]["metadata"]["batchtui_origin"] == "another tool"
    assert adopted[theirs["remote_id"]]["metadata"]["batchtui_origin"] == (
        "another batchtui registry"
    )
    assert adopted[by_curl]["request_counts"]["total"] in (0, 2)

    jobs = {job["remote_id"]: job for job in cli("jobs", "--json").json()}
    assert set(jobs) == {by_curl, theirs["remote_id"], ours["remote_id"]}
    watched = cli("watch", jobs[by_curl]["id"], "--interval", "0.1")
    assert watched.code == 0, watched.stderr
    records = cli("results", jobs[by_curl]["id"], "--json").json_lines()
    assert {record["custom_id"] for record in records} == {"a", "b"}

    again = cli("sync", "--profile", profile, "--json").json()
    assert again["adopted"] == [] and again["already_tracked"] == 3
    history = cli("status", jobs[by_curl]["id"], "--json").json()["history"]
    assert "adopted by sync: created by another tool" in history[0]["note"]


def test_sync_recovers_a_submitting_job_whose_batch_exists(
    cli: CLI, sim_profile, start_simulator, tmp_path: Path
) -> None:
    """A job killed after its create was sent but before its answer was recorded."""
    from batchtui.core.models import Job
    from batchtui.core.providers.base import TAG_METADATA_KEY
    from batchtui.core.registry import Registry

    sim = start_simulator(api_key=API_KEY)
    profile = sim_profile(sim.url)
    source = tmp_path / "in.jsonl"
    source.write_text(request_line("a", "hello") + "\n")
    with Registry.open_default() as registry:
        job = registry.add_job(
            Job(id=registry.new_job_id(), name="killed", profile=profile, kind="openai",
                tag="7d1c1f3e-0000-4000-8000-000000000001")
        )  # fmt: skip
    remote_id = create_batch_by_hand(sim.url, source, {TAG_METADATA_KEY: job.tag})

    report = cli("sync", "--profile", profile, "--json").json()
    assert report["adopted"] == []
    [recovered] = report["recovered"]
    assert (recovered["id"], recovered["remote_id"]) == (job.id, remote_id)
    assert recovered["status"] != "submitting"
