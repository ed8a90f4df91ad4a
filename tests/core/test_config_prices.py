"""`[prices."MODEL"]` in config.toml: read, checked, and used over the shipped table."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from batchtui.core.config import load_config
from batchtui.core.errors import ConfigError


def write_config(text: str) -> Path:
    path = Path(os.environ["BATCHTUI_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_prices_override_the_defaults_and_match_by_prefix() -> None:
    write_config(
        '[prices."gpt-4o-mini"]\ninput = 0.1\noutput = 0.4\n\n[prices."my/llama"]\ninput = 1\n'
    )
    config = load_config()
    name, price = config.price_table().find("gpt-4o-mini-2024-07-18")
    assert (name, price.input, price.output, price.source) == ("gpt-4o-mini", 0.1, 0.4, "config")
    assert config.price_table().find("my/llama")[1].output == 0.0
    assert config.price_table().find("gpt-4.1")[1].source == "default"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[prices."gpt-4o"]\ninput = "cheap"\n', 'prices."gpt-4o".input must be a number'),
        ('[prices."gpt-4o"]\ninput = -1\n', 'prices."gpt-4o".input must be a finite number >= 0'),
        ('[prices."gpt-4o"]\noutput = 1\n', 'prices."gpt-4o"] needs input'),
        ('[prices."gpt-4o"]\ninput = 1\ncached = 0.5\n', "unknown setting 'cached'"),
        ("prices = 3\n", "`prices` must be a table"),
        ("[price]\n", "unknown table or key 'price' (did you mean 'prices'?)"),
    ],
)
def test_bad_prices_name_the_file_and_the_setting(text: str, message: str) -> None:
    path = write_config(text)
    with pytest.raises(ConfigError) as caught:
        load_config()
    # The file, and the line where it can be told (`, line N`).
    assert re.match(rf"{re.escape(str(path))}(, line \d+)?: ", str(caught.value))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
