"""Where batchtui keeps its files, with environment overrides for tests and shared setups."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "batchtui"


def config_path() -> Path:
    override = os.environ.get("BATCHTUI_CONFIG")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def data_dir() -> Path:
    override = os.environ.get("BATCHTUI_DATA_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return platformdirs.user_data_path(APP_NAME)


def state_dir() -> Path:
    """Logs (`--debug` of the TUI) live here."""
    override = os.environ.get("BATCHTUI_STATE_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return platformdirs.user_state_path(APP_NAME)


def registry_path() -> Path:
    return data_dir() / "registry.sqlite3"


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by the user only; existing dirs are left as they are."""
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, 0o700)  # mkdir's mode is masked by the umask
    return path
