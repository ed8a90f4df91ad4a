"""The job list's decisions without a terminal: filter, sort, ETA, formats, poll backoff."""

from __future__ import annotations

from datetime import timedelta

import pytest

from batchtui.core.errors import ConfigError
from batchtui.core.jobview import (
    JobFilter,
    PollSchedule,
    SortField,
    SortOrder,
    counts_by_status,
    elapsed,
    estimate_eta,
    format_duration,
    parse_filter,
    progress_bar,
    progress_text,
    sort_jobs,
    status_label,
)
from batchtui.core.models import RequestCounts
from batchtui.core.profile_form import parse_headers
from batchtui.core.status import JobStatus
from batchtui.core.terminal_text import locale_is_utf8
from batchtui.tui.theme import ANSI_THEME, DEFAULT_THEME, choose_theme
from helpers.shell import NOW, ago, sample_jobs


def names(jobs: list) -> list[str]:
    return [job.name for job in jobs]


JOBS = sample_jobs()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {"chat-eval", "summaries-large", "bad-input", "translate-fr", "old-run", "nightly"}),
        ("status:failed", {"bad-input"}),
        ("STATUS:Fail", {"bad-input"}),
        ("profile:prod", {"summaries-large", "translate-fr"}),
        ("profile:prod status:valid", {"translate-fr"}),
        ("!profile:prod !status:completed", {"bad-input", "old-run", "nightly"}),
        ("eval", {"chat-eval"}),
        ("batch_0003", {"bad-input"}),  # remote ids are searched too
        ("id:bt-test05", {"old-run"}),
        ("model:4.1", {"summaries-large"}),
        ("nosuch:thing", set()),  # an unknown field is plain text, which matches nothing here
        (
            "status:",
            {"chat-eval", "summaries-large", "bad-input", "translate-fr", "old-run", "nightly"},
        ),
    ],
)
def test_filter_matches(text: str, expected: set[str]) -> None:
    shown = {job.name.split(" ")[0] for job in parse_filter(text).apply(JOBS)}
    assert shown == expected


def test_filter_text_with_colon_of_unknown_field_is_searched_as_text() -> None:
    job = JOBS[0].model_copy(update={"model": "ft:gpt-4o:acme"})
    assert parse_filter("ft:gpt").matches(job)
    assert not JobFilter().active
    assert parse_filter("status:failed").active


def test_sort_by_age_is_newest_first_and_inverts() -> None:
    newest_first = names(sort_jobs(JOBS, SortOrder()))
    assert newest_first[:2] == ["translate-fr", "summaries-large"]
    assert newest_first[-1] == "old-run"
    assert names(sort_jobs(JOBS, SortOrder(SortField.AGE, reverse=True))) == newest_first[::-1]


def test_sort_by_status_puts_running_first_and_done_last() -> None:
    by_status = sort_jobs(JOBS, SortOrder(SortField.STATUS))
    assert [job.status for job in by_status][:2] == [JobStatus.IN_PROGRESS, JobStatus.VALIDATING]
    assert by_status[-1].status == JobStatus.COMPLETED
    reverse = sort_jobs(JOBS, SortOrder(SortField.STATUS, reverse=True))
    assert reverse[0].status == JobStatus.COMPLETED


def test_sort_by_name_ties_stay_newest_first() -> None:
    twins = [
        JOBS[0].model_copy(update={"id": "bt-old", "name": "same", "created_at": ago(hours=3)}),
        JOBS[0].model_copy(update={"id": "bt-new", "name": "same", "created_at": ago(hours=1)}),
        JOBS[0].model_copy(update={"id": "bt-a", "name": "Alpha"}),
    ]
    assert [j.id for j in sort_jobs(twins, SortOrder(SortField.NAME))] == [
        "bt-a",
        "bt-new",
        "bt-old",
    ]
    reverse = sort_jobs(twins, SortOrder(SortField.NAME, reverse=True))
    assert [j.id for j in reverse] == ["bt-new", "bt-old", "bt-a"]


def test_sort_key_toggles() -> None:
    order = SortOrder()
    assert order.toggled(SortField.AGE) == SortOrder(SortField.AGE, reverse=True)
    assert order.toggled(SortField.NAME) == SortOrder(SortField.NAME, reverse=False)
    assert order.toggled(SortField.NAME).toggled(SortField.NAME).reverse is True


def test_eta_extrapolates_the_average_rate_since_running() -> None:
    running = JOBS[1]  # 1234 of 5000 done in the 35 minutes since in_progress_at
    eta = estimate_eta(running, NOW)
    assert eta is not None
    expected = (5000 - 1234) / (1234 / (35 * 60))
    assert eta.total_seconds() == pytest.approx(expected)


@pytest.mark.parametrize(
    "update",
    [
        {"status": JobStatus.COMPLETED},
        {"request_counts": RequestCounts(total=10, completed=0, failed=0)},
        {"request_counts": RequestCounts(total=10, completed=8, failed=2)},
        {"request_counts": RequestCounts(total=0, completed=0, failed=0)},
        {"timestamps": {"in_progress_at": NOW + timedelta(seconds=5)}},
    ],
)
def test_eta_unknown_without_something_to_extrapolate(update: dict) -> None:
    assert estimate_eta(JOBS[1].model_copy(update=update), NOW) is None


