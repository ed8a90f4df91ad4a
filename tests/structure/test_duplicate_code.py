"""No block of 6 or more lines is written twice in src/batchtui, except the pairs listed
with a reason in duplicate_code.toml: pylint's duplicate-code check, in its own environment."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

from realparts.provision import ensure_venv

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = Path(__file__).with_name("duplicate_code.toml")
PYLINT = "pylint==4.1.4"


def similar_groups(package: Path) -> list[frozenset[str]]:
    """The modules of each duplicate block pylint reports under `package`."""
    venv = ensure_venv("pylint", [[PYLINT]])
    run = subprocess.run(
        [
            str(venv / "bin" / "pylint"),
            "--disable=all",
            "--enable=duplicate-code",
            "--min-similarity-lines=6",
            "--score=n",
            package.name,
        ],
        cwd=package.parent,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode in (0, 8), run.stdout + run.stderr  # 8: refactor messages issued
    groups: list[frozenset[str]] = []
    block: set[str] = set()
    for line in run.stdout.splitlines():
        if "R0801" in line and block:
            groups.append(frozenset(block))
            block = set()
        if line.startswith("=="):
            block.add(line[2:].split(":[")[0])
    if block:
        groups.append(frozenset(block))
    return groups


def allowed_groups() -> dict[frozenset[str], str]:
    entries = tomllib.loads(ALLOWED.read_text())["allowed"]
    for entry in entries:
        assert entry.get("reason", "").strip(), f"{entry['modules']}: no reason given"
    return {frozenset(entry["modules"]): entry["reason"] for entry in entries}


def test_no_unlisted_duplicate_code() -> None:
    allowed = allowed_groups()
    found = similar_groups(ROOT / "src" / "batchtui")
    unlisted = [sorted(group) for group in found if group not in allowed]
    assert not unlisted, f"the same lines in: {unlisted} (fold them, or list them with a reason)"


def test_the_check_reports_a_copied_block(tmp_path: Path) -> None:
    package = tmp_path / "copies"
    package.mkdir()
    (package / "__init__.py").write_text('"""Two modules with one function twice."""\n')
    body = (
        "\n\ndef {name}(values):\n    total = 0\n    for value in values:\n"
        "        if value > 10:\n            total += value * 2\n        else:\n"
        "            total -= value\n    result = total / 3\n    return result + 1\n"
    )
    (package / "one.py").write_text('"""One."""' + body.format(name="first"))
    (package / "two.py").write_text('"""Two."""' + body.format(name="second"))
    assert similar_groups(package) == [frozenset({"copies.one", "copies.two"})]
