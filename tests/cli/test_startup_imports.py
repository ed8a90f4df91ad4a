"""Start-up work counted, not timed: which modules `--version`, `--help` and the completion
helper load in a fresh interpreter (the benchmark in benchmarks/startup measures the time)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
before = set(sys.modules)
from batchtui.cli.main import main
main({argv!r})
sys.stderr.write("\\nLOADED=" + json.dumps(sorted(set(sys.modules) - before)) + "\\n")
"""


def loaded_by(argv: list[str]) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True, timeout=60
    )
    return set(json.loads(done.stderr.rsplit("LOADED=", 1)[1]))


def test_version_builds_no_parser() -> None:
    loaded = loaded_by(["--version"])
    assert "argparse" not in loaded and "batchtui.cli.parser" not in loaded


@pytest.mark.parametrize(
    "argv", [["--help"], ["jobs", "--help"], ["__complete", "jobs"], ["__complete", "profiles"]]
)
def test_help_and_completion_skip_the_kind_table_and_dataclasses(argv: list[str]) -> None:
    loaded = loaded_by(argv)
    assert "batchtui.core.providers.kinds" not in loaded
    assert "dataclasses" not in loaded, sorted(loaded)


def test_profile_add_help_still_lists_every_kind_flag() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "batchtui", "profile", "add", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "--bucket" in done.stdout and "--custom-llm-provider" in done.stdout


def test_listing_jobs_reads_no_config_and_no_retry_or_event_loop_machinery() -> None:
    """`jobs` stores nothing: no config models for storage caps, and tenacity (which
    imports asyncio) only once the registry is found locked."""
    loaded = loaded_by(["jobs"])
    assert "batchtui.core.registry.store" in loaded  # it did read the registry
    for heavy in ("batchtui.core.config", "tenacity", "asyncio", "httpx", "textual"):
        assert heavy not in loaded, heavy


def test_a_bare_batchtui_parses_with_the_global_options_alone() -> None:
    """The TUI's start skips every command's parser, and means what the whole parser means."""
    from batchtui.cli.parser import build_parser

    bare = build_parser(with_commands=False)
    assert vars(bare.parse_args([])) == vars(build_parser().parse_args([]))
    assert bare._subparsers is None
