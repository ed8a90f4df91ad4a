"""Snapshots of the profiles screen and of the generated profile form (openai, slurm).

The config lives in memory under a fixed path, so the title never shows a temporary
folder; nothing here writes it. Regenerate after an intended change:
`pytest tests/tui/test_profiles_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from batchtui.core.config import parse_config
from batchtui.tui.screens.profile_form import ProfileFormScreen
from helpers.shell import FrozenClock, RecordingApp, iter_themes, make_registry, settle

THEMES = list(iter_themes())
CONFIG_PATH = Path("/home/me/.config/batchtui/config.toml")
CONFIG = """
[settings]
default_profile = "lab"

[profiles.lab]
kind = "openai"
base_url = "https://gw.example/v1"
api_key_env = "SNAPSHOT_LAB_KEY"

[profiles.vllm]
kind = "direct"
base_url = "http://node42:8000/v1"

[profiles.vx]
kind = "vertex"
project = "my-project"
bucket = "my-bucket"
"""
# Not in the list above: its Key column says whether sbatch is on this machine's PATH.
SLURM_PROFILE = """
[profiles.hpc]
kind = "slurm"
work_dir = "/scratch/me/bt"
model = "/models/llama"
partition = "gpu"
gres = "gpu:1"
"""


def profiles_app(tmp_path: Path, theme: str = "textual-dark", text: str = CONFIG) -> RecordingApp:
    config = parse_config(tomllib.loads(text), CONFIG_PATH)
    return RecordingApp(
        config=config,
        registry=make_registry(tmp_path / "registry.sqlite3", []),
        now=FrozenClock(),
        theme=theme,
        ascii_only=False,
        poll=False,
    )


def open_then(*keys: str) -> Callable[[object], Awaitable[None]]:
    async def run_before(pilot: object) -> None:
        await settle(pilot)
        await pilot.press("P", *keys)  # type: ignore[attr-defined]
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("theme", THEMES)
def test_profiles_screen(snap_compare, tmp_path: Path, theme: str) -> None:
    app = profiles_app(tmp_path, theme)
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_then())


def test_add_form_openai(snap_compare, tmp_path: Path) -> None:
    app = profiles_app(tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_then("a"))


def test_edit_form_slurm(snap_compare, tmp_path: Path) -> None:
    app = profiles_app(tmp_path, text=SLURM_PROFILE)

    async def run_before(pilot: object) -> None:
        await settle(pilot)
        assert app.config is not None
        app.push_screen(ProfileFormScreen(app.config.profiles["hpc"]))
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
