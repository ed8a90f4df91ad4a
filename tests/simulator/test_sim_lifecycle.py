"""The status timeline as a pure function of recorded facts and time (no server, no sleeping)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from batchtui.simulator.lifecycle import Timeline, done_by, status_at

# created at 100; validating 100-110; 20 requests at 2/s: in_progress 110-120;
# finalizing 120-130; completed at 130.
BASE = Timeline(
    created_at=100.0,
    phase_seconds=10.0,
    speed=2.0,
    expire_after=1000.0,
    total=20,
    validation_failed=False,
)


@pytest.mark.parametrize(
    ("now", "status", "done"),
    [
        (100.0, "validating", 0),
        (109.9, "validating", 0),
        (110.0, "in_progress", 0),
        (112.6, "in_progress", 5),
        (119.9, "in_progress", 19),
        (120.0, "finalizing", 20),
        (130.0, "completed", 20),
        (5000.0, "completed", 20),
    ],
)
def test_natural_progression(now: float, status: str, done: int) -> None:
    state = status_at(BASE, now)
    assert (state.status, state.done) == (status, done)


def test_completed_state_carries_every_timestamp() -> None:
    state = status_at(BASE, 200.0)
    assert (state.in_progress_at, state.finalizing_at, state.completed_at) == (110, 120, 130)
    assert state.terminal and state.ended_at == 130


def test_each_phase_lasts_at_least_phase_seconds_even_for_one_request() -> None:
    tiny = replace(BASE, total=1, speed=1000.0)
    assert status_at(tiny, 115.0).status == "in_progress"
    assert status_at(tiny, 115.0).done == 1
    assert status_at(tiny, 125.0).status == "finalizing"


def test_validation_failure() -> None:
    invalid = replace(BASE, validation_failed=True)
    assert status_at(invalid, 105.0).status == "validating"
    failed = status_at(invalid, 110.0)
    assert (failed.status, failed.failed_at, failed.done) == ("failed", 110.0, 0)


def test_cancel_freezes_progress_then_cancels_after_a_phase() -> None:
    cancelled = replace(BASE, cancel_requested_at=113.0)
    before = status_at(cancelled, 112.0)
    assert before.status == "in_progress"
    during = status_at(cancelled, 118.0)
    assert (during.status, during.done, during.cancelling_at) == ("cancelling", 6, 113.0)
    after = status_at(cancelled, 500.0)
    assert (after.status, after.done, after.cancelled_at) == ("cancelled", 6, 123.0)
    assert after.in_progress_at == 110.0 and after.finalizing_at is None


def test_cancel_while_validating_runs_nothing() -> None:
    state = status_at(replace(BASE, cancel_requested_at=101.0), 200.0)
    assert (state.status, state.done, state.in_progress_at) == ("cancelled", 0, None)


def test_expiry_before_finalizing_keeps_partial_progress() -> None:
    expiring = replace(BASE, expire_after=15.0)  # expires at 115, mid-run
    assert status_at(expiring, 114.0).status == "in_progress"
    state = status_at(expiring, 115.0)
    assert (state.status, state.done, state.expired_at) == ("expired", 10, 115.0)


def test_expiry_after_finalizing_started_does_not_apply() -> None:
    late = replace(BASE, expire_after=25.0)  # 125: already finalizing
    assert status_at(late, 200.0).status == "completed"


def test_cancel_after_expiry_moment_is_ignored() -> None:
    state = status_at(replace(BASE, expire_after=15.0, cancel_requested_at=116.0), 200.0)
    assert state.status == "expired"


def test_done_by_never_decreases() -> None:
    counts = [done_by(BASE, 100.0 + step * 0.25) for step in range(200)]
    assert counts == sorted(counts)
    assert counts[-1] == BASE.total
