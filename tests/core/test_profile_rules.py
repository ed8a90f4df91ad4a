"""The profile rules (each one), config warnings, and config.toml writes that keep the file."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import SecretStr

from batchtui.core.config import (
    Profile,
    load_config,
    parse_config,
    remove_profile,
    save_profile,
    set_default_profile,
)
from batchtui.core.errors import ConfigError
from batchtui.core.profile_form import edited_fields, fields_from_form, form_answers, form_rows
from batchtui.core.profile_rules import NAME_MAX, check_profile, make_profile, profile_problems
from batchtui.core.providers.kinds import KINDS
from batchtui.core.themes import KNOWN_THEMES


def problems(**fields: object) -> list[str]:
    return [str(problem) for problem in profile_problems({"kind": "openai", **fields})]


@pytest.mark.parametrize("name", ["lab", "Lab-gw.2_x", "a", "9lives", "x" * NAME_MAX])
def test_names_that_follow_the_rule(name: str) -> None:
    assert problems(name=name) == []


@pytest.mark.parametrize(
    "name", ["", "my lab", "my lab/ä", "a/b", "-x", ".hidden", "x" * (NAME_MAX + 1), "a\x1bb"]
)
def test_names_that_break_the_rule(name: str) -> None:
    (problem,) = problems(name=name)
    assert problem.startswith("name: ") and len(problem) < 200
    assert "letters (A-Z, a-z), digits, '.', '_' or '-'" in problem
    assert "\n" not in problem and "\x1b" not in problem


@pytest.mark.parametrize(
    "url", ["https://api.openai.com/v1", "http://127.0.0.1:4000", "http://node42:8000/v1"]
)
def test_urls_that_follow_the_rule(url: str) -> None:
    assert problems(name="p", base_url=url) == []


@pytest.mark.parametrize(
    "url",
    ["not a url", "ftp://host/x", "http://", "https:///v1", "api.openai.com/v1", "http://a b"],
)
def test_urls_that_break_the_rule(url: str) -> None:
    assert problems(name="p", base_url=url) == [
        "base_url: must be an http:// or https:// URL with a host, e.g. https://api.example.com/v1"
    ]


def test_a_url_with_a_password_is_not_echoed() -> None:
    (problem,) = problems(name="p", base_url="ftp://me:hunter2@host")
    assert "hunter2" not in problem


def test_an_edit_keeps_a_name_from_before_the_rule() -> None:
    assert profile_problems({"name": "my lab", "kind": "openai"}, saved_name="my lab") == []
    (problem,) = profile_problems({"name": "my lab2", "kind": "openai"}, saved_name="my lab")
    assert problem.setting == "name"


def test_kind_url_settings_follow_the_url_rule() -> None:
    found = profile_problems(
        {"name": "v", "kind": "vertex", "bucket": "b", "storage_url": "storage"}
    )
    assert [problem.setting for problem in found] == ["storage_url"]


@pytest.mark.parametrize("name", ["OPENAI_API_KEY", "_x", "key2"])
def test_key_variables_that_follow_the_rule(name: str) -> None:
    assert problems(name="p", api_key_env=name) == []


@pytest.mark.parametrize("name", ["MY KEY", "2KEY", "KEY-1", "sk-proj-abc123", "ä"])
def test_key_variables_that_break_the_rule(name: str) -> None:
    (problem,) = problems(name="p", api_key_env=name)
    assert problem.startswith("api_key_env: must be an environment variable name")
    assert name not in problem  # it may be a key pasted in the wrong place


def test_each_kinds_required_settings() -> None:
    assert [str(p) for p in profile_problems({"name": "h", "kind": "slurm"})] == [
        "work_dir: required for kind slurm",
        "model: required for kind slurm",
    ]
    assert [str(p) for p in profile_problems({"name": "v", "kind": "vertex"})] == [
        "bucket: required for kind vertex"
    ]
    for kind in ("litellm", "direct"):
        (problem,) = profile_problems({"name": "x", "kind": kind})
        assert str(problem).startswith(f"base_url: required for kind {kind}: an http://")
    assert profile_problems({"name": "o", "kind": "openai"}) == []
    assert [p.setting for p in profile_problems({"name": "o", "kind": "nope"})] == ["kind"]


def test_every_required_setting_is_a_profile_setting() -> None:
    for kind in KINDS:
        for name in kind.required:
            assert name in Profile.model_fields, (kind.name, name)


def test_check_and_make_raise_one_line_naming_the_setting() -> None:
    with pytest.raises(ConfigError, match=r"^base_url: must be an http"):
        check_profile({"name": "p", "kind": "openai", "base_url": "x"})
    with pytest.raises(ConfigError, match=r"^timeout: "):
        make_profile({"name": "p", "kind": "openai", "timeout": -1})
    assert make_profile({"name": "p", "kind": "openai"}).name == "p"


# --- loading: warnings, never a refusal, for what the rules added --------------------------


def test_a_config_breaking_the_new_rules_loads_with_warnings(tmp_path: Path) -> None:
    text = '[profiles."my lab"]\nkind = "openai"\napi_key_env = "MY KEY"\n'
    config = parse_config(tomllib.loads(text), tmp_path / "config.toml")
    assert list(config.profiles) == ["my lab"]
    assert len(config.warnings) == 2
    assert config.warnings[0].startswith(f"{tmp_path / 'config.toml'}: [profiles.my lab] name: ")
    assert "api_key_env: must be an environment variable name" in config.warnings[1]


def test_a_default_profile_naming_no_profile(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    data = {"settings": {"default_profile": "labb"}, "profiles": {"lab": {}, "other": {}}}
    config = parse_config(data, path)
    problem = config.default_profile_problem()
    assert problem == (
        f"{path}: settings.default_profile = 'labb' names no profile in [profiles] "
        "(known: lab, other); did you mean 'lab'?"
    )
    assert config.warnings == [problem]
    assert config.meant_profile() is None  # not silently another profile
    assert config.meant_profile("other") == "other"
    single = parse_config({"settings": {"default_profile": "gone"}, "profiles": {"a": {}}}, path)
    assert single.meant_profile() is None


def test_a_bad_theme_is_a_warning_naming_the_setting_and_the_valid_themes(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    (warning,) = parse_config({"settings": {"theme": "bogus"}}, path).warnings
    assert warning == f"{path}: settings.theme: unknown theme 'bogus'; valid: " + ", ".join(
        KNOWN_THEMES
    )
    assert parse_config({"settings": {"theme": "nord"}}, path).warnings == []


def test_the_known_themes_are_textuals() -> None:
    from textual.theme import BUILTIN_THEMES

    assert set(KNOWN_THEMES) == set(BUILTIN_THEMES)


# --- writing config.toml -------------------------------------------------------------------

COMMENTED = """\
# top comment
[settings]
theme = "nord"  # my theme
default_profile = "lab"

