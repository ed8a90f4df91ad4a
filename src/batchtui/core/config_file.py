"""Reading config.toml into plain data, with the one-line errors every reader of it gives.

Without pydantic, so a command that needs only the prices (`batchtui validate` without a
profile) reads them without building the whole config.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from batchtui.core.errors import ConfigError
from batchtui.core.paths import config_path
from batchtui.core.prices import PriceTable, context_windows_from_config, prices_from_config
from batchtui.core.terminal_text import inert


def read_config_file(path: Path) -> tuple[dict[str, Any], str] | None:
    """The parsed TOML of `path` and its text (to find a setting's line in), None when
    there is no such file."""
    try:
        raw_bytes = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    try:
        text = raw_bytes.decode("utf-8")
        return tomllib.loads(text), text
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses once per level of `[[[...` or `{a = {...`
        raise ConfigError(f"{path}: invalid TOML: arrays or tables nested too deeply") from None


def load_price_table(path: Path | None = None) -> PriceTable:
    """The shipped prices and context windows under config.toml's `[prices."MODEL"]`, as
    `load_config(path).price_table()` gives them, read without the rest of the config."""
    path = path or config_path()
    read = read_config_file(path)
    if read is None:
        return PriceTable({}, {})
    data = read[0]
    try:
        return PriceTable(
            prices_from_config(data, where=str(path)),
            context_windows_from_config(data, where=str(path)),
        )
    except ConfigError as exc:  # it quotes the file's own model names
        raise ConfigError(inert(exc.message, single_line=True)) from None
