"""validate reads context windows from config.toml and names a bad one."""

from __future__ import annotations

import json
import os
from pathlib import Path

from .conftest import CLI


def chat(custom_id: str, content: str, model: str) -> str:
    return json.dumps(
        {
            "custom_id": custom_id,
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": model, "messages": [{"role": "user", "content": content}]},
        }
    )


def file_of(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_cli_reads_context_window_from_config(tmp_path: Path, cli: CLI) -> None:
    config = Path(os.environ["BATCHTUI_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[prices."lab/llama"]\ncontext_window = 1000\n')
    path = tmp_path / "in.jsonl"
    path.write_bytes(file_of(chat("a", "word " * 2_000, model="lab/llama")))
    done = cli("validate", str(path))
    assert done.code == 1
    assert "context window of lab/llama" in done.stdout
    config.write_text('[prices."lab/llama"]\ncontext_window = 0\n')
    broken = cli("validate", str(path))
    assert broken.code == 2 and 'prices."lab/llama".context_window' in broken.one_error_line()
