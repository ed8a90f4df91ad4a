"""TAB completion in a real bash (and zsh where the machine has it), from the real hook."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.cli import BATCHTUI, CLI
from realparts.provision import ensure_apt

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


def test_fish_script_registers_the_hook() -> None:
    fish = subprocess.run(
        [str(BATCHTUI), "completion", "fish"], capture_output=True, text=True, check=True
    ).stdout
    assert "complete" in fish and "batchtui" in fish


@pytest.mark.tmux
def test_zsh_completes_profiles_and_job_names_on_tab(
    cli: CLI, profile: str, input_file: Path, tmp_path: Path
) -> None:
    """A real interactive zsh (installed if missing) in tmux: TAB after `--profile sec`
    completes the profile, TAB after a job id prefix completes the id."""
    from helpers.cli import add_profile
    from helpers.tmux import tmux_server

    ensure_apt(["zsh"], commands=["zsh"])
    add_profile(cli, "http://127.0.0.1:9/v1", "second-site", "openai")
    job_id = cli("submit", str(input_file), "--profile", "sim", "--json").json()["id"]
    script = tmp_path / "batchtui.zsh"
    script.write_text(
        subprocess.run(
            [str(BATCHTUI), "completion", "zsh"], capture_output=True, text=True, check=True
        ).stdout
    )
    env = {name: value for name, value in os.environ.items() if name.startswith("BATCHTUI_")}
    env.update(PATH=BIN_DIR + os.pathsep + os.environ.get("PATH", ""), TERM="screen")
    env.update(HOME=str(tmp_path), LANG="C.UTF-8", PS1="zsh> ")
    with tmux_server() as tmux:
        tmux.start("zsh -f -i", env)
        tmux.wait_for("zsh>")
        tmux.keys(f"autoload -U compinit && compinit -u && source {script}", "Enter")
        tmux.keys("clear", "Enter")
        tmux.wait_for(lambda text: text.strip() == "zsh>")
        tmux.keys("batchtui jobs --profile sec", "Tab")
        tmux.wait_for("batchtui jobs --profile second-site")
        tmux.keys("C-u", f"batchtui status {job_id[:6]}", "Tab")
        tmux.wait_for(f"batchtui status {job_id}")


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
