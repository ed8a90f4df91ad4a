"""Atomic writes: the target is either the old file or the whole new one, never a mix."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from batchtui.core.fsutil import atomic_output, atomic_write_text


def test_a_failed_block_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_output(target, text=True) as handle:
        handle.write("half of the new")
        raise RuntimeError("disk full")
    assert target.read_text() == "old\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.jsonl"]


def test_a_finished_block_replaces_the_file(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.bin"
    with atomic_output(target) as handle:
        handle.write(b"\x00new")
    assert target.read_bytes() == b"\x00new"


def test_owned_files_are_private_and_chosen_ones_follow_the_umask(tmp_path: Path) -> None:
    atomic_write_text(tmp_path / "config.toml", "x = 1\n")
    assert (tmp_path / "config.toml").stat().st_mode & 0o777 == 0o600
    old = os.umask(0o022)
    try:
        with atomic_output(tmp_path / "export.csv", text=True) as handle:
            handle.write("a,b\n")
    finally:
        os.umask(old)
    assert (tmp_path / "export.csv").stat().st_mode & 0o777 == 0o644
