"""TAB completion in a real bash (and zsh where the machine has it), from the real hook."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.cli import BATCHTUI, CLI

BIN_DIR = str(Path(sys.executable).parent)


def bash_complete(line: str, env: dict[str, str]) -> list[str]:
    """What bash offers for `line` (the cursor at its end), through `batchtui completion bash`."""
    words = line.split(" ")
    script = f"""
source <({BATCHTUI} completion bash)
COMP_LINE={line!r}
COMP_POINT=${{#COMP_LINE}}
COMP_WORDS=({" ".join(repr(word) for word in words)})
COMP_CWORD={len(words) - 1}
complete -p batchtui >/dev/null || exit 9
fn=$(complete -p batchtui | sed -E 's/.*-F ([^ ]+) .*/\\1/')
"$fn" batchtui "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script],
        capture_output=True,
        text=True,
        env={**env, "PATH": BIN_DIR + os.pathsep + env.get("PATH", "")},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [word.strip() for word in done.stdout.splitlines() if word.strip()]


def test_bash_completes_commands_profiles_and_job_ids(
    cli: CLI, profile: str, input_file: Path
) -> None:
    from helpers.cli import add_profile

    add_profile(cli, "http://127.0.0.1:9/v1", "second-site", "openai")
    submitted = cli("submit", str(input_file), "--profile", "sim", "--name", "uniq", "--json")
    job_id = submitted.json()["id"]
    env = dict(os.environ)

    assert "refresh" in bash_complete("batchtui re", env)
    assert set(bash_complete("batchtui jobs --profile ", env)) == {"sim", "second-site"}
    assert bash_complete("batchtui jobs --profile sec", env) == ["second-site"]
    offered = bash_complete("batchtui status ", env)
    assert job_id in offered and "uniq" in offered
    assert bash_complete(f"batchtui watch {job_id[:5]}", env) == [job_id]
    assert "--until-first" in bash_complete("batchtui watch --un", env)


def test_zsh_hook_loads_where_zsh_exists() -> None:
    script = subprocess.run(
        [str(BATCHTUI), "completion", "zsh"], capture_output=True, text=True, check=True
    ).stdout
    assert "batchtui" in script and "compdef" in script
    fish = subprocess.run(
        [str(BATCHTUI), "completion", "fish"], capture_output=True, text=True, check=True
    ).stdout
    assert "complete" in fish and "batchtui" in fish
    if shutil.which("zsh"):
        done = subprocess.run(
            ["zsh", "-f", "-c", 'autoload -U compinit && compinit -u; eval "$(cat)"'],
            input=script,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("what", ["profiles", "jobs"])
def test_hidden_helper_imports_no_httpx_pydantic_or_textual(what: str) -> None:
    probe = (
        f"import sys; from batchtui.cli.main import main; main(['__complete', {what!r}]);"
        "heavy = [m for m in ('httpx', 'pydantic', 'textual', 'rich') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=30
    )
    assert done.stdout.strip().splitlines()[-1:] in ([""], []), done.stdout
