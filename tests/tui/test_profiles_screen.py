"""The profiles screen's keys (add, edit, test, remove, default, escape) and the profile form."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Select, Static

from batchtui.core.config import load_config
from batchtui.tui.screens.confirm import ConfirmScreen
from batchtui.tui.screens.jobs import JobsScreen
from batchtui.tui.screens.profile_form import ProfileFormScreen
from batchtui.tui.screens.profiles import ProfilesScreen
from batchtui.tui.widgets.status_line import StatusLine
from helpers.shell import FrozenClock, RecordingApp, make_app, make_registry, settle
from helpers.viewer import wait_for

CONFIG = """\
# my batchtui settings
[settings]
registry_refresh_seconds = 2.0  # keep

[profiles.lab]
# the lab's gateway, do not lose this comment
kind = "openai"
base_url = "http://127.0.0.1:9/v1"
api_key_env = "LAB_KEY"
max_attempts = 3

[profiles.hpc]
kind = "slurm"
work_dir = "/scratch/me/bt"
model = "/models/m"
"""


def config_app(tmp_path: Path, text: str = CONFIG) -> RecordingApp:
    path = tmp_path / "config.toml"
    path.write_text(text)
    path.chmod(0o600)
    return RecordingApp(
        config=load_config(path),
        registry=make_registry(tmp_path / "registry.sqlite3", []),
        now=FrozenClock(),
        theme="textual-dark",
        ascii_only=False,
        poll=False,
    )


def rows(app: RecordingApp) -> list[list[str]]:
    table = app.screen.query_one(DataTable)
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]


def status(app: RecordingApp) -> str:
    return app.screen.query_one(StatusLine).message


def form_status(app: RecordingApp) -> str:
    return str(app.screen.query_one("#form-status", Static).render())


async def open_profiles(pilot: object) -> None:
    await settle(pilot)
    await pilot.press("P")  # type: ignore[attr-defined]
    await settle(pilot)
    assert isinstance(pilot.app.screen, ProfilesScreen)  # type: ignore[attr-defined]


async def test_the_job_list_and_the_palette_open_the_profiles_screen(tmp_path: Path) -> None:
    app = config_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_profiles(pilot)
        assert [row[1:3] for row in rows(app)] == [["lab", "openai"], ["hpc", "slurm"]]
        await pilot.press("escape")
        assert isinstance(app.screen, JobsScreen)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Profiles" in titles


async def test_add_saves_a_valid_profile_and_refuses_a_broken_one(tmp_path: Path) -> None:
    app = config_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_profiles(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ProfileFormScreen)
        app.screen.query_one("#name", Input).value = "my lab/ä"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert form_status(app).startswith("name: 'my lab/ä' is not a valid name")
        app.screen.query_one("#name", Input).value = "gw"
        app.screen.query_one("#base-url", Input).value = "not a url"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert form_status(app).startswith("base_url: must be an http:// or https:// URL")
        app.screen.query_one("#base-url", Input).value = "https://gw.example/v1"
        app.screen.query_one("#api-key-env", Input).value = "MY KEY"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert form_status(app).startswith("api_key_env: must be an environment variable name")
        app.screen.query_one("#api-key-env", Input).value = "GW_KEY"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ProfilesScreen)
        assert ["gw", "openai", "https://gw.example/v1"] in [row[1:4] for row in rows(app)]
    text = (tmp_path / "config.toml").read_text()
    assert "# the lab's gateway, do not lose this comment" in text
    assert load_config(tmp_path / "config.toml").profile("gw").api_key_env == "GW_KEY"


async def test_edit_keeps_comments_and_settings_the_form_does_not_show(tmp_path: Path) -> None:
    app = config_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_profiles(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, ProfileFormScreen)
        assert app.screen.query_one("#name", Input).disabled  # jobs name their profile
        assert app.screen.query_one("#api-key-env", Input).value == "LAB_KEY"
        app.screen.query_one("#base-url", Input).value = "http://127.0.0.1:8/v1"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ProfilesScreen)
        assert rows(app)[0][3] == "http://127.0.0.1:8/v1"
        await pilot.press("escape")
        assert isinstance(app.screen, JobsScreen)
    text = (tmp_path / "config.toml").read_text()
    assert "# the lab's gateway, do not lose this comment" in text
    assert "registry_refresh_seconds = 2.0  # keep" in text
    saved = load_config(tmp_path / "config.toml").profile("lab")
    assert (saved.base_url, saved.max_attempts) == ("http://127.0.0.1:8/v1", 3)


async def test_the_slurm_form_is_generated_from_its_kind(tmp_path: Path) -> None:
    app = config_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_profiles(pilot)
        await pilot.press("j", "enter")  # enter edits too
        await settle(pilot)
        screen = app.screen
        assert screen.query_one("#work-dir", Input).value == "/scratch/me/bt"
        assert not screen.query("#api-key-env")  # slurm signs in with no key
        screen.query_one("#cpus", Input).value = "eight"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert form_status(app) == "cpus: must be a whole number"
        screen.query_one("#cpus", Input).value = "8"
        screen.query_one("#model", Input).value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert form_status(app) == "model: required for kind slurm"
        screen.query_one("#model", Input).value = "/models/m"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ProfilesScreen)
    assert load_config(tmp_path / "config.toml").profile("hpc").cpus == 8


async def test_the_direct_kind_asks_for_its_server(tmp_path: Path) -> None:
    app = config_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_profiles(pilot)
        await pilot.press("a")
        await settle(pilot)
        app.screen.query_one("#kind", Select).value = "direct"
        await settle(pilot)
        app.screen.query_one("#name", Input).value = "vllm"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert form_status(app).startswith("base_url: required for kind direct")
        assert isinstance(app.screen, ProfileFormScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, ProfilesScreen)


async def test_remove_asks_first_and_default_is_written(tmp_path: Path) -> None:
    app = config_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_profiles(pilot)
        await pilot.press("j", "k", "down", "d")
        await settle(pilot)
        assert load_config(tmp_path / "config.toml").settings.default_profile == "hpc"
        assert rows(app)[1][0] == "★" and rows(app)[0][0] == ""
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert len(rows(app)) == 2
        await pilot.press("x", "y")
        await settle(pilot)
        assert [row[1] for row in rows(app)] == ["lab"]
        assert status(app) == "Removed hpc"
    config = load_config(tmp_path / "config.toml")
    assert list(config.profiles) == ["lab"]
    assert config.settings.default_profile is None  # the default went with its profile
    assert "# the lab's gateway, do not lose this comment" in (tmp_path / "config.toml").read_text()


async def test_t_tests_the_selected_profile(
    tmp_path: Path, simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAB_KEY", "sk-sim")
    app = config_app(tmp_path, CONFIG.replace("http://127.0.0.1:9/v1", simulator.url))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_profiles(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: status(app).startswith(("OK", "Failed")))
        assert status(app).startswith(f"OK: lab reached {simulator.url}")
        monkeypatch.delenv("LAB_KEY")
        await pilot.press("t")
        await wait_for(pilot, lambda: status(app).startswith(("OK", "Failed")))
        assert status(app).startswith("Failed: lab:") and "LAB_KEY" in status(app)


async def test_the_test_result_is_on_screen_at_80x24(tmp_path: Path) -> None:
    """Defect 14: the ctrl+t answer appeared below the buttons, out of view at 80x24."""
    app = make_app(tmp_path, jobs=[], profiles=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.query_one("#name", Input).value = "sim"
        app.screen.query_one("#api-key-env", Input).value = "UNSET_KEY_VARIABLE_14"
        await pilot.press("ctrl+t")
        await settle(pilot)
        result = app.screen.query_one("#form-status", Static)
        assert "UNSET_KEY_VARIABLE_14" in str(result.render())
        assert result.region.height > 0
        assert app.screen.region.contains_region(result.region)
        footer = app.screen.query_one("Footer").region
        assert not result.region.overlaps(footer)


async def test_a_bad_theme_is_named_with_the_valid_ones_on_the_status_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BATCHTUI_THEME", raising=False)
    path = tmp_path / "config.toml"
    path.write_text('[settings]\ntheme = "bogus-theme"\n' + CONFIG.split("\n", 4)[4])
    app = RecordingApp(
        registry=make_registry(tmp_path / "registry.sqlite3", []), now=FrozenClock(), poll=False
    )
    monkeypatch.setenv("BATCHTUI_CONFIG", str(path))
    async with app.run_test(size=(200, 24)) as pilot:
        await wait_for(pilot, lambda: app.config is not None)
        await settle(pilot)
        line = app.screen.query_one(StatusLine).message
        assert "settings.theme: unknown theme 'bogus-theme'" in line
        assert "valid: ansi-dark" in line and "textual-dark" in line
        assert app.theme in ("textual-dark", "ansi-dark")


async def test_a_missing_default_profile_is_named_on_the_status_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[settings]\ndefault_profile = "gone"\n' + CONFIG.split("\n", 4)[4])
    monkeypatch.setenv("BATCHTUI_CONFIG", str(path))
    app = RecordingApp(
        registry=make_registry(tmp_path / "registry.sqlite3", []), now=FrozenClock(), poll=False
    )
    async with app.run_test(size=(200, 24)) as pilot:
        await wait_for(pilot, lambda: app.config is not None)
        await settle(pilot)
        line = app.screen.query_one(StatusLine).message
        assert "settings.default_profile = 'gone' names no profile" in line
        assert str(path) in line
        assert app.active_profile is None


async def test_a_profile_named_before_the_rule_can_still_be_edited(tmp_path: Path) -> None:
    app = config_app(tmp_path, '[profiles."my lab"]\nkind = "openai"\n')
    async with app.run_test(size=(80, 24)) as pilot:
        await open_profiles(pilot)
        await pilot.press("e")
        await settle(pilot)
        app.screen.query_one("#model", Input).value = "gpt-4o-mini"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ProfilesScreen), form_status(app)
    assert load_config(tmp_path / "config.toml").profile("my lab").model == "gpt-4o-mini"


async def test_the_list_follows_config_toml_saved_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    monkeypatch.setenv("BATCHTUI_CONFIG", str(path))
    app = RecordingApp(
        registry=make_registry(tmp_path / "registry.sqlite3", []), now=FrozenClock(), poll=False
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.config is not None)
        await open_profiles(pilot)
        path.write_text(CONFIG + '\n[profiles.late]\nkind = "gemini"\n')
        app.reload_config()  # what saving the file brings about within a refresh
        await wait_for(pilot, lambda: "late" in [row[1] for row in rows(app)])
