"""Names as job references, and `jobs` output for scripts."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from helpers.cli import CLI


def test_names_work_as_job_references_until_they_are_shared(
    cli: CLI, profile: str, input_file: Path
) -> None:
    job_id = cli("submit", str(input_file), "--name", "eval-v2", "--json").json()["id"]
    status = cli("status", "eval-v2", "--json")
    assert status.code == 0 and status.json()["id"] == job_id
    second = cli("submit", str(input_file), "--name", "eval-v2", "--json").json()["id"]
    ambiguous = cli("status", "eval-v2")
    assert ambiguous.code == 2
    line = ambiguous.one_error_line()
    assert job_id in line and second in line and "ambiguous" in line


def test_jobs_tsv_csv_and_plain_have_no_glyphs(cli: CLI, profile: str, input_file: Path) -> None:
    job_id = cli("submit", str(input_file), "--name", "tab\there", "--json").json()["id"]
    assert cli("watch", job_id, "--interval", "0.1", "--quiet").code == 0

    tsv = cli("jobs", "--format", "tsv").stdout.splitlines()
    assert tsv[0].split("\t")[:5] == ["id", "status", "completed", "failed", "total"]
    row = tsv[1].split("\t")
    assert row[:5] == [job_id, "completed", "3", "0", "3"] and row[5] == "tab here"
    assert all(line.isascii() for line in tsv)

    rows = list(csv.DictReader(io.StringIO(cli("jobs", "--format", "csv").stdout)))
    assert rows[0]["id"] == job_id and rows[0]["status"] == "completed"

    plain = cli("jobs", "--plain").stdout
    assert plain.isascii() and " completed " in plain
    assert cli("jobs", "--format", "json").json()[0]["id"] == job_id
