"""The fast export writer changes speed, never output: rows are byte for byte what
`csv.DictWriter` wrote, on every shape of results the parser reads."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from batchtui.core.export import COLUMNS, PROMPT_COLUMN, _csv_line, export_records, export_row
from batchtui.core.formats.results import parse_result_line
from batchtui.core.models import ResultRecord
from batchtui.core.request_index import RequestIndex
from batchtui.core.resultfile import request_prompt

RESULTS = Path(__file__).parents[1] / "formats" / "fixtures" / "results"


def reference_csv(records: list[ResultRecord], index: RequestIndex | None = None) -> bytes:
    """The export as the csv module writes it (the writer before the fast one)."""
    text = io.StringIO(newline="")
    columns = COLUMNS + ((PROMPT_COLUMN,) if index is not None else ())
    writer = csv.DictWriter(text, columns, lineterminator="\n")
    writer.writeheader()
    for record in records:
        prompt = None
        if index is not None:
            found = index.request(record.custom_id) if record.custom_id is not None else None
            prompt = "" if found is None else request_prompt(found)
        writer.writerow(export_row(record, prompt))
    return text.getvalue().encode("utf-8")


def exported(records: list[ResultRecord], format: str, index: RequestIndex | None = None) -> bytes:
    out = io.BytesIO()
    export_records(records, out, format, index)  # type: ignore[arg-type]
    return out.getvalue()


def corpus_records() -> list[ResultRecord]:
    files = sorted(RESULTS.glob("*.jsonl"))
    assert len(files) >= 7
    lines = [line for path in files for line in path.read_bytes().splitlines() if line.strip()]
    hostile = [b"not json", b"[1]", b'{"custom_id": "x"}', b'{"custom_id":"q,\\"\\n","error":"e"}']
    return [parse_result_line(line) for line in lines + hostile]


def test_corpus_exports_as_the_csv_module_writes_it(tmp_path: Path) -> None:
    records = corpus_records()
    assert exported(records, "csv") == reference_csv(records)
    inputs = tmp_path / "in.jsonl"

    def request(custom_id: str, n: int) -> str:
        body = {"model": "m", "messages": [{"role": "user", "content": f'prompt, "{n}"\n'}]}
        row = {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions"}
        return json.dumps({**row, "body": body}) + "\n"

    inputs.write_text(
        "".join(
            request(record.custom_id, n)
            for n, record in enumerate(records[::2])
            if record.custom_id is not None
        )
    )
    index = RequestIndex.build(inputs)
    assert index is not None
    assert exported(records, "csv", index) == reference_csv(records, index)


def test_jsonl_rows_are_unchanged() -> None:
    records = corpus_records()
    expected = "".join(json.dumps(export_row(r), ensure_ascii=False) + "\n" for r in records)
    assert exported(records, "jsonl") == expected.encode("utf-8")


fields = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(alphabet=st.sampled_from(list("ab ,\"\n\r\t'\\;é\u2028\x00")), max_size=12),
    st.text(max_size=8),
)


@settings(deadline=None)
@given(st.lists(fields, min_size=2, max_size=12))
def test_any_row_is_written_as_the_csv_module_writes_it(row: list[object]) -> None:
    text = io.StringIO(newline="")
    csv.writer(text, lineterminator="\n").writerow(row)
    assert _csv_line(row) == text.getvalue()
