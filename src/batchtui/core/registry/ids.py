"""Local job ids: short, typeable, and never mistaken for a remote id."""

from __future__ import annotations

import secrets

JOB_ID_PREFIX = "bt-"
# Job groups (a file split into shards) get their own prefix, so a reference says which.
GROUP_ID_PREFIX = "bg-"
# Crockford's base32, lowercase: no i, l, o, u, so ids survive being read aloud or retyped.
JOB_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
JOB_ID_RANDOM_CHARS = 6


def random_job_id() -> str:
    """`bt-` plus 6 random characters (30 bits); the prefix keeps it from being all digits."""
    suffix = "".join(secrets.choice(JOB_ID_ALPHABET) for _ in range(JOB_ID_RANDOM_CHARS))
    return JOB_ID_PREFIX + suffix


def random_group_id() -> str:
    """`bg-` plus 6 random characters, like a job id."""
    return GROUP_ID_PREFIX + random_job_id().removeprefix(JOB_ID_PREFIX)
