"""A broken config.toml never hides the registry, and a broken registry never hides the config."""

from __future__ import annotations

import os
from pathlib import Path

from batchtui.core.registry import Registry
from batchtui.tui.widgets.header import AppHeader
from batchtui.tui.widgets.job_table import JobTable
from helpers.shell import RecordingApp, sample_jobs, settle
from helpers.viewer import wait_for

GOOD_CONFIG = """
[profiles.lab]
kind = "openai"
base_url = "http://127.0.0.1:9/v1"
api_key_env = "BATCHTUI_TEST_KEY"
"""


def config_file() -> Path:
    path = Path(os.environ["BATCHTUI_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_config(text: str) -> None:
    path = config_file()
    path.write_text(text)
    path.chmod(0o600)


def header_text(app: RecordingApp) -> str:
    return str(app.screen.query_one(AppHeader).render())


def registry_with_a_job() -> str:
    job = sample_jobs()[0]
    with Registry.open_default() as registry:
        registry.add_job(job)
    return job.id


async def test_a_syntax_error_shows_the_jobs_and_the_problem_and_r_reloads() -> None:
    job_id = registry_with_a_job()
    write_config("[profiles.lab\nkind = ")
    app = RecordingApp(poll=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert app.screen.query_one(JobTable).job_ids() == [job_id]
        assert "invalid TOML" in header_text(app) and "config.toml" in header_text(app)
        await pilot.press("n")  # compose: its profile list waits for a readable config
        await pilot.press("escape")
        write_config(GOOD_CONFIG)
        await pilot.press("r")
        await wait_for(pilot, lambda: app.config is not None)
        assert app.config is not None and list(app.config.profiles) == ["lab"]
        await settle(pilot)
        assert "invalid TOML" not in header_text(app)
        assert app.service is not None
        assert app.screen.query_one(JobTable).job_ids() == [job_id]


async def test_saving_the_fixed_file_reloads_it_without_a_key() -> None:
    registry_with_a_job()
    write_config('[settings]\ndefault_profile = "lab"\n[profiles.lab]\nkind = \n')
    app = RecordingApp(poll=False, refresh_seconds=0.1)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert "config.toml" in header_text(app)
        write_config(GOOD_CONFIG)
        await wait_for(pilot, lambda: app.config is not None and "lab" in app.config.profiles)
        await settle(pilot)
        assert "config.toml" not in header_text(app)


async def test_an_unwritable_data_dir_says_so_and_keeps_the_config() -> None:
    write_config(GOOD_CONFIG)
    data = Path(os.environ["BATCHTUI_DATA_DIR"])
    data.parent.mkdir(parents=True, exist_ok=True)
    data.write_text("a file where the data folder should be")
    app = RecordingApp(poll=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert "registry" in header_text(app) and str(data) in header_text(app)
        assert app.config is not None and list(app.config.profiles) == ["lab"]
        assert "loading" not in header_text(app)
        await pilot.press("d")  # an action that needs the service says why there is none
        await pilot.press("r")
        await settle(pilot)
        assert app.is_running