[profiles.lab]
# the lab gateway
kind = "openai"
base_url = "http://a/v1"  # old
max_attempts = 3

[profiles.other]
kind = "openai"
"""


def test_an_edit_keeps_comments_and_untouched_settings(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(COMMENTED)
    lab = load_config(path).profile("lab")
    save_profile(lab.model_copy(update={"base_url": "http://b/v1"}), path)
    text = path.read_text()
    assert "# top comment" in text and "# the lab gateway" in text and "# my theme" in text
    assert 'base_url = "http://b/v1"' in text and "max_attempts = 3" in text
    assert load_config(path).profile("lab").base_url == "http://b/v1"


def test_default_profile_is_written_and_removed_with_its_profile(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(COMMENTED)
    set_default_profile("other", path)
    assert load_config(path).settings.default_profile == "other"
    assert "# my theme" in path.read_text()
    assert remove_profile("other", path)
    config = load_config(path)
    assert config.settings.default_profile is None and list(config.profiles) == ["lab"]
    fresh = tmp_path / "new" / "config.toml"
    set_default_profile("x", fresh)
    assert tomllib.loads(fresh.read_text()) == {"settings": {"default_profile": "x"}}


def test_a_write_to_a_broken_file_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[profiles.lab\n")
    with pytest.raises(ConfigError, match="not changed"):
        set_default_profile("lab", path)
    with pytest.raises(ConfigError, match="not changed"):
        save_profile(Profile(name="x"), path)
    assert path.read_text() == "[profiles.lab\n"


# --- the form as data ----------------------------------------------------------------------


def test_the_form_rows_follow_each_kind() -> None:
    def names(kind: str) -> list[str]:
        return [row.name for row in form_rows(kind)]

    assert names("openai") == ["name", "base_url", "api_key_env", "model", "headers"]
    assert names("slurm")[:3] == ["name", "model", "work_dir"]
    assert "base_url" not in names("slurm") and "api_key_env" not in names("slurm")
    assert names("direct") == ["name", "base_url", "api_key_env", "model", "headers"]
    assert "api_key_env" not in names("vertex") and "bucket" in names("vertex")
    required = {row.name for row in form_rows("slurm") if row.required}
    assert required == {"name", "model", "work_dir"}
    (base_url,) = [row for row in form_rows("direct") if row.name == "base_url"]
    assert base_url.required
    (key,) = [row for row in form_rows("openai") if row.name == "api_key_env"]
    assert "OPENAI_API_KEY" in key.placeholder


def test_form_answers_become_typed_settings() -> None:
    fields = fields_from_form(
        "slurm", {"name": " hpc ", "work_dir": "/s", "model": "m", "cpus": "8", "mem": ""}
    )
    assert fields["name"] == "hpc" and fields["cpus"] == 8 and fields["mem"] is None
    with pytest.raises(ConfigError, match=r"^cpus: must be a whole number$"):
        fields_from_form("slurm", {"cpus": "eight"})
    with pytest.raises(ConfigError, match=r"^headers line 1: expected Name=value$"):
        fields_from_form("openai", {"headers": "nonsense"})


def test_an_edit_keeps_what_the_form_does_not_show() -> None:
    profile = Profile(
        name="gw",
        kind="openai",
        api_key=SecretStr("sk-file"),
        headers={"x-portkey-api-key": "pk-secret", "x-portkey-provider": "openai"},
        max_attempts=3,
    )
    answers = form_answers(profile)
    assert "pk-secret" not in answers["headers"]
    assert "x-portkey-provider=openai" in answers["headers"]
    fields = fields_from_form("openai", {**answers, "base_url": "https://gw/v1"})
    merged = make_profile(edited_fields(profile, fields))
    assert merged.headers == {"x-portkey-api-key": "pk-secret", "x-portkey-provider": "openai"}
    assert merged.max_attempts == 3 and merged.api_key is not None
    assert merged.base_url == "https://gw/v1"


def test_a_kind_change_drops_the_old_kinds_settings() -> None:
    profile = Profile(name="h", kind="slurm", work_dir="/s", model="m", partition="gpu")
    fields = fields_from_form("openai", {"name": "h", "model": "gpt-4o-mini"})
    merged = make_profile(edited_fields(profile, fields))
    assert merged.kind == "openai" and merged.work_dir is None and merged.partition is None
    keyed = Profile(name="o", kind="openai", base_url="https://x/v1", api_key_env="K")
    fields = fields_from_form("slurm", {"name": "o", "work_dir": "/s", "model": "m"})
    merged = make_profile(edited_fields(keyed, fields))
    assert (merged.base_url, merged.api_key_env) == (None, None)


# --- the line of a setting that stops config.toml loading ----------------------------------


@pytest.mark.parametrize(
    ("text", "line", "setting"),
    [
        ('[profiles.lab]\nkind = "openai"\n\n[profiles."my x"]\n# c\ntimeout = -1\n', 6, "timeout"),
        ('[settings]\ntheme = "x"\nregistry_refresh_seconds = "a"\n', 3, "settings.registry"),
        ('[profiles.lab]\nkind = "nope"\n', 2, "kind: unknown kind 'nope'"),
        ("[profiles.lab]\n\nkindd = 1\n", 3, "unknown setting 'kindd'"),
        ("a = 1\nfoo = 1\n[settings]\n", 1, "unknown table or key 'a'"),
        ('[notify]\nbell = true\ndesktop = "bad"\n', 3, "notify.desktop"),
    ],
)
def test_a_setting_that_stops_loading_is_named_with_its_line(
    tmp_path: Path, text: str, line: int, setting: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert message.startswith(f"{path}, line {line}: ")
    assert setting in message and "\n" not in message
