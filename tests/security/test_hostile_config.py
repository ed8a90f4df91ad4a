"""The config loader over hostile documents: a valid `Config` or one `ConfigError` line.

Whatever config.toml holds (arbitrary bytes, any TOML document, tables nested past
Python's recursion limit, names full of control characters), loading it either succeeds
or raises `ConfigError` whose message is one line naming the file. Nothing else escapes.
"""

from __future__ import annotations

import os
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from hypothesis import given
from hypothesis import strategies as st

from batchtui.core.config import PROFILE_FIELDS, Config, load_config, parse_config
from batchtui.core.errors import ConfigError

# Names the loader looks at, so generated documents reach past the first "unknown key".
KNOWN_NAMES = [
    "profiles",
    "settings",
    "prices",
    *PROFILE_FIELDS,
    "default_profile",
    "registry_refresh_seconds",
    "theme",
    "input",
    "output",
    "openai",
    "portkey",
    "litellm",
]
hostile_text = st.text(max_size=12) | st.sampled_from(["\n", "\x1b]0;pwned\x07", "\x9b2J", ""])
names = st.sampled_from(KNOWN_NAMES) | hostile_text
toml_scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),
    hostile_text,
    st.sampled_from(["openai", "http://127.0.0.1:1/v1", "sk-x", 0, -1, 1e308]),
    st.datetimes(timezones=st.just(UTC)),
    st.dates(),
    st.times(),
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=4),
    max_leaves=12,
)
documents = st.dictionaries(
    st.sampled_from(["profiles", "settings", "prices"]) | names,
    st.dictionaries(names, toml_values, max_size=3) | toml_values,
    max_size=3,
)


def assert_config_or_one_line_error(load: Any, path: Path) -> Config | None:
    try:
        config = load()
    except ConfigError as error:
        message = str(error)
        assert message.startswith(f"{path}"), message
        assert "\n" not in message and "\r" not in message, repr(message)
        assert "\x1b" not in message and "\x9b" not in message, repr(message)
        return None
    assert isinstance(config, Config)
    assert config.path == path
    return config


def private_file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    os.chmod(path, 0o600)
    return path


def scratch(tmp_path_factory: pytest.TempPathFactory, name: str = "config.toml") -> Path:
    """One path reused by every example of a property (a fresh dir each would be slow)."""
    return tmp_path_factory.getbasetemp() / f"hostile-{name}"


@given(st.binary(max_size=300))
def test_any_bytes(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = private_file(scratch(tmp_path_factory), data)

    assert_config_or_one_line_error(lambda: load_config(path), path)


@given(
    st.lists(
        st.sampled_from(
            [
                "[profiles.a]\n",
                "[profiles]\n",
                "[settings]\n",
                '[prices."m"]\n',
                'kind = "openai"\n',
                "kind = 5\n",
                "timeout = -1\n",
                "poll_interval = 0\n",
                'api_key = "sk-file"\n',
                "headers = { a = 1 }\n",
                "input = 1\n",
                'input = "x"\n',
                "enqueued_token_limit = { m = -1 }\n",
                "x = [[[1]]]\n",
                '"\\u001b]0;t\\u0007" = 1\n',
                "a.b.c = 1\n",
                "=\n",
                "[",
                "\x00",
                "\ufeff",
            ]
        ),
        max_size=8,
    )
)
def test_fragments_of_real_configs(
    tmp_path_factory: pytest.TempPathFactory, fragments: list[str]
) -> None:
    path = scratch(tmp_path_factory)
    private_file(path, "".join(fragments).encode())

    assert_config_or_one_line_error(lambda: load_config(path), path)


@given(documents)
def test_any_toml_document(tmp_path_factory: pytest.TempPathFactory, document: dict) -> None:
    path = scratch(tmp_path_factory)
    try:
        text = tomlkit.dumps(document)
    except Exception:  # a value tomlkit cannot write (not a TOML document)
        return
    private_file(path, text.encode())

    assert_config_or_one_line_error(lambda: load_config(path), path)
    # And straight from the data, as `load_config` hands it over.
    assert_config_or_one_line_error(lambda: parse_config(document, path), path)


@given(documents)
def test_parse_config_without_a_file_on_disk(tmp_path_factory: pytest.TempPathFactory, document):
    path = scratch(tmp_path_factory, "never-written.toml")

    assert_config_or_one_line_error(lambda: parse_config(document, path), path)


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "[" * 100_000,
        "x = " + "[" * 5_000 + "]" * 5_000,
        "x = " + "{a = " * 5_000 + "1" + "}" * 5_000,
        "[profiles.p]\nheaders = " + "{a = " * 3_000 + "1" + "}" * 3_000,
        "[" + "a." * 20_000 + "b]",  # tomllib is quadratic in key parts: kept small
    ],
    ids=["unclosed-arrays", "deep-arrays", "deep-inline-tables", "deep-headers", "long-dotted"],
)
def test_deep_nesting_is_a_config_error(tmp_path: Path, text: str) -> None:
    path = private_file(tmp_path / "config.toml", text.encode())

    config = assert_config_or_one_line_error(lambda: load_config(path), path)

    assert config is None


def test_control_characters_in_names_stay_on_one_line(tmp_path: Path) -> None:
    path = private_file(
        tmp_path / "config.toml",
        b'[profiles."a\\nb\\u001b]0;pwned\\u0007"]\nkind = "nope"\n'
        b'[prices."m\\r\\nx"]\ninput = "free"\n',
    )

    config = assert_config_or_one_line_error(lambda: load_config(path), path)

    assert config is None


def test_binary_file_is_one_line(tmp_path: Path) -> None:
    elf = b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 40
    path = private_file(tmp_path / "config.toml", elf)

    with pytest.raises(ConfigError) as error:
        load_config(path)

    assert str(error.value).startswith(f"{path}: ")
    assert "\n" not in str(error.value)


def test_huge_value_is_loaded_or_refused_quickly(tmp_path: Path) -> None:
    name = "x" * 5_000_000
    path = private_file(tmp_path / "config.toml", f'[profiles.p]\nmodel = "{name}"\n'.encode())

    assert load_config(path).profile("p").model == name