def test_elapsed_stops_at_the_end_of_terminal_jobs() -> None:
    assert elapsed(JOBS[0], NOW) == timedelta(minutes=30)  # created 2h ago, completed 1h30 ago
    assert elapsed(JOBS[1], NOW) == timedelta(minutes=40)  # still running: until now


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (59, "59s"),
        (60, "1m"),
        (3599, "59m"),
        (3600, "1h00m"),
        (3 * 3600 + 300, "3h05m"),
        (86400 * 2 + 3600 * 4, "2d04h"),
        (86400 * 150, "150d"),
        (-5, "0s"),
    ],
)
def test_format_duration(seconds: int, text: str) -> None:
    assert format_duration(timedelta(seconds=seconds)) == text
    assert format_duration(None) == "-"


def test_progress_bar_and_text() -> None:
    half = RequestCounts(total=10, completed=4, failed=1)
    assert progress_bar(half, 10, ascii_only=True) == "#####....."
    assert progress_bar(half, 4) == "██··"
    assert progress_bar(RequestCounts(), 4, ascii_only=True) == "...."
    assert progress_bar(RequestCounts(total=3, completed=3), 5) == "█████"
    assert progress_text(half, width=13, ascii_only=True) == "5/10 x1 ##..."
    assert progress_text(half, width=13) == "5/10 ✖1 ██▌··"
    # Large counts never squeeze the bar below three cells.
    assert progress_text(RequestCounts(total=50000, completed=1), width=10).endswith(" ···")


def test_status_labels_have_glyph_and_word_in_both_glyph_sets() -> None:
    for status in JobStatus:
        for ascii_only in (False, True):
            label = status_label(status, ascii_only=ascii_only)
            glyph, word = label.split(" ")
            assert word == status.value and len(glyph) == 1
            if ascii_only:
                assert label.isascii()


def test_counts_by_status_orders_active_first() -> None:
    counts = counts_by_status(JOBS)
    assert counts[0] == (JobStatus.IN_PROGRESS, 1)
    assert counts[-1] == (JobStatus.COMPLETED, 1)
    assert sum(count for _, count in counts) == len(JOBS)


def test_poll_schedule_backs_off_on_errors_and_resets_on_success() -> None:
    running, done = JOBS[1], JOBS[0]
    schedule = PollSchedule(cap=100)
    assert schedule.due([running, done], now=0) == [running]  # never terminal jobs
    schedule.succeeded(running.id, now=0, interval=30)
    assert schedule.due([running], now=29) == []
    assert schedule.due([running], now=30) == [running]
    waits = [schedule.failed(running.id, now=30, interval=30) for _ in range(4)]
    assert waits == [60, 100, 100, 100]  # doubling, capped
    schedule.succeeded(running.id, now=40, interval=30)
    assert schedule.next_wait(running.id) == 30
    schedule.force()
    assert schedule.due([running], now=41) == [running]
    unsubmitted = running.model_copy(update={"remote_id": None})
    assert schedule.due([unsubmitted], now=1000) == []


def test_theme_choice() -> None:
    assert choose_theme({"TERM": "screen"}) == ANSI_THEME
    assert choose_theme({"TERM": "linux"}) == ANSI_THEME
    assert choose_theme({}) == ANSI_THEME
    assert choose_theme({"TERM": "xterm-256color"}) == DEFAULT_THEME
    assert choose_theme({"TERM": "screen", "COLORTERM": "truecolor"}) == DEFAULT_THEME
    assert choose_theme({"TERM": "screen"}, configured="nord") == "nord"
    assert (
        choose_theme({"TERM": "xterm-256color", "BATCHTUI_THEME": "ansi-dark"}, "nord")
        == "ansi-dark"
    )


def test_locale_detection() -> None:
    assert locale_is_utf8({"LANG": "en_US.UTF-8"})
    assert locale_is_utf8({"LC_ALL": "C.utf8", "LANG": "C"})
    assert not locale_is_utf8({"LC_ALL": "C", "LANG": "en_US.UTF-8"})
    assert not locale_is_utf8({})


def test_parse_headers() -> None:
    text = "x-portkey-provider=vertex-ai\n# comment\n\nx-portkey-vertex-region: us-central1\nA=b=c"
    assert parse_headers(text) == {
        "x-portkey-provider": "vertex-ai",
        "x-portkey-vertex-region": "us-central1",
        "A": "b=c",
    }
    with pytest.raises(ConfigError, match="line 2"):
        parse_headers("ok=1\nnot a header")


@pytest.mark.parametrize(
    ("model", "shown"),
    [
        ("publishers/google/models/gemini-2.5-flash", "gemini-2.5-flash"),
        ("models/gemini-2.5-pro", "gemini-2.5-pro"),
        ("gpt-4o-mini", "gpt-4o-mini"),
        ("endpoints/models/", "endpoints/models/"),
        (None, "-"),
    ],
)
def test_models_show_as_people_name_them(model: str | None, shown: str) -> None:
    from batchtui.core.jobview import display_model

    assert display_model(model) == shown
