"""Offline help: every config key, exit codes, the man page; generated, so it cannot drift."""

from __future__ import annotations

import shutil
import subprocess

from batchtui.core.config import NotifySettings, Profile, Settings
from batchtui.core.config_reference import INTERNAL, config_keys, missing_meanings
from batchtui.core.unattended import EXIT_CODES
from helpers.cli import BATCHTUI, CLI


def test_every_model_key_is_explained() -> None:
    assert missing_meanings() == []
    documented = {key.key for key in config_keys()}
    for table, model in (
        ("profiles.NAME", Profile),
        ("settings", Settings),
        ("notify", NotifySettings),
    ):
        for name in model.model_fields:
            key = f"{table}.{name}"
            assert key in documented or key in INTERNAL, key


def test_help_config_lists_every_key(cli: CLI) -> None:
    shown = cli("help", "config")
    assert shown.code == 0
    for key in config_keys():
        table, _, name = key.key.rpartition(".")
        assert f"[{table}]" in shown.stdout and f"  {name}  (" in shown.stdout, key.key
    assert all(len(line) <= 80 for line in shown.stdout.splitlines()[1:])


def test_help_exit_codes_and_unknown_topic(cli: CLI) -> None:
    codes = cli("help", "exit-codes").stdout
    for code in EXIT_CODES:
        assert f" {code}  " in codes
    unknown = cli("help", "nope")
    assert unknown.code == 2 and "exit-codes" in unknown.one_error_line()


def test_help_keys_reads_the_tui_bindings_without_textual(cli: CLI) -> None:
    keys = cli("help", "keys").stdout
    assert "question_mark" in keys and "Quit" in keys


def test_man_page_renders(tmp_path) -> None:
    page = subprocess.run(
        [str(BATCHTUI), "help", "--man"], capture_output=True, text=True, check=True
    ).stdout
    assert page.startswith(".TH BATCHTUI") and ".SH CONFIGURATION" in page
    assert "notify.exec" in page.replace("\\-", "-") and ".SH EXIT STATUS" in page
    if shutil.which("groff"):
        rendered = subprocess.run(
            ["groff", "-man", "-Tutf8"], input=page, capture_output=True, text=True, check=True
        )
        assert "batchtui" in rendered.stdout
