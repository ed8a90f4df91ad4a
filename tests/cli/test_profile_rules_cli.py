"""`profile add` refuses what the profile rules refuse; doctor and commands name config problems."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from batchtui.core.themes import KNOWN_THEMES

from .conftest import CLI, cli_env


def config_file() -> Path:
    path = Path(os.environ["BATCHTUI_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_config(text: str) -> Path:
    path = config_file()
    path.write_text(text)
    path.chmod(0o600)
    return path


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("", "--kind", "openai"), "NAME: required: use 1 to 64 letters"),
        (("my lab/ä", "--kind", "openai"), "NAME: 'my lab/ä' is not a valid name: use 1 to 64"),
        (("lab", "--kind", "openai", "--base-url", "not a url"), "--base-url: must be an http"),
        (("lab", "--kind", "openai", "--api-key-env", "MY KEY"), "--api-key-env: must be an env"),
        (("lab", "--kind", "litellm"), "--base-url: required for kind litellm"),
        (("hpc", "--kind", "slurm", "--work-dir", "/scratch"), "--model: required for kind slurm"),
        (("vx", "--kind", "vertex", "--project", "p"), "--bucket: required for kind vertex"),
    ],
)
def test_profile_add_refuses_a_broken_rule_in_one_line(
    cli: CLI, args: tuple[str, ...], expected: str
) -> None:
    before = '# mine\n[profiles.ok]\nkind = "openai"\n'
    path = write_config(before)
    done = cli("profile", "add", *args)
    assert done.code == 2
    assert f"batchtui: error: profile add: {expected}" in done.one_error_line()
    assert path.read_text() == before  # nothing written


def test_a_key_pasted_as_the_variable_name_is_not_echoed(cli: CLI) -> None:
    done = cli("profile", "add", "lab", "--kind", "openai", "--api-key-env", "sk-proj-abc1 x")
    assert done.code == 2
    assert "--api-key-env: must be an environment variable name" in done.one_error_line()
    assert "sk-proj-abc1" not in done.stderr


def test_profile_add_accepts_a_name_that_follows_the_rule(cli: CLI) -> None:
    done = cli("profile", "add", "Lab-gw.2_x", "--kind", "openai", "--base-url", "https://x/v1")
    assert done.code == 0, done.stderr


def test_an_old_profile_name_still_loads_with_a_warning(cli: CLI) -> None:
    write_config('[profiles."my lab"]\nkind = "openai"\n')
    listed = cli("profile", "list", "--json")
    assert listed.code == 0, listed.stderr
    assert [profile["name"] for profile in listed.json()] == ["my lab"]
    doctor = cli("doctor", "--json", env=cli_env())
    assert doctor.code == 0, doctor.stderr
    warnings = [item["advice"] for item in doctor.json() if item["name"] == "warning"]
    assert any("[profiles.my lab] name: 'my lab' is not a valid name" in w for w in warnings)


def test_doctor_exits_2_naming_the_file_and_line_of_invalid_toml(cli: CLI) -> None:
    path = write_config('[settings]\ntheme = "gruvbox"\n[profiles.lab\nkind = "openai"\n')
    done = cli("doctor", env=cli_env())
    assert done.code == 2
    assert str(path) in done.one_error_line() and "line 3" in done.stderr
    as_json = cli("doctor", "--json", env=cli_env())
    assert as_json.code == 2
    (finding,) = [item for item in as_json.json() if item["section"] == "config"]
    assert finding["value"] == "unreadable" and "line 3" in finding["advice"]


def test_doctor_exits_2_on_an_unreadable_config(cli: CLI) -> None:
    path = write_config("[settings]\n")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):  # root reads anything: make it unreadable another way
            path.chmod(0o600)
            path.write_bytes(b"\xff\xfe not text")
        done = cli("doctor", env=cli_env())
    finally:
        path.chmod(0o600)
    assert done.code == 2
    assert str(path) in done.one_error_line()


def test_doctor_exits_0_with_a_good_config(cli: CLI) -> None:
    write_config('[profiles.lab]\nkind = "openai"\n')
    assert cli("doctor", env=cli_env()).code == 0


def test_a_bad_theme_is_named_with_the_valid_ones(cli: CLI) -> None:
    path = write_config('[settings]\ntheme = "bogus"\n')
    done = cli("doctor", "--json", env=cli_env(TERM="xterm-256color", COLORTERM="truecolor"))
    assert done.code == 0, done.stderr
    found = done.json()
    (warning,) = [item["advice"] for item in found if item["name"] == "warning"]
    assert warning.startswith(f"{path}: settings.theme: unknown theme 'bogus'; valid: ")
    assert all(name in warning for name in KNOWN_THEMES)
    (theme,) = [item["value"] for item in found if item["name"] == "TUI theme"]
    assert theme == "textual-dark"  # what the TUI falls back to, not "bogus"


def test_a_missing_default_profile_names_the_setting_and_the_file(cli: CLI) -> None:
    path = write_config(
        '[settings]\ndefault_profile = "gone"\n[profiles.lab]\nkind = "openai"\n'
        'base_url = "http://127.0.0.1:9/v1"\n'
    )
    done = cli("sync")
    assert done.code == 2
    line = done.one_error_line()
    assert f"{path}: settings.default_profile = 'gone' names no profile" in line
    assert "known: lab" in line
