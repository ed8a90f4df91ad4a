"""The profile form's Vertex AI rows: there for kind vertex only, saved into the profile."""

from __future__ import annotations

import json
import os
from pathlib import Path

from textual.widgets import Input, Select, Static

from batchtui.core.config import load_config
from batchtui.tui.screens.jobs import JobsScreen
from helpers.shell import make_app, settle

VERTEX_FIELDS = ("project", "location", "bucket", "credentials")


def visible(app: object, field: str) -> bool:
    return bool(app.screen.query(f"#{field}"))  # type: ignore[attr-defined]


async def test_vertex_fields_follow_the_kind_and_are_saved(tmp_path: Path) -> None:
    key_file = tmp_path / "sa.json"
    key_file.write_text(json.dumps({"type": "service_account"}))
    os.chmod(key_file, 0o600)
    app = make_app(tmp_path, jobs=[], profiles=False)
    async with app.run_test(size=(80, 30)) as pilot:
        await settle(pilot)
        assert not any(visible(app, field) for field in VERTEX_FIELDS)
        app.screen.query_one("#kind", Select).value = "vertex"
        await settle(pilot)
        assert all(visible(app, field) for field in VERTEX_FIELDS)
        app.screen.query_one("#name", Input).value = "vx"
        app.screen.query_one("#project", Input).value = "my-project"
        app.screen.query_one("#location", Input).value = "europe-west4"
        app.screen.query_one("#bucket", Input).value = "my-bucket/batches"
        app.screen.query_one("#credentials", Input).value = str(key_file)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, JobsScreen)
    saved = load_config(tmp_path / "config.toml").profile("vx")
    assert (saved.kind, saved.project, saved.location) == ("vertex", "my-project", "europe-west4")
    assert (saved.bucket, saved.credentials) == ("my-bucket/batches", str(key_file.resolve()))
    assert saved.effective_base_url == "https://europe-west4-aiplatform.googleapis.com"


async def test_a_credentials_file_others_can_read_is_refused_in_the_form(tmp_path: Path) -> None:
    key_file = tmp_path / "sa.json"
    key_file.write_text("{}")
    os.chmod(key_file, 0o644)
    app = make_app(tmp_path, jobs=[], profiles=False)
    async with app.run_test(size=(80, 30)) as pilot:
        await settle(pilot)
        app.screen.query_one("#kind", Select).value = "vertex"
        await settle(pilot)
        app.screen.query_one("#name", Input).value = "vx"
        app.screen.query_one("#credentials", Input).value = str(key_file)
        await pilot.press("ctrl+s")
        await settle(pilot)
        status = str(app.screen.query_one("#form-status", Static).render())
        assert "chmod 600" in status
    assert "vx" not in load_config(tmp_path / "config.toml").profiles
