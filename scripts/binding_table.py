"""Write src/batchtui/core/binding_table.py: the TUI's bindings and Textual's key names as data.

python scripts/binding_table.py --write    # after adding or changing a Binding
python scripts/binding_table.py --check    # exit 1 when the table is out of date

`batchtui doctor` checks `[keys]` against that table so the CLI never imports Textual;
tests/tui/test_binding_table.py fails when it differs from the live bindings.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "src" / "batchtui" / "core" / "binding_table.py"


def formatted(source: str) -> str:
    """The table as `ruff format` leaves it, so the file stays format-clean."""
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(TABLE), "-"],
        input=source,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the table")
    parser.add_argument("--check", action="store_true", help="exit 1 when it is out of date")
    args = parser.parse_args()
    from batchtui.tui.keymap import binding_table_text

    text = formatted(binding_table_text())
    if args.check:
        current = TABLE.read_text(encoding="utf-8") if TABLE.exists() else ""
        if current != text:
            print(f"{TABLE} is out of date: python scripts/binding_table.py --write")
            return 1
        return 0
    if args.write:
        TABLE.write_text(text, encoding="utf-8")
        print(f"wrote {TABLE}")
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
