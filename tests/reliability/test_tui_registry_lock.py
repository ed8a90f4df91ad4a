"""A registry locked by another process (an NFS server being slow, a long CLI write) must
not freeze the TUI: its registry calls run off the event loop and keys keep answering."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

from batchtui.core.config import Config, Profile
from batchtui.core.models import BatchSpec, Job
from batchtui.core.providers.base import TAG_METADATA_KEY
from batchtui.core.providers.openai import OpenAIProvider
from batchtui.core.registry import Registry
from batchtui.tui.app import BatchtuiApp
from batchtui.tui.screens.help import HelpScreen

from .conftest import CountingFaults, key_answer_seconds

LOCK_SECONDS = 4.0
HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


async def test_keys_answer_while_another_process_holds_the_registry_locked(
    start_simulator, tmp_path: Path
) -> None:
    simulator = start_simulator(phase_seconds=30)
    counting = CountingFaults()
    simulator.server.faults = counting
    profile = Profile(
        name="sim", base_url=simulator.url, api_key="sk-lock-0123456789", poll_interval=1
    )
    config = Config(path=tmp_path / "config.toml", profiles={"sim": profile})
    registry = Registry.open_default()
    source = tmp_path / "input.jsonl"
    source.write_text(
        '{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", '
        '"body": {"model": "gpt-4o-mini", "messages": []}}\n'
    )
    tag = str(uuid.uuid4())
    async with OpenAIProvider.from_profile(profile) as api:
        uploaded = await api.upload(source)
        batch = await api.create(
            BatchSpec(
                input_file_id=uploaded.id,
                endpoint="/v1/chat/completions",
                metadata={TAG_METADATA_KEY: tag},
            )
        )
    job = registry.add_job(
        Job(id=registry.new_job_id(), name="running", profile="sim", kind="openai", tag=tag)
    )
    registry.apply_remote(job.id, batch)
    app = BatchtuiApp(config=config, registry=registry, refresh_seconds=0.2)

    async with app.run_test() as pilot:
        await pilot.press("question_mark", "escape")  # the help screen's first build, untimed
        while registry.poll_lease_holder(job.id) != app.lease_holder:
            await pilot.pause(0.05)  # the first poll is done
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCK, str(registry.path), str(LOCK_SECONDS)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        locked_at = time.monotonic()
        polls_before = counting.retrieves
        app.action_refresh()  # a poll and a registry re-read now, both waiting on the lock

        opened = await key_answer_seconds(
            app, "question_mark", lambda: isinstance(app.screen, HelpScreen)
        )
        closed = await key_answer_seconds(
            app, "escape", lambda: not isinstance(app.screen, HelpScreen)
        )
        assert holder.poll() is None, "the lock was released before the keys were timed"
        assert time.monotonic() - locked_at < LOCK_SECONDS
        # A blocked event loop would answer only after the lock (seconds); a loaded CI
        # machine still answers a key well within one.
        assert opened < 1.0 and closed < 1.0, (opened, closed)
        assert counting.retrieves == polls_before  # still waiting on the lock

        holder.wait(timeout=10)
        holder.stdout.close()
        # The poll waited for its lease (a registry write) until the lock went, then asked.
        deadline = time.monotonic() + 10
        while counting.retrieves == polls_before:
            assert time.monotonic() < deadline, "the poll never got through after the lock"
            await pilot.pause(0.1)
        assert not app.monitor.reported_problems, app._reported_problems
    registry.close()
