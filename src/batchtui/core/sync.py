"""`sync`: adopt a profile's remote batches that the registry does not know.

A batch found remotely is either already tracked (its remote id is in the registry), one
of this registry's own jobs left without a remote id (its tag matches: adopted into that
job), or new to this registry: created by another batchtui registry sharing the key (it
carries a tag) or by another tool (curl, a script, a web console). New ones become jobs
with their name, status, counts, times and file ids, marked with where they came from in
the `batchtui_origin` metadata key and in their first history note.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from batchtui.core.config import Profile
from batchtui.core.errors import BatchtuiError
from batchtui.core.jobs.hooks import NO_HOOKS, JobHooks
from batchtui.core.models import Job, RemoteBatch, utc_now
from batchtui.core.providers.base import TAG_METADATA_KEY, BatchProvider
from batchtui.core.registry import Registry

ORIGIN_METADATA_KEY = "batchtui_origin"
ANOTHER_TOOL = "another tool"
ANOTHER_REGISTRY = "another batchtui registry"
# Metadata keys other tools commonly use for a human name (OpenAI's docs use description).
NAME_KEYS = ("batchtui_name", "name", "description", "job_name")


@dataclass
class SyncReport:
    scanned: int = 0
    already_tracked: int = 0
    adopted: list[Job] = field(default_factory=list)  # new to this registry
    recovered: list[Job] = field(default_factory=list)  # own jobs that had no remote id
    # One line per batch left out (unreadable, or refused by the registry): the rest go on.
    skipped: list[str] = field(default_factory=list)


async def sync_profile(
    registry: Registry,
    provider: BatchProvider,
    profile: Profile,
    *,
    limit: int | None = None,
    hooks: JobHooks = NO_HOOKS,
) -> SyncReport:
    """Scan the profile's remote batches (newest first, up to `limit`) and adopt the unknown.

    Each batch not known from the first read of the registry is recorded in one registry
    transaction (`Registry.record_listed_batch`): a batch carrying the tag of a job still
    `submitting` belongs to that job, so a submit running at the same time (in this
    process or another) never ends up with a second job for its batch, in either order.
    """
    report = SyncReport()
    tracked = {job.remote_id for job in registry.list_jobs(profile=profile.name) if job.remote_id}
    await hooks.reached("sync-listed")
    async for batch in provider.list_batches(limit=limit):
        report.scanned += 1
        if batch.id in tracked:
            report.already_tracked += 1
            continue
        try:
            _record(registry, batch, profile, report)
        except (BatchtuiError, ValueError, OverflowError) as exc:
            report.skipped.append(f"batch {batch.id}: {exc}")
        tracked.add(batch.id)
    report.skipped.extend(provider.unreadable_batches)
    return report


def _record(registry: Registry, batch: RemoteBatch, profile: Profile, report: SyncReport) -> None:
    """One listed batch into the registry; a batch the registry refuses fails alone."""
    job, outcome = registry.record_listed_batch(
        batch,
        batch.metadata.get(TAG_METADATA_KEY),
        lambda job_id, found=batch: _adopted_job(job_id, found, profile),
        note=f"adopted by sync: created by {_origin(batch)}",
    )
    if outcome == "recovered":
        report.recovered.append(job)
    elif outcome == "adopted":
        report.adopted.append(job)
    else:
        report.already_tracked += 1


def _origin(batch: RemoteBatch) -> str:
    return ANOTHER_REGISTRY if batch.metadata.get(TAG_METADATA_KEY) else ANOTHER_TOOL


def _adopted_job(job_id: str, batch: RemoteBatch, profile: Profile) -> Job:
    """A new job for a batch created elsewhere (another registry or another tool)."""
    tag = batch.metadata.get(TAG_METADATA_KEY)
    return Job(
        id=job_id,
        name=_name_of(batch),
        profile=profile.name,
        kind=profile.kind,
        tag=tag or str(uuid.uuid4()),
        status=batch.status,
        raw_status=batch.raw_status,
        remote_id=batch.id,
        endpoint=batch.endpoint,
        model=batch.model,
        completion_window=batch.completion_window,
        input_file_id=batch.input_file_id,
        metadata={**batch.metadata, ORIGIN_METADATA_KEY: _origin(batch)},
        created_at=batch.timestamps.get("created_at") or utc_now(),
    )


def _name_of(batch: RemoteBatch) -> str:
    for key in NAME_KEYS:
        value = batch.metadata.get(key)
        if value and value.strip():
            return value.strip()
    return batch.id
