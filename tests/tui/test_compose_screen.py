"""The compose screen: snapshots, the live preview, write, submit (to the simulator), keys."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from textual.widgets import DirectoryTree, Input, Select, Static

from batchtui.core.config import Config, Profile, Settings
from batchtui.core.registry import Registry
from batchtui.core.service import JobService
from batchtui.core.status import JobStatus
from batchtui.tui.screens.compose import ComposeScreen
from batchtui.tui.screens.confirm import ConfirmScreen
from batchtui.tui.widgets.file_picker import FilePicker
from helpers.viewer import ANSI_THEME, DEFAULT_THEME, ViewerApp, wait_for

DATASET = "id,question\nq1,What is 2+2?\nq2,Name a prime.\nq3,Why is the sky blue?\n"


@pytest.fixture
def dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "questions.csv").write_text(DATASET)
    return Path("questions.csv")


def config(url: str = "http://127.0.0.1:9/v1") -> Config:
    profile = Profile(
        name="sim", kind="openai", base_url=url, api_key="sk-test-compose", model="gpt-4o-mini"
    )
    return Config(
        path=Path(os.environ["BATCHTUI_CONFIG"]),
        exists=True,
        profiles={"sim": profile},
        settings=Settings(default_profile="sim"),
    )


def make_app(dataset: Path | None, theme: str = DEFAULT_THEME, **services) -> ViewerApp:
    services.setdefault("config", config())
    return ViewerApp(lambda: ComposeScreen(dataset), theme=theme, **services)


def preview(screen: ComposeScreen) -> str:
    return str(screen.query_one("#compose-preview", Static).render())


async def fill(pilot, **values: str) -> None:
    for widget_id, value in values.items():
        pilot.app.screen.query_one(f"#compose-{widget_id}", Input).value = value
    await pilot.pause()


@pytest.mark.parametrize("theme", [DEFAULT_THEME, ANSI_THEME])
def test_snapshot_preview(snap_compare, dataset, theme: str):
    async def run_before(pilot) -> None:
        await fill(pilot, template="Answer briefly: {question}", system="Be exact.")
        await wait_for(pilot, lambda: "requests are valid" in preview(pilot.app.screen))

    assert snap_compare(make_app(dataset, theme), terminal_size=(80, 24), run_before=run_before)


async def test_preview_follows_the_form_and_names_missing_columns(dataset):
    async with make_app(dataset).run_test(size=(80, 24)) as pilot:
        screen = pilot.app.screen
        assert screen.query_one("#compose-model", Input).value == "gpt-4o-mini"
        assert screen.query_one("#compose-output", Input).value == "questions.requests.jsonl"
        await wait_for(pilot, lambda: "user template: required" in preview(screen))
        await fill(pilot, template="Q: {questoin}")
        await wait_for(pilot, lambda: "placeholder {questoin} names no column" in preview(screen))
        assert "columns: id, question" in preview(screen)
        await fill(pilot, template="Q: {question}", **{"max-tokens": "0"})
        await wait_for(pilot, lambda: "max tokens: must be at least 1" in preview(screen))
        await fill(pilot, **{"max-tokens": "20"})
        await wait_for(pilot, lambda: "first 3 requests are valid" in preview(screen))
        first = json.loads(preview(screen).splitlines()[1])
        assert first["custom_id"] == "row-1"
        assert first["body"]["max_completion_tokens"] == 20
        # custom_id from a column: the columns became choices.
        screen.query_one("#compose-id", Select).value = "id"
        await wait_for(pilot, lambda: '"custom_id":"q1"' in preview(screen))


async def test_write_key_writes_the_file(dataset, tmp_path: Path):
    async with make_app(dataset).run_test(size=(80, 24)) as pilot:
        await fill(pilot, template="{question}")
        await pilot.press("ctrl+s")
        written = tmp_path / "questions.requests.jsonl"
        await wait_for(pilot, lambda: written.exists())
        lines = written.read_text().splitlines()
        assert [json.loads(line)["body"]["messages"][0]["content"] for line in lines] == [
            "What is 2+2?",
            "Name a prime.",
            "Why is the sky blue?",
        ]
        await wait_for(
            pilot,
            lambda: any("Wrote 3 requests" in str(n.message) for n in pilot.app._notifications),
        )


async def test_write_refuses_an_incomplete_form(dataset, tmp_path: Path):
    async with make_app(dataset).run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert any("user template: required" in str(n.message) for n in pilot.app._notifications)
        assert not (tmp_path / "questions.requests.jsonl").exists()


async def test_submit_key_submits_to_the_profile_and_leaves(dataset, simulator):
    with Registry.open_default() as registry:
        sim_config = config(simulator.url)
        async with JobService(sim_config, registry) as service:
            app = make_app(dataset, config=sim_config, service=service, registry=registry)
            async with app.run_test(size=(80, 24)) as pilot:
                screen = pilot.app.screen
                await fill(pilot, template="{question}")
                await pilot.press("ctrl+t")
                # Written, then the estimate is shown and asked for once.
                await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), 15)
                assert "3 requests" in pilot.app.screen.detail
                await pilot.press("y")
                await wait_for(pilot, lambda: pilot.app.screen is not screen, timeout=15)
            (job,) = registry.list_jobs()
            assert job.profile == "sim" and job.input_lines == 3
            assert job.status not in (JobStatus.SUBMITTING, JobStatus.NOT_SUBMITTED)


async def test_an_existing_output_is_overwritten_only_on_yes(dataset, tmp_path: Path):
    written = tmp_path / "questions.requests.jsonl"
    written.write_text("keep me\n")
    async with make_app(dataset).run_test(size=(80, 24)) as pilot:
        await fill(pilot, template="{question}")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        assert pilot.app.screen.question == "Overwrite questions.requests.jsonl?"
        await pilot.press("n")
        await pilot.pause(0.3)
        assert written.read_text() == "keep me\n"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: written.read_text().count("\n") == 3)


async def test_submit_without_profile_says_so(dataset):
    empty = Config(path=Path(os.environ["BATCHTUI_CONFIG"]))
    async with make_app(dataset, config=empty).run_test(size=(80, 24)) as pilot:
        await fill(pilot, template="{question}", model="m")
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert any("profile: choose" in str(n.message) for n in pilot.app._notifications)


async def test_dataset_picker_and_escape(dataset, tmp_path: Path):
    app = make_app(None)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = pilot.app.screen
        await wait_for(pilot, lambda: "Choose a dataset" in preview(screen))
        await pilot.press("ctrl+o")
        picker = pilot.app.screen
        assert isinstance(picker, FilePicker)
        tree = picker.query_one(DirectoryTree)
        await wait_for(pilot, lambda: tree.root.children)
        tree.move_cursor(next(n for n in tree.root.children if n.label.plain == dataset.name))
        tree.focus()  # the picker starts in its path field
        await pilot.press("enter")
        await wait_for(pilot, lambda: pilot.app.screen is screen)
        assert screen.query_one("#compose-dataset", Input).value == str(tmp_path / dataset.name)
        assert screen.query_one("#compose-template", Input).has_focus
        await wait_for(
            pilot,
            lambda: (
                "columns: id, question"
                in str(screen.query_one("#compose-columns", Static).render())
            ),
        )
        await pilot.press("escape")
        assert pilot.app.screen is not screen


async def test_typing_a_dataset_path_key_by_key_keeps_the_screen_alive(dataset: Path):
    """Every prefix of a path is a path too: `/` and `/tmp/` have no file name yet."""
    app = make_app(None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for key in str(dataset):
            await pilot.press(key)
            await pilot.pause()  # each prefix reaches the form, "/" included
        await pilot.pause(0.5)
        screen = app.screen
        assert isinstance(screen, ComposeScreen)
        output = screen.query_one("#compose-output", Input).value
        assert output == str(dataset.with_name(f"{dataset.stem}.requests.jsonl"))


@pytest.mark.parametrize(
    ("typed", "output"),
    [
        ("/", "/requests.jsonl"),
        ("a/reviews.csv", "a/reviews.requests.jsonl"),
    ],
)
def test_default_output_of_every_path_prefix(typed: str, output: str) -> None:
    from batchtui.core.compose import default_output

    assert default_output(Path(typed)) == Path(output)
