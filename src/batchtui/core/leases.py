"""Poll leases: who asks the provider about a job when several processes watch it.

Several TUIs (on several login nodes sharing the registry over NFS) would otherwise each
poll every running job. The registry's `poll_leases` table names one holder per job; the
holder polls and writes what it learns, the others read it on their next registry
re-read. A holder renews its lease on every poll; a holder that quits gives its leases up,
one that dies loses them when they expire. Expiry times are Unix seconds compared with
each node's own clock: skew between nodes shifts a takeover by the skew, no more.
"""

from __future__ import annotations

import os
import secrets
import socket

# Beyond two poll intervals: a poll that runs long, or a few seconds of clock skew.
LEASE_MARGIN_SECONDS = 15.0


def new_lease_holder() -> str:
    """This process as a lease holder: `host:pid:random` (the random part tells a restarted
    process with a recycled pid from the one before it)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def lease_seconds(poll_interval: float) -> float:
    """How long a lease taken before a poll lasts: the holder renews it at its next poll,
    so it lapses only when the holder has missed about two."""
    return 2 * poll_interval + LEASE_MARGIN_SECONDS
