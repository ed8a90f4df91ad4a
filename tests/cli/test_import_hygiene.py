"""What each CLI path imports, checked in a fresh interpreter (`sys.modules` after the run).

`--version` and `--help` must answer with argparse alone; no CLI command may load the
TUI; `batchtui.core` must never import textual or rich.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

import batchtui.core

HEAVY = ("httpx", "pydantic", "textual", "rich", "tenacity", "tomlkit")
TUI = ("textual", "rich")

PROBE = """
import json, sys
from batchtui.cli.main import main
code = main({argv!r})
loaded = sorted({{name.split(".")[0] for name in sys.modules}} & set({watched!r}))
sys.stderr.write("\\nLOADED=" + json.dumps(loaded) + "\\n")
"""


def loaded_after(argv: list[str], watched: tuple[str, ...]) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv, watched=watched)],
        capture_output=True,
        text=True,
        timeout=60,
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


def test_validate_loads_neither_tui_nor_http(tmp_path) -> None:
    sample = tmp_path / "in.jsonl"
    sample.write_text(
        '{"custom_id":"a","method":"POST","url":"/v1/chat/completions",'
        '"body":{"model":"m","messages":[{"role":"user","content":"hi"}]}}\n'
    )
    assert loaded_after(["validate", str(sample)], (*TUI, "httpx")) == []


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
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
