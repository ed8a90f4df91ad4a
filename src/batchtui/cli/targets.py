"""A JOB argument may name a job or a job group: resolve it to one of them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from batchtui.cli.context import CommandContext
    from batchtui.core.models import Job, JobGroup


def find_job_or_group(context: CommandContext, ref: str) -> Job | JobGroup:
    """A group for `bg-...`; else a job (local id, remote id, prefix); else a group prefix.

    When nothing matches, the error is the job lookup's (it names what was tried).
    """
    from batchtui.core.errors import JobNotFound
    from batchtui.core.registry.ids import GROUP_ID_PREFIX

    registry = context.registry
    if ref.strip().lower().startswith(GROUP_ID_PREFIX):
        return registry.find_group(ref)
    try:
        return registry.find_job(ref)
    except JobNotFound as not_a_job:
        try:
            return registry.find_group(ref)
        except JobNotFound:
            raise not_a_job from None
