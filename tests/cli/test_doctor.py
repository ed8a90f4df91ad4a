"""`batchtui doctor`: the terminal, tmux, network and paths, as a user over SSH needs them."""

from __future__ import annotations

import os
from pathlib import Path

from .conftest import CLI, KEY_ENV, cli_env


def findings(cli: CLI, **env: str) -> dict[str, dict[str, str]]:
    done = cli("doctor", "--json", env=cli_env(**env))
    assert done.code == 0, done.stderr
    return {f"{item['section']}.{item['name']}": item for item in done.json()}


def test_sixteen_colour_terminal_gets_the_ansi_theme_and_advice(cli: CLI) -> None:
    found = findings(cli, TERM="screen", COLORTERM="", SSH_CONNECTION="10.1.2.3 5000 10.0.0.1 22")
    assert found["terminal.colours"]["value"] == "16 (standard)"
    assert "tmux-256color" in found["terminal.colours"]["advice"]
    assert found["terminal.TUI theme"]["value"].startswith("ansi-dark")
    assert found["terminal.SSH"]["value"] == "from 10.1.2.3"
    assert "TEXTUAL_FPS=15" in found["terminal.TEXTUAL_FPS"]["advice"]


def test_truecolour_terminal_and_a_configured_theme(cli: CLI, tmp_path: Path) -> None:
    config = Path(os.environ["BATCHTUI_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[settings]\ntheme = "gruvbox"\n')
    found = findings(cli, TERM="xterm-256color", COLORTERM="truecolor")
    assert found["terminal.colours"]["value"] == "truecolor"
    assert found["terminal.colours"]["advice"] == ""
    assert found["terminal.TUI theme"]["value"] == "gruvbox"


def test_proxy_passwords_and_keys_are_never_shown(cli: CLI, sim_profile) -> None:
    sim_profile("http://127.0.0.1:9/v1")
    done = cli(
        "doctor",
        env=cli_env(HTTPS_PROXY="http://alice:hunter2@proxy.example:3128", NO_PROXY=".internal"),
    )
    assert done.code == 0, done.stderr
    assert "http://alice:***@proxy.example:3128" in done.stdout
    assert "hunter2" not in done.stdout
    assert f"key in ${KEY_ENV}" in done.stdout
    assert cli_env()[KEY_ENV] not in done.stdout


def test_paths_say_where_things_are_and_on_what(cli: CLI) -> None:
    found = findings(cli)
    registry = found["paths.registry"]["value"]
    assert registry.startswith(os.environ["BATCHTUI_DATA_DIR"])
    assert ", on " in registry
    assert found["paths.config"]["value"].startswith(os.environ["BATCHTUI_CONFIG"])
    assert found["profiles.profiles"]["value"] == "none"


BAD_KEYS = """
[keys]
"jobs.cancle" = "x"
"jobs.cancel" = "florp"
"jobs.compose" = "o"
"jobs.detail" = "ctrl+e"
"""


def write_config(text: str) -> Path:
    config = Path(os.environ["BATCHTUI_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text)
    return config


def test_each_bad_keys_entry_is_named_in_one_line_and_fails_the_check(cli: CLI) -> None:
    config = write_config(BAD_KEYS)
    done = cli("doctor")
    assert done.code == 2, done.stderr
    lines = [line.strip() for line in done.stdout.splitlines() if f"{config}: [keys] " in line]
    assert len(lines) == 3, done.stdout
    assert any(
        "[keys] jobs.cancle: no key binding has this id (did you mean 'jobs.cancel'?)" in line
        for line in lines
    )
    assert any("[keys] jobs.cancel = 'florp': unknown key 'florp'" in line for line in lines)
    assert any(
        "[keys] jobs.compose = 'o': o was Results (jobs.results), which has no key" in line
        for line in lines
    )
    assert not any("jobs.detail" in line for line in lines)  # a good remap is not a problem
    assert done.stderr.strip().splitlines() == [
        f"batchtui: error: {config}: 3 [keys] entries the TUI cannot apply "
        "(each named under config)"
    ]

    as_json = cli("doctor", "--json")
    assert as_json.code == 2
    keys = [item for item in as_json.json() if item["name"] == "[keys]"]
    assert [item["section"] for item in keys] == ["config"] * 3
    assert all(item["advice"].startswith(f"{config}: [keys] ") for item in keys)


def test_good_keys_entries_pass(cli: CLI) -> None:
    write_config('[keys]\n"jobs.detail" = "ctrl+e"\n"results.search" = "ctrl+f,slash"\n')
    done = cli("doctor", "--json")
    assert done.code == 0, done.stderr
    assert [item for item in done.json() if item["name"] == "[keys]"] == []


def test_doctor_checks_keys_without_textual() -> None:
    import json
    import subprocess
    import sys

    write_config(BAD_KEYS)
    probe = (
        "import json, sys\n"
        "from batchtui.cli.main import main\n"
        "try:\n    main(['doctor', '--json'])\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write('\\nLOADED=' + json.dumps(sorted(sys.modules)) + '\\n')\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    loaded = set(json.loads(done.stderr.rsplit("LOADED=", 1)[1]))
    assert "batchtui.core.keymap_check" in loaded  # it did check the entries
    assert not {name for name in loaded if name.split(".")[0] in ("textual", "rich")}
