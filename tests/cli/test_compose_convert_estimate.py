"""`compose`, `convert`, and the estimate, cost and headroom `validate` and `submit` print."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .conftest import API_KEY, CLI, KEY_ENV, request_line


def write_config(url: str, *, extra: str = "", limit: int | None = None) -> Path:
    path = Path(os.environ["BATCHTUI_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (
        f'[profiles.sim]\nkind = "openai"\nbase_url = "{url}"\napi_key_env = "{KEY_ENV}"\n'
        "timeout = 10\n"
    )
    if limit is not None:
        text += f"enqueued_token_limit = {limit}\n"
    path.write_text(text + extra)
    return path


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("id,question,topic\n" + "".join(row + "\n" for row in rows))
    return path


def test_compose_writes_validates_and_estimates(cli: CLI, tmp_path: Path) -> None:
    dataset = write_csv(tmp_path / "qs.csv", ["q1,What is 2+2?,math", "q2,Name a colour,art"])
    done = cli(
        "compose", str(dataset), "--template", "Answer ({topic}): {question}",
        "--system", "Be brief.", "--model", "gpt-4o-mini", "--id-column", "id",
        "--max-tokens", "20", "--temperature", "0",
    )  # fmt: skip
    assert done.code == 0, done.stderr
    output = tmp_path / "qs.requests.jsonl"
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert [line["custom_id"] for line in lines] == ["q1", "q2"]
    assert lines[0]["body"] == {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Answer (math): What is 2+2?"},
        ],
        "max_completion_tokens": 20,
        "temperature": 0.0,
    }
    out = done.stdout.splitlines()
    assert out[0].startswith("wrote 2 requests (") and out[0].endswith(f"to {output}")
    assert out[1].startswith("estimate: ~") and "at most 40 output tokens" in out[1]
    assert out[2].startswith("cost: ") and "gpt-4o-mini" in out[2]
    assert out[-1] == f"next: batchtui submit {output}"


def test_compose_errors_name_the_column_and_the_row(cli: CLI, tmp_path: Path) -> None:
    dataset = tmp_path / "qs.csv"
    dataset.write_text("id,question\nq1,fine\nq2\n")
    done = cli("compose", str(dataset), "--template", "{question}", "--model", "m", "-o", "o.jsonl")
    assert done.code == 1
    error = done.one_error_line()
    assert f"{dataset}:3: row 2 has no column 'question'" in error
    assert not (tmp_path / "o.jsonl").exists()

    unknown = cli("compose", str(dataset), "--template", "{answer}", "--model", "m")
    assert "row 1 has no column 'answer'" in unknown.one_error_line()
    no_model = cli("compose", str(dataset), "--template", "{question}")
    assert no_model.code == 2 and "--model: required" in no_model.one_error_line()
    missing = cli("compose", str(tmp_path / "nope.csv"), "--template", "x", "--model", "m")
    assert missing.code == 1 and "nope.csv: cannot open" in missing.one_error_line()


def test_convert_prints_what_it_could_not_convert(cli: CLI, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    good = json.loads(request_line("a", "hello"))
    good["body"]["logit_bias"] = {"1": 2}
    tool = json.loads(request_line("b", "hi"))
    tool["body"]["messages"].append({"role": "assistant", "tool_calls": [{"id": "c"}]})
    source.write_text(json.dumps(good) + "\n" + json.dumps(tool) + "\n")

    done = cli("convert", str(source), "--to", "gemini")

    assert done.code == 1
    assert done.stdout.splitlines() == [
        f"{source}:1: body.logit_bias: logit_bias has no Gemini equivalent",
        f"{source}:2: line skipped: body.messages[1]: tool calls and tool results are not "
        "converted",
        f"converted 1 of 2 lines (openai -> gemini) into {tmp_path / 'in.gemini.jsonl'}; "
        "1 skipped; fields dropped: body.logit_bias (1)",
    ]
    [line] = (tmp_path / "in.gemini.jsonl").read_text().splitlines()
    assert json.loads(line)["key"] == "a"

    as_json = cli("convert", str(source), "--to", "vertex", "-o", "v.jsonl", "--json")
    assert as_json.code == 1 and as_json.json()["lines_written"] == 1
    back = cli("convert", str(tmp_path / "v.jsonl"), "--to", "openai", "-o", "back.jsonl")
    assert back.code == 2 and "model" in back.one_error_line()
    back = cli("convert", str(tmp_path / "v.jsonl"), "--to", "openai", "--model", "gpt-4o-mini")
    assert back.code == 0, back.stderr
    assert "converted 1 of 1 lines (vertex -> openai)" in back.stdout


def test_validate_with_a_profile_shows_config_prices_and_headroom(
    cli: CLI, simulator, input_file: Path
) -> None:
    write_config(
        simulator.url, limit=1_000, extra='[prices."gpt-4o-mini"]\ninput = 100\noutput = 200\n'
    )
    done = cli("validate", str(input_file), "--profile", "sim")
    assert done.code == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"{input_file}: 3 requests, OK"
    assert lines[1].startswith("estimate: ~") and "3 requests without an output cap" in lines[1]
    assert lines[2].startswith("cost: ~$0.") and "your config" in lines[2]
    assert lines[3].startswith("headroom: in flight: 0 of 1,000 enqueued tokens for gpt-4o-mini")
    assert lines[3].endswith(": fits")

    data = cli("validate", str(input_file), "--profile", "sim", "--json").json()
    estimate = data["estimate"]
    assert estimate["requests"] == 3 and estimate["input_tokens"] > 0
    assert estimate["cost"]["price_source"] == "config"
    assert estimate["cost"]["usd"] == pytest.approx(
        (estimate["input_tokens"] * 100 + estimate["max_output_tokens"] * 200) / 1_000_000
    )
    assert estimate["headroom"]["limit"] == 1_000 and estimate["headroom"]["exceeds"] is False
    assert estimate["shards"] == 1


def test_validate_names_a_model_without_a_price(cli: CLI, tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(request_line("a", "hi", model="my-own-model") + "\n")
    done = cli("validate", str(path))
    assert done.code == 0
    assert "cost: no price for model 'my-own-model'" in done.stdout
    assert cli("validate", str(path), "--json").json()["estimate"]["cost"] is None


def test_a_bad_price_in_config_is_one_line_naming_the_setting(cli: CLI, input_file: Path) -> None:
    path = write_config("http://127.0.0.1:9/v1", extra='[prices."gpt-4o"]\ninput = "cheap"\n')
    done = cli("validate", str(input_file))
    assert done.code == 2
    assert done.one_error_line() == (
        f'batchtui: error: {path}: prices."gpt-4o".input must be a number '
        "(US dollars per 1M tokens)"
    )


def test_submit_warns_of_headroom_on_stderr_and_still_submits(
    cli: CLI, simulator, input_file: Path
) -> None:
    write_config(simulator.url, limit=10)
    done = cli("submit", str(input_file), "--json")
    assert done.code == 0, done.stderr
    job = done.json()
    assert job["estimated_input_tokens"] > 10 and job["group_id"] is None
    stderr = done.stderr.splitlines()
    assert stderr[0].startswith("batchtui: estimate: ~")
    assert stderr[1].startswith("batchtui: cost: ")
    assert stderr[2].startswith("batchtui: warning: in flight: 0 of 10 enqueued tokens")
    assert "token_limit_exceeded" in stderr[2] and API_KEY not in done.stderr


def test_compose_never_overwrites_without_force(cli: CLI, tmp_path: Path) -> None:
    dataset = tmp_path / "reviews.csv"
    dataset.write_text("text\nhello\n")
    output = tmp_path / "reviews.requests.jsonl"  # the default name, shared with the TUI
    output.write_text("precious\n")
    args = ("compose", str(dataset), "--template", "{text}", "--model", "gpt-4o-mini")
    refused = cli(*args)
    assert refused.code == 2 and "--force" in refused.one_error_line()
    assert output.read_text() == "precious\n"
    assert cli(*args, "--force").code == 0
    assert "hello" in output.read_text()
