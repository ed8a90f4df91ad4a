"""Regenerate screenshots/*.svg: one picture per screen, from frozen sample data.

    .venv/bin/python scripts/screenshots.py [--size 100x30] [--theme textual-dark] [--out DIR]

Uses the shell tests' deterministic registry (tests/helpers/shell.py) and
`App.run_test` + `save_screenshot`, so no terminal is needed and the pictures only
change when the screens do. Screens of the result viewer, validator and composer are
imported lazily and skipped (with a note) when not present.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

Step = Callable[[Any, Any], Awaitable[None]]


def _write_sample_files(directory: Path) -> tuple[Path, Path]:
    inputs = directory / "requests.jsonl"
    results = directory / "results.jsonl"
    request_lines, result_lines = [], []
    for number in range(1, 31):
        custom_id = f"req-{number:03d}"
        question = f"Summarise chapter {number} in one sentence."
        request_lines.append(
            json.dumps(
                {
                    "custom_id": custom_id,
                    "method": "POST",
                    "url": "/v1/chat/completions",
                    "body": {
                        "model": "gpt-4o-mini",
                        "messages": [{"role": "user", "content": question}],
                    },
                }
            )
        )
        if number % 9 == 0:
            response = {
                "status_code": 429,
                "request_id": f"r{number}",
                "body": {
                    "error": {
                        "message": "Rate limit reached",
                        "type": "rate_limit",
                        "code": "rate_limit_exceeded",
                    }
                },
            }
        else:
            response = {
                "status_code": 200,
                "request_id": f"r{number}",
                "body": {
                    "id": f"chatcmpl-{number}",
                    "object": "chat.completion",
                    "model": "gpt-4o-mini",
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {
                                "role": "assistant",
                                "content": f"Chapter {number} in one sentence.",
                            },
                        }
                    ],
                    "usage": {"prompt_tokens": 14, "completion_tokens": 7, "total_tokens": 21},
                },
            }
        result_lines.append(
            json.dumps(
                {
                    "id": f"batch_req_{number}",
                    "custom_id": custom_id,
                    "response": response,
                    "error": None,
                }
            )
        )
    inputs.write_text("\n".join(request_lines) + "\n")
    results.write_text("\n".join(result_lines) + "\n")
    return inputs, results


def _optional(module: str, name: str) -> Any | None:
    import importlib

    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


async def _expanded_group(app: Any, pilot: Any) -> None:
    """Add a job group of three shards (one done, one running, one validating), expand it."""
    from batchtui.core.models import Job, JobGroup, RequestCounts
    from batchtui.core.status import JobStatus
    from batchtui.tui.widgets.job_table import JobTable
    from helpers.shell import NOW, ago, settle

    group = JobGroup(
        id="bg-7hx2qa",
        name="reviews.requests.jsonl",
        profile="demo",
        input_lines=120_000,
        estimated_input_tokens=1_789_900,
        shard_count=3,
        created_at=ago(minutes=12),
    )
    states = [
        (JobStatus.COMPLETED, 40_000),
        (JobStatus.IN_PROGRESS, 9_500),
        (JobStatus.VALIDATING, 0),
    ]
    shards = [
        Job(
            id=f"bt-shrd0{index}",
            name=f"{group.name} [{index}/3]",
            profile="demo",
            kind="openai",
            tag=f"00000000-0000-0000-0002-{index:012d}",
            status=status,
            remote_id=f"batch_grp{index}",
            model="gpt-4o-mini",
            input_lines=40_000,
            request_counts=RequestCounts(total=40_000, completed=done),
            created_at=ago(minutes=12),
            updated_at=NOW,
            timestamps={"created_at": ago(minutes=12), "in_progress_at": ago(minutes=11)},
            group_id=group.id,
            shard_index=index,
        )
        for index, (status, done) in enumerate(states, start=1)
    ]
    await app.registry.run(lambda registry: registry.add_group(group, shards))
    app.reload_registry(force=True)
    await settle(pilot)
    table = app.screen.query_one(JobTable)
    table.move_cursor(row=table.get_row_index(group.id))
    await pilot.press("right")


async def _group_detail(app: Any, pilot: Any) -> None:
    await _expanded_group(app, pilot)
    await pilot.press("left", "enter")


async def _submit_confirmation(app: Any, pilot: Any) -> None:
    from batchtui.tui.screens.validate import ValidateScreen

    app.push_screen(ValidateScreen(path=Path("requests.jsonl")))
    await settle_later(pilot)
    await pilot.press("s")  # asks which profile first: there are several
    await settle_later(pilot)
    await pilot.press("enter")
    await settle_later(pilot)


async def settle_later(pilot: Any) -> None:
    from helpers.shell import settle

    await settle(pilot)
    await pilot.pause(0.5)
    await settle(pilot)


def shots(inputs: Path, results: Path) -> dict[str, tuple[dict[str, Any], Step]]:
    """Screenshot name -> (make_app options, steps after the job list is loaded)."""

    def keys(*pressed: str) -> Step:
        async def step(app: Any, pilot: Any) -> None:
            await pilot.press(*pressed)

        return step

    def push(module: str, name: str, **arguments: Any) -> Step | None:
        screen_class = _optional(module, name)
        if screen_class is None:
            return None

        async def step(app: Any, pilot: Any) -> None:
            app.push_screen(screen_class(**arguments))

        return step

    plan: dict[str, tuple[dict[str, Any], Step | None]] = {
        "jobs": ({}, keys("j")),
        "jobs-ansi": ({"theme": "ansi-dark"}, keys("j")),
        "jobs-empty": ({"jobs": []}, keys()),
        "jobs-filter": ({}, keys("slash", *"status:failed", "enter")),
        "jobs-group": ({}, _expanded_group),
        "jobs-columns": ({}, keys("C")),
        "group-detail": ({}, _group_detail),
        "detail": ({}, keys("j", "j", "j", "enter")),
        "help": ({}, keys("question_mark")),
        "confirm-cancel": ({}, keys("j", "ctrl+d")),
        "welcome": ({"jobs": [], "profiles": False}, keys()),
        "profiles": ({}, keys("P")),
        "profile-form": ({}, keys("P", "a")),
        "results": ({}, push("batchtui.tui.screens.results", "ResultsScreen", path=results)),
        "validate": ({}, push("batchtui.tui.screens.validate", "ValidateScreen", path=inputs)),
        "compose": ({}, push("batchtui.tui.screens.compose", "ComposeScreen")),
        "submit-confirm": ({}, _submit_confirmation),
        "requests": ({}, push("batchtui.tui.screens.requests", "RequestsScreen", path=inputs)),
        "start": ({}, push("batchtui.tui.screens.start", "StartScreen")),
    }
    return {name: (options, step) for name, (options, step) in plan.items() if step is not None}


async def take(
    name: str, options: dict[str, Any], step: Step, size: tuple[int, int], out: Path, work: Path
) -> None:
    from helpers.shell import make_app, settle

    # Relative to the working folder (`work`): the profiles screen shows the config's path.
    app_dir = Path(name)
    (work / name).mkdir()
    app = make_app(app_dir, **options)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await step(app, pilot)
        await settle(pilot)
        await pilot.pause(0.3)
        await settle(pilot)
        app.save_screenshot(f"{name}.svg", path=str(out))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100x30", help="COLSxROWS (default 100x30)")
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--only", nargs="*", help="names to take (default: all)")
    args = parser.parse_args(argv)
    cols, rows = (int(part) for part in args.size.lower().split("x"))
    args.out = args.out.resolve()  # before the chdir below
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="batchtui-shots-") as temp:
        work = Path(temp)
        # Never read or write the user's real config and registry.
        os.environ["BATCHTUI_CONFIG"] = str(work / "config.toml")
        os.environ["BATCHTUI_DATA_DIR"] = str(work / "data")
        os.environ["BATCHTUI_STATE_DIR"] = str(work / "state")
        # Screens show the sample files' paths: make them relative so pictures are stable.
        os.chdir(work)
        inputs, results = _write_sample_files(Path("."))
        plan = shots(inputs, results)
        for name in ("results", "validate", "compose"):
            if name not in plan:
                print(f"skipped {name}: screen not available yet")
        for name, (options, step) in plan.items():
            if args.only and name not in args.only:
                continue
            asyncio.run(take(name, options, step, (cols, rows), args.out, work))
            print(args.out / f"{name}.svg")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
