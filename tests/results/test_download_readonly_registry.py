"""Issue 15 #24: a download into place with a registry that cannot be written.

The files arrive whole, so the message says so AND that the registry could not record
it (naming the registry and the reason); the next download keeps the files it finds whole
on disk instead of fetching them again, and an open finds them there too. The registry
folder is made read-only by a read-only bind mount in a private user and mount namespace
(`unshare`): a chmod would not stop the suite when it runs as root, and the test needs
no privileges and leaves no mount behind.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

from batchtui.core.config import Config, Profile
from batchtui.core.downloads import found_on_disk, results_dir
from batchtui.core.localresults import local_result_paths
from batchtui.core.registry import Registry
from batchtui.core.service import JobService
from batchtui.core.status import JobStatus

CHAT = '"method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini", '
REQUESTS = 5

# Run in the namespace: download the job twice with the registry read-only; print what
# each attempt said and which files it fetched or kept.
CHILD = textwrap.dedent(
    """
    import asyncio, json, sys
    from pathlib import Path
    from batchtui.core.config import Config, Profile
    from batchtui.core.downloads import NotRecordedError
    from batchtui.core.registry import Registry
    from batchtui.core.service import JobService

    url, registry_path, job_id, dest = sys.argv[1:5]

    async def main() -> list[dict]:
        profile = Profile(name="sim", base_url=url, api_key="sk-readonly-0123456789")
        config = Config(path=Path(dest) / "c.toml", profiles={"sim": profile})
        registry = Registry(Path(registry_path))
        said = []
        async with JobService(config, registry) as service:
            for _ in range(2):
                job = registry.get_job(job_id)
                try:
                    await service.download_report(job, Path(dest))
                    said.append({"ok": True})
                except NotRecordedError as error:
                    said.append({"message": str(error), "paths": [str(p) for p in error.paths]})
                said[-1]["inode"] = (Path(dest) / "output.jsonl").stat().st_ino
        return said

    print(json.dumps(asyncio.run(main())))
    """
)


def finished_job(url: str, tmp_path: Path, registry_path: Path) -> str:
    source = tmp_path / "input.jsonl"
    source.write_text(
        "".join(
            f'{{"custom_id": "r{i}", {CHAT}"messages": [{{"role": "user", "content": "hi"}}]}}}}\n'
            for i in range(REQUESTS)
        )
    )
    profile = Profile(name="sim", base_url=url, api_key="sk-readonly-0123456789")
    config = Config(path=tmp_path / "c.toml", profiles={"sim": profile})

    async def submit_and_wait() -> str:
        with Registry(registry_path) as registry:
            async with JobService(config, registry) as service:
                job = await service.submit(source, "sim", name="readonly")
                for _ in range(600):  # the simulator's fast phases: a few seconds at most
                    job = await service.refresh(job)
                    if job.status.is_terminal:
                        break
                    await asyncio.sleep(0.05)
                assert job.status is JobStatus.COMPLETED, job.status
                return job.id

    return asyncio.run(submit_and_wait())


def test_a_download_with_a_read_only_registry_says_both_and_is_found_on_disk(
    start_simulator, tmp_path: Path
) -> None:
    simulator = start_simulator()
    folder = tmp_path / "registry"
    folder.mkdir()
    registry_path = folder / "registry.sqlite3"
    job_id = finished_job(simulator.url, tmp_path, registry_path)
    with Registry(registry_path) as registry:
        job = registry.get_job(job_id)
    dest = tmp_path / "results"
    dest.mkdir()
    quoted = shlex.quote(str(folder))
    script = (
        f'mount --bind {quoted} {quoted} && mount -o remount,bind,ro {quoted} || exit 99; exec "$@"'
    )
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh",
         sys.executable, "-c", CHILD, simulator.url, str(registry_path), job_id, str(dest)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    first, second = json.loads(done.stdout.splitlines()[-1])

    # Both halves in one line: the files are there, the registry did not record them.
    message = first["message"]
    assert message.startswith(f"downloaded 1 file to {dest}; could not record it in the registry")
    assert str(registry_path) in message and "readonly" in message.replace("-", "")
    assert "\n" not in message
    output = dest / "output.jsonl"
    assert first["paths"] == [str(output)]
    assert len(output.read_text().splitlines()) == REQUESTS
    # The second download found the file whole on disk: kept, not fetched again (a fetch
    # renames a new file into place), and it still says the registry could not record it.
    assert second["paths"] == [str(output)] and "could not record" in second["message"]
    assert second["inode"] == first["inode"]

    # The registry never learned the path; an open looks in the job's results folder.
    with Registry(registry_path) as registry:
        job = registry.get_job(job_id)
    assert job.output_path is None and local_result_paths(job) == []
    assert local_result_paths(found_on_disk(job, dest)) == [output.absolute()]
    # And nothing is invented where no download finished.
    settings_dir = results_dir(Config(path=tmp_path / "c.toml").settings, job)
    assert local_result_paths(found_on_disk(job, tmp_path / "elsewhere" / settings_dir.name)) == []


# Run in the namespace: the TUI's `d` on the job, then what its toasts said.
TUI_CHILD = textwrap.dedent(
    """
    import asyncio, json, sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[5])
    from helpers.shell import RecordingApp, settle
    from batchtui.core.config import Config, Profile, Settings
    from batchtui.core.registry import Registry

    url, registry_path, job_id, downloads = sys.argv[1:5]

    async def main() -> list[str]:
        profile = Profile(name="sim", base_url=url, api_key="sk-readonly-0123456789")
        config = Config(
            path=Path(downloads) / "c.toml",
            profiles={"sim": profile},
            settings=Settings(download_dir=downloads),
        )
        app = RecordingApp(config=config, registry=Registry(Path(registry_path)), poll=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("d")
            for _ in range(200):
                await settle(pilot)
                if any("could not record" in note for note in app.notes):
                    break
                await pilot.pause(0.05)
        return app.notes

    print(json.dumps(asyncio.run(main())))
    """
)


def test_the_tui_download_toast_says_the_files_are_there_and_why_not_recorded(
    start_simulator, tmp_path: Path
) -> None:
    simulator = start_simulator()
    folder = tmp_path / "registry"
    folder.mkdir()
    registry_path = folder / "registry.sqlite3"
    job_id = finished_job(simulator.url, tmp_path, registry_path)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    quoted = shlex.quote(str(folder))
    script = (
        f'mount --bind {quoted} {quoted} && mount -o remount,bind,ro {quoted} || exit 99; exec "$@"'
    )
    tui_tests = Path(__file__).parents[1]
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh",
         sys.executable, "-c", TUI_CHILD, simulator.url, str(registry_path), job_id,
         str(downloads), str(tui_tests)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    notes = json.loads(done.stdout.splitlines()[-1])
    (said,) = [note for note in notes if "could not record" in note]
    folder_of_job = downloads / f"batchtui-{job_id}"
    assert f"downloaded 1 file to {folder_of_job}" in said and str(registry_path) in said
    assert (folder_of_job / "output.jsonl").is_file()
