"""The job service is a facade over small use case modules, and tests reach in only through
the hooks handed to it (no test-only environment variable in the product)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from batchtui.core.jobs.hooks import JobHooks
from batchtui.core.service import JobService

SRC = Path(__file__).resolve().parents[2] / "src" / "batchtui"
JOBS = SRC / "core" / "jobs"
DOCSTRING = (
    "Job use cases: submit, reconcile, refresh, results, groups, retries, sync, "
    "and the refresh loop."
)


def test_the_package_says_what_it_holds() -> None:
    assert ast.get_docstring(ast.parse((JOBS / "__init__.py").read_text())) == DOCSTRING


def test_each_use_case_module_is_small_and_says_what_it_owns() -> None:
    for path in JOBS.glob("*.py"):
        lines = len(path.read_text().splitlines())
        assert lines <= 400, f"{path.name}: {lines} lines"
        assert ast.get_docstring(ast.parse(path.read_text())), f"{path.name}: no docstring"


def test_the_service_is_a_facade_under_300_lines() -> None:
    assert len((SRC / "core" / "service.py").read_text().splitlines()) < 300


def test_the_facade_keeps_the_method_names_front_ends_call() -> None:
    names = {name for name, _ in inspect.getmembers(JobService) if not name.startswith("_")}
    assert {
        "validate", "plan_submit", "submit", "submit_file", "submit_group", "reconcile",
        "settle_leftovers", "refresh", "poll", "cancel", "sync", "download",
        "download_report", "iter_results", "refresh_group", "cancel_group", "download_group",
        "iter_group_results", "provider", "aclose", "grace_for", "is_stale",
    } <= names  # fmt: skip


def test_no_test_pause_is_read_from_the_environment() -> None:
    for path in (SRC / "core").rglob("*.py"):
        assert "TEST_PAUSE" not in path.read_text(), path


def test_hooks_do_nothing_by_default() -> None:
    hooks = JobHooks()
    assert hooks.downloading(1, 2) is None
    assert inspect.iscoroutinefunction(hooks.reached)
