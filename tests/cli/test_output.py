"""Tables fit 80 columns; times read both ways."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from batchtui.cli.output import cell_width, iso_utc, relative_time, render_table


def test_table_shrinks_the_flexible_column_to_80() -> None:
    rows = [["bt-abc123", "✔ completed", "100/100", "x" * 200, "prod", "3m ago"]]
    table = render_table(
        ["ID", "STATUS", "DONE", "NAME", "PROFILE", "CREATED"], rows, shrink_column=3
    )
    lines = table.splitlines()
    assert all(cell_width(line) <= 80 for line in lines)
    assert lines[1].startswith("bt-abc123  ✔ completed")
    assert "…" in lines[1] and lines[1].endswith("prod     3m ago")


def test_table_columns_align_with_wide_characters() -> None:
    table = render_table(["A", "B"], [["日本", "x"], ["ab", "y"]], shrink_column=0)
    first, second, third = table.splitlines()
    assert first.index("B") == 6
    assert cell_width(second[: second.index("x")]) == cell_width(third[: third.index("y")])


def test_relative_time() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert relative_time(now - timedelta(seconds=42), now=now) == "42s ago"
    assert relative_time(now - timedelta(minutes=5, seconds=3), now=now) == "5m ago"
    assert relative_time(now - timedelta(hours=26), now=now) == "1d ago"
    assert relative_time(now + timedelta(minutes=10), now=now) == "in 10m"


def test_iso_utc_is_z_suffixed_utc() -> None:
    moment = datetime(2026, 1, 1, 13, 0, 5, 123456, tzinfo=UTC) + timedelta(hours=0)
    assert iso_utc(moment) == "2026-01-01T13:00:05Z"
    assert iso_utc(None) is None
