"""Each command's real --json output matches the shape `batchtui help json` documents."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from batchtui.cli.json_shapes import SHAPES
from helpers.cli import CLI


def check(command: str, output: object) -> None:
    jsonschema.validate(output, SHAPES[command])


@pytest.fixture
def finished_job(cli: CLI, profile: str, input_file: Path) -> str:
    job_id = cli("submit", str(input_file), "--name", "shapes", "--json").json()["id"]
    assert cli("watch", job_id, "--quiet", "--interval", "0.1").code == 0
    return job_id


def test_job_commands_match_their_shapes(
    cli: CLI, profile: str, input_file: Path, finished_job: str, tmp_path: Path
) -> None:
    runs = {
        "jobs": ("jobs", "--json"),
        "status": ("status", finished_job, "--json"),
        "watch": ("watch", finished_job, "--json", "--quiet"),
        "refresh": ("refresh", finished_job, "--json"),
        "validate": ("validate", str(input_file), "--json"),
        "download": ("download", finished_job, "--json"),
        "export": ("export", finished_job, "--json", "-o", str(tmp_path / "x.jsonl")),
        "retry": ("retry", finished_job, "--json", "--dry-run"),
        "sync": ("sync", "--json"),
        "doctor": ("doctor", "--json"),
        "profile list": ("profile", "list", "--json"),
        "profile show": ("profile", "show", "sim", "--json"),
        "profile test": ("profile", "test", "sim", "--json"),
        "rename": ("rename", finished_job, "renamed", "--json"),
        "archive": ("archive", finished_job, "--json"),
        "submit": ("submit", str(input_file), "--json"),
        "convert": ("convert", str(input_file), "--to", "gemini", "--json"),
    }
    for command, args in runs.items():
        done = cli(*args)
        assert done.code in (0, 1), (command, done.stderr)
        check(command, done.json())
    records = cli("results", finished_job, "--json").json_lines()
    assert records
    for record in records:
        check("results", record)
    assert cli("forget", finished_job, "--yes", "--json").json()["jobs"] == [finished_job]


def test_profile_and_compose_shapes(cli: CLI, tmp_path: Path) -> None:
    added = cli(
        "profile", "add", "x", "--kind", "openai", "--base-url", "http://127.0.0.1:9/v1", "--json"
    )
    check("profile add", added.json())
    dataset = tmp_path / "d.csv"
    dataset.write_text("text\nhello\n")
    composed = cli(
        "compose", str(dataset), "--template", "{text}", "--model", "gpt-4o-mini", "--json"
    )
    check("compose", composed.json())
    check("profile remove", cli("profile", "remove", "x", "--json").json())


def test_shapes_cover_every_json_command() -> None:
    from batchtui.cli.parser import build_parser

    from .test_json_contract import WITHOUT_JSON, subcommands

    commands = set(subcommands(build_parser())) - set(WITHOUT_JSON)
    assert sorted(commands - set(SHAPES)) == []
    assert sorted(set(SHAPES) - commands) == []
    json.dumps(SHAPES)  # printable by `help json`
