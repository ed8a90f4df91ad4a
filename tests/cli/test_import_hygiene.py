"""What each CLI path imports, checked in a fresh interpreter (`sys.modules` after the run).

`--version` and `--help` must answer with argparse alone; no CLI command may load the
TUI; `batchtui.core` must never import textual or rich. Every probe runs with `click`
importable (from an environment of its own, on PYTHONPATH), as it is wherever another tool
installed it: then `import httpx` alone loads Rich through httpx's own CLI, and batchtui
must not.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
from functools import cache

import pytest

import batchtui.core
from realparts.provision import ensure_venv

HEAVY = ("httpx", "pydantic", "textual", "rich", "tenacity", "tomlkit")
TUI = ("textual", "rich")

CLICK = "click==8.5.1"

PROBE = """
import importlib.util, json, sys
assert importlib.util.find_spec("click"), "click is not importable: the probe proves nothing"
from batchtui.cli.main import main
code = main({argv!r})
# A None entry is an import refused on purpose (httpx's CLI), not a module loaded.
modules = {{name.split(".")[0] for name, module in sys.modules.items() if module is not None}}
loaded = sorted(modules & set({watched!r}))
sys.stderr.write("\\nLOADED=" + json.dumps(loaded) + "\\n")
"""


@cache
def with_click() -> dict[str, str]:
    """The environment with click importable: its own venv's site-packages on PYTHONPATH."""
    venv = ensure_venv("click", [[CLICK]])
    [site] = (venv / "lib").glob("python3*/site-packages")
    return {**os.environ, "PYTHONPATH": str(site)}


def loaded_after(argv: list[str], watched: tuple[str, ...]) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv, watched=watched)],
        capture_output=True,
        text=True,
        timeout=60,
        env=with_click(),
    )
    marker = result.stderr.rsplit("LOADED=", 1)
    assert len(marker) == 2, result.stderr
    return json.loads(marker[1])


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["jobs", "--help"]])
def test_version_and_help_load_nothing_heavy(argv: list[str]) -> None:
    assert loaded_after(argv, HEAVY) == []


def test_usage_error_loads_nothing_heavy() -> None:
    assert loaded_after(["no-such-command"], HEAVY) == []


@pytest.mark.parametrize(
    "argv",
    [["jobs"], ["jobs", "--json"], ["profile", "list"], ["status", "bt-nothere"]],
)
def test_cli_commands_never_load_the_tui(argv: list[str]) -> None:
    assert loaded_after(argv, TUI) == []


@pytest.mark.parametrize("argv", [["jobs"], ["profile", "test", "p"], ["sync", "--profile", "p"]])
def test_commands_that_reach_a_provider_load_httpx_without_rich(tmp_path, argv) -> None:
    """httpx is imported (the probe shows it), its CLI is not: no click-driven Rich."""
    config = tmp_path / "config.toml"
    config.write_text('[profiles.p]\nkind = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n')
    env = {**with_click(), "BATCHTUI_CONFIG": str(config), "OPENAI_API_KEY": "sk-unused"}
    env["BATCHTUI_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv, watched=("httpx", "click", *TUI))],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    loaded = json.loads(result.stderr.rsplit("LOADED=", 1)[1])
    assert "httpx" in loaded or argv == ["jobs"], result.stderr
    assert not set(loaded) & {"click", *TUI}, loaded


def test_plain_httpx_does_load_rich_when_click_is_importable() -> None:
    """The mechanism the test above guards against is real in this environment."""
    script = "import httpx, sys; print(sorted({'click', 'rich'} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=with_click()
    )
    assert result.stdout.strip() == "['click', 'rich']", result.stdout + result.stderr


def test_validate_loads_neither_tui_nor_http(tmp_path) -> None:
    """Nor pydantic without a profile: only the prices are read from the config."""
    sample = tmp_path / "in.jsonl"
    sample.write_text(
        '{"custom_id":"a","method":"POST","url":"/v1/chat/completions",'
        '"body":{"model":"m","messages":[{"role":"user","content":"hi"}]}}\n'
    )
    assert loaded_after(["validate", str(sample)], (*TUI, "httpx", "pydantic")) == []


def test_core_modules_never_import_textual_or_rich() -> None:
    modules = [
        info.name for info in pkgutil.walk_packages(batchtui.core.__path__, prefix="batchtui.core.")
    ]
    assert "batchtui.core.service" in modules
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted({n.split('.')[0] for n in sys.modules} & {'textual', 'rich'})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env=with_click(),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
