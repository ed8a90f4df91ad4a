"""Each rule the CLI and the TUI share is defined once, in core, and the copies it replaced
are gone by name: a second definition is how the three divergences of the past began."""

from __future__ import annotations

import ast
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "batchtui"

# rule -> (the one definition: name and the module that holds it, names that must be gone)
RULES: dict[str, tuple[tuple[str, str], tuple[str, ...]]] = {
    "human byte sizes": (("format_bytes", "core/units.py"), ("human_size", "human_bytes")),
    "which profile is meant": (("meant_profile", "core/config.py"), ("active_profile_name",)),
    "the model a file is priced at": (("priced_model", "core/prices.py"), ()),
    "where a job's results go": (("results_dir", "core/downloads.py"), ("member_dir",)),
    "a shard's folder in its group's": (("shard_folder", "core/downloads.py"), ()),
    "status glyphs": (("UNICODE_GLYPHS", "core/jobview.py"), ("STATUS_GLYPHS",)),
    "ASCII status glyphs": (("ASCII_GLYPHS", "core/jobview.py"), ()),
    "request counts as text": (("counts_text", "core/jobview.py"), ()),
    "which result files the provider reported": (
        ("result_file_ids", "core/localresults.py"),
        (),
    ),
    "are the results on disk": (
        ("results_on_disk", "core/localresults.py"),
        ("is_downloaded", "_has_local_results"),
    ),
    "the result files on disk": (("local_result_paths", "core/localresults.py"), ()),
    "paging local results": (("page_of_files", "core/localresults.py"), ()),
    "usage and cost rows": (("job_usage_rows", "core/costs.py"), ("usage_rows",)),
    "probing a profile": (("check_access", "core/providers/probe.py"), ()),
    "probing a profile alone": (("probe_profile", "core/providers/probe.py"), ()),
    "settling leftover submitting jobs": (("settle_leftovers", "core/jobs/reconcile.py"), ()),
    "a provider kind": (
        ("ProviderKind", "core/providers/kinds.py"),
        ("VERTEX_FLAGS", "GATEWAY_FLAGS", "VERTEX_FIELDS", "LIMITS_BY_KIND", "KINDS_FALLBACK"),
    ),
    "the limits of a kind": (("limits_for_kind", "core/providers/kinds.py"), ()),
}


@cache
def definitions() -> dict[str, list[str]]:
    """Every function, class and module-level name defined under src/batchtui -> modules."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted(SRC.rglob("*.py")):
        module = str(path.relative_to(SRC))
        tree = ast.parse(path.read_text(), filename=module)
        facade = {
            id(method)
            for node in tree.body
            if module == "core/service.py" and isinstance(node, ast.ClassDef)
            for method in node.body
        }  # the service's methods only delegate to the use cases in core/jobs
        for node in ast.walk(tree):
            if id(node) in facade:
                continue
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                found[node.name].append(module)
        for node in tree.body:
            targets = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign):
                targets = [node.target]
            found.update(
                {
                    target.id: [*found[target.id], module]
                    for target in targets
                    if isinstance(target, ast.Name)
                }
            )
    return found


@pytest.mark.parametrize("rule", sorted(RULES))
def test_the_rule_has_one_definition_in_core(rule: str) -> None:
    (name, module), _gone = RULES[rule]
    assert definitions().get(name) == [module], f"{rule}: {name} in {definitions().get(name)}"


@pytest.mark.parametrize("rule", sorted(rule for rule, (_one, gone) in RULES.items() if gone))
def test_the_copies_it_replaced_are_gone(rule: str) -> None:
    _one, gone = RULES[rule]
    left = {name: definitions()[name] for name in gone if definitions().get(name)}
    assert not left, f"{rule}: old copies still defined: {left}"


def _modules_outside(*allowed: str) -> list[tuple[str, ast.AST]]:
    trees = []
    for path in sorted(SRC.rglob("*.py")):
        module = str(path.relative_to(SRC))
        if module not in allowed and not module.startswith("simulator/"):
            trees.append((module, ast.parse(path.read_text(), filename=module)))
    return trees


def test_only_the_config_reads_default_profile() -> None:
    readers = [
        f"{module}:{node.lineno}"
        for module, tree in _modules_outside("core/config.py")
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "default_profile"
    ]
    assert not readers, f"decide the profile with Config.meant_profile: {readers}"


def test_no_model_fallback_is_written_inline() -> None:
    """`report.model or ...` is `priced_model`'s job, so the CLI and the TUI price alike."""
    inline = [
        f"{module}:{node.lineno}"
        for module, tree in _modules_outside("core/prices.py")
        for node in ast.walk(tree)
        if isinstance(node, ast.BoolOp)
        and isinstance(node.op, ast.Or)
        and isinstance(node.values[0], ast.Attribute)
        and node.values[0].attr == "model"
        and isinstance(node.values[0].value, ast.Name)
        and node.values[0].value.id == "report"
        and not all(isinstance(value, ast.Constant) for value in node.values[1:])  # a "-"
    ]
    assert not inline, inline


def test_only_the_download_rules_name_a_shard_folder() -> None:
    """`shard-NN` folders are named by `downloads.shard_folder` alone."""
    named = [
        f"{module}:{node.lineno}"
        for module, tree in _modules_outside("core/downloads.py")
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith("shard-")
    ]
    assert not named, named


def test_only_the_probe_lists_one_batch_to_check_access() -> None:
    calls = [
        f"{module}:{node.lineno}"
        for module, tree in _modules_outside("core/providers/probe.py")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "list_batches"
        and any(kw.arg == "limit" and getattr(kw.value, "value", None) == 1 for kw in node.keywords)
    ]
    assert not calls, calls


def test_cli_and_tui_settle_leftovers_through_the_service() -> None:
    """Neither front end walks `submitting` jobs calling `reconcile` itself."""
    calls = [
        f"{module}:{node.lineno}"
        for module, tree in _modules_outside()
        if module.startswith(("cli/", "tui/"))
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "reconcile"
    ]
    assert not calls, calls
