"""Layer contracts (`[tool.importlinter]` in pyproject.toml), checked by the real
import-linter in an environment of its own, so it never changes the one tests import from."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from realparts.provision import ensure_venv

ROOT = Path(__file__).resolve().parents[2]
IMPORT_LINTER = "import-linter==2.16"


def lint_imports(src: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    venv = ensure_venv("import-linter", [[IMPORT_LINTER]])
    return subprocess.run(
        [
            str(venv / "bin" / "lint-imports"),
            "--config",
            str(ROOT / "pyproject.toml"),
            "--no-cache",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_every_layer_contract_is_kept(tmp_path: Path) -> None:
    run = lint_imports(ROOT / "src", tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 kept, 0 broken" in run.stdout


def test_a_front_end_import_in_core_breaks_the_first_contract(tmp_path: Path) -> None:
    """The check bites: core reaching Rich (as `import httpx` once did by way of click) fails."""
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "batchtui", src / "batchtui")
    units = src / "batchtui" / "core" / "units.py"
    units.write_text(units.read_text() + "\nimport rich  # noqa\n")
    run = lint_imports(src, tmp_path)
    assert run.returncode != 0
    assert "core reaches no front end, simulator, demo, Textual or Rich BROKEN" in run.stdout
    assert "batchtui.core.units -> rich" in run.stdout
