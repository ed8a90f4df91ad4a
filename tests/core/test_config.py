"""config.toml: reading, refusing what is wrong with a message naming the setting, writing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from batchtui.core.config import Profile, load_config, remove_profile, save_profile
from batchtui.core.errors import ConfigError


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    os.chmod(path, mode)
    return path


def test_missing_file_is_an_empty_config(tmp_path: Path) -> None:
    config = load_config(tmp_path / "absent.toml")
    assert config.profiles == {}
    assert not config.exists


def test_profile_fields_and_kind_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(
        tmp_path / "config.toml",
        """
[profiles.work]
kind = "openai"
headers = { "OpenAI-Project" = "proj_1" }
extra_body = { service_tier = "flex" }
model = "gpt-4o-mini"
timeout = 12.5

[profiles.local]
base_url = "http://127.0.0.1:8000/v1/"
api_key_env = "LOCAL_KEY"
""",
    )
    config = load_config(path)
    work, local = config.profile("work"), config.profile("local")
    assert work.effective_base_url == "https://api.openai.com/v1"
    assert work.headers == {"OpenAI-Project": "proj_1"}
    assert work.extra_body == {"service_tier": "flex"}
    assert work.timeout == 12.5
    assert local.effective_base_url == "http://127.0.0.1:8000/v1"
    assert local.kind == "openai"

    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.delenv("LOCAL_KEY", raising=False)
    assert work.resolve_api_key() == "sk-from-env"
    with pytest.raises(ConfigError, match="LOCAL_KEY is not set") as err:
        local.resolve_api_key()
    assert str(path) in str(err.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[profiles.a]\nkindd = 'openai'\n",
            r"\[profiles\.a\] unknown setting 'kindd' \(did you mean 'kind'\?\)",
        ),
        ("[profiles.a]\ntimeout = 'soon'\n", r"profiles\.a\.timeout: "),
        ("[profiles.a]\ntimeout = -1\n", r"profiles\.a\.timeout: "),
        ("[profile.a]\n", r"unknown table or key 'profile' \(did you mean 'profiles'\?\)"),
        ("[profiles.a\n", r"invalid TOML: .*line 1"),
        ("profiles = 3\n", r"`profiles` must be a table"),
        ("[settings]\nfoo = 1\n", r"settings\.foo"),
    ],
)
def test_bad_config_names_the_file_and_setting(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path / "config.toml", text)
    with pytest.raises(ConfigError, match=expected) as err:
        load_config(path)
    assert str(err.value).startswith(str(path))
    assert "\n" not in str(err.value)


def test_key_in_a_readable_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    canary = "sk-canary-0123456789"
    path = write(tmp_path / "config.toml", f'[profiles.a]\napi_key = "{canary}"\n', mode=0o644)
    with pytest.raises(ConfigError, match=rf"chmod 600 {path}") as err:
        load_config(path)
    assert canary not in str(err.value)


def test_key_in_a_private_file_is_used_but_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    canary = "sk-canary-0123456789"
    path = write(tmp_path / "config.toml", f'[profiles.a]\napi_key = "{canary}"\n')
    profile = load_config(path).profile("a")
    assert profile.resolve_api_key() == canary
    assert canary not in repr(profile)
    assert canary not in str(profile)
    assert canary not in profile.model_dump_json()


def test_the_environment_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "config.toml", '[profiles.a]\napi_key = "sk-file"\n')
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    assert load_config(path).profile("a").resolve_api_key() == "sk-env"


def test_unknown_profile_suggests_the_nearest(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", "[profiles.openai-work]\n")
    with pytest.raises(ConfigError, match="did you mean 'openai-work'"):
        load_config(path).profile("openai-wrk")


def test_unknown_kind_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", '[profiles.a]\nkind = "opnai"\n')
    with pytest.raises(
        ConfigError, match=r"\[profiles\.a\] kind: unknown kind 'opnai' \(did you mean 'openai'\?\)"
    ):
        load_config(path)


def test_save_keeps_comments_and_other_profiles_and_is_private(tmp_path: Path) -> None:
    path = write(
        tmp_path / "config.toml",
        '# my settings, keep me\n[profiles.old]\nkind = "openai" # inline note\n',
        mode=0o600,
    )
    save_profile(
        Profile(name="new", base_url="http://127.0.0.1:9/v1", headers={"X-A": "1"}, timeout=5),
        path,
    )
    text = path.read_text()
    assert "# my settings, keep me" in text
    assert "# inline note" in text
    config = load_config(path)
    assert set(config.profiles) == {"old", "new"}
    assert config.profile("new").headers == {"X-A": "1"}
    assert config.profile("new").timeout == 5
    assert path.stat().st_mode & 0o777 == 0o600

    assert remove_profile("old", path)
    assert not remove_profile("old", path)
    assert set(load_config(path).profiles) == {"new"}
    assert "# my settings, keep me" in path.read_text()


def test_save_creates_a_private_directory(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "config.toml"
    save_profile(Profile(name="a"), path)
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert load_config(path).profile("a").kind == "openai"


def test_a_broken_file_is_not_overwritten(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", "[profiles.a\n")
    with pytest.raises(ConfigError, match="not changed"):
        save_profile(Profile(name="b"), path)
    assert path.read_text() == "[profiles.a\n"


def test_ui_columns_choose_the_job_list_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", '[ui]\ncolumns = ["name", "model"]\n')
    assert load_config(path).ui.columns == ["name", "model"]
    assert load_config(write(tmp_path / "none.toml", "")).ui.columns is None


def test_an_unknown_ui_column_names_the_setting_and_the_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", '[ui]\ncolumns = ["name", "colour"]\n')
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert "\n" not in message and str(path) in message
    assert "ui.columns" in message and "'colour'" in message and "progress" in message
