"""The sbatch script a job runs: the profile's resources, its setup lines, `vllm run-batch`.

It is written into the job folder, kept there for the user to read, and is plain bash: each
task of the job answers the run files of its shard in order with `vllm run-batch`, skips the
runs already answered (a requeued job goes on where it stopped), and records how it ended.
"""

from __future__ import annotations

from shlex import quote

from batchtui.core.providers.slurm.folder import JobFolder
from batchtui.core.providers.slurm.logs import RUN_MARKER
from batchtui.core.providers.slurm.settings import SlurmSettings

COMMENT_PREFIX = "batchtui:"
NAME_PREFIX = "batchtui-"


def job_name(name: str | None) -> str:
    """A SLURM job name from the batchtui name: printable, no separators, short."""
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in (name or "job"))
    return (NAME_PREFIX + cleaned)[:60]


def sbatch_options(
    settings: SlurmSettings, folder: JobFolder, *, name: str | None, tag: str, tasks: int
) -> list[str]:
    options = [
        f"--job-name={job_name(name)}",
        f"--comment={COMMENT_PREFIX}{tag}",
        f"--chdir={folder.path}",
        f"--output={folder.path}/log/task-{'%a' if tasks > 1 else '0'}.log",
    ]
    if tasks > 1:
        options.append(f"--array=0-{tasks - 1}")
    for flag, value in (
        ("--partition", settings.partition),
        ("--account", settings.account),
        ("--qos", settings.qos),
        ("--gres", settings.gres),
        ("--time", settings.time),
        ("--cpus-per-task", settings.cpus),
        ("--mem", settings.mem),
    ):
        if value not in (None, ""):
            options.append(f"{flag}={value}")
    options.extend(settings.sbatch_args)
    return options


def vllm_command(settings: SlurmSettings) -> str:
    # The command is kept as the user wrote it (e.g. `python -m vllm.entrypoints.cli.main`).
    words = [settings.vllm_command, "run-batch"]
    words += ['-i "$run"', '-o "$partial"']
    words.append(f"--model {quote(settings.model)}")
    if settings.served_model_name:
        words.append(f"--served-model-name {quote(settings.served_model_name)}")
    words.extend(quote(arg) for arg in settings.vllm_args)
    return " ".join(words)


def render(
    settings: SlurmSettings, folder: JobFolder, *, name: str | None, tag: str, tasks: int
) -> str:
    header = "\n".join(
        f"#SBATCH {quote(option)}"
        for option in sbatch_options(settings, folder, name=name, tag=tag, tasks=tasks)
    )
    setup = (settings.setup or "").strip()
    # The name lands in a comment line: nothing in it may end that line.
    shown = "".join(c if c.isprintable() else "?" for c in (name or ""))
    return f"""#!/bin/bash
{header}
#
# Written by batchtui for job {shown!r} (tag {tag}); kept for reference.
# Each task answers the run files of its shard (shard-N/in-*.jsonl) in order with
# `vllm run-batch`, writing shard-N/out-*.jsonl; runs already answered are skipped.
set -u
task="${{SLURM_ARRAY_TASK_ID:-0}}"
shard={quote(str(folder.path))}/task-"$task"
# The job's own id, for a batchtui that crashed before it could write it down.
printf '%s\n' "${{SLURM_ARRAY_JOB_ID:-${{SLURM_JOB_ID:-}}}}" > "$shard/slurm-job-id"
export VLLM_NO_USAGE_STATS=1 DO_NOT_TRACK=1

# Setup from the profile
{setup or ":"}

status=0
for run in "$shard"/in-*.jsonl; do
    name="${{run##*/in-}}"
    output="$shard/out-$name"
    partial="${{output%.jsonl}}.part"
    [ -e "$output" ] && continue
    echo "{RUN_MARKER}$name starting at $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    {vllm_command(settings)}
    status=$?
    [ "$status" -eq 0 ] || break
    mv -f "$partial" "$output"
done
printf '%s %s\\n' "$status" "$(date +%s)" > "$shard/end.tmp" && mv -f "$shard/end.tmp" "$shard/end"
exit "$status"
"""
