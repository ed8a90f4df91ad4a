"""Every CLI command, run in a pseudo-terminal against a provider whose every string is
hostile, writes nothing a terminal acts on beyond batchtui's own progress redraw.

The commands come from the parser (a new command is covered without editing this test);
their arguments are made from their metavars (JOB is a job in the registry, FILE an
input file...). The registry holds jobs whose every string field (name, remote id,
endpoint, window, model, file ids, tag, errors, metadata, history notes) carries ESC,
C0/C1 controls, OSC 0/8/52, `CSI 2J` and the bidi overrides and isolates; the provider
answers every call with objects whose every string does too, and results whose text
does. Each command runs as it is and, when it has one, with `--json`.
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import select
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from batchtui.cli.parser import build_parser
from batchtui.core.models import BatchError, Job, RequestCounts
from batchtui.core.registry import Registry
from batchtui.core.status import JobStatus

from .conftest import BATCHTUI, KEY_ENV, assert_inert, cli_env

# Every kind of sequence the issue names: OSC 0 (title), OSC 8 (hyperlink), OSC 52
# (clipboard), CSI 2J (clear), C0 and C1 controls, bidi embeddings/overrides/isolates.
HOSTILE = (
    "\x1b]0;pwned\x07\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\\x1b]52;c;cHduZWQ=\x07"
    "\x1b[2J\x1b[H\x00\x01\x07\x08\x0b\x0c\r\x7f\x85\x9b2J\x9d0;pwned\x9c\x90q\x9c"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069[bold]markup[/]"
)
# batchtui's own: the progress line's redraw (carriage return, erase line).
OWN_STYLING = re.compile(r"\r\x1b\[K")
SKIPPED = {
    # A server, not a viewer: it never shows what a provider sent.
    "simulate": "the local simulator server",
}


def hostile(prefix: str) -> str:
    return f"{prefix}{HOSTILE}"


def hostile_batch(batch_id: str, status: str = "completed") -> dict[str, Any]:
    return {
        "id": batch_id,
        "object": "batch",
        "endpoint": hostile("/v1/chat/completions"),
        "model": hostile("gpt"),
        "input_file_id": hostile("file-in"),
        "output_file_id": hostile("file-out"),
        "error_file_id": hostile("file-err"),
        "completion_window": hostile("24h"),
        "status": status,
        "created_at": 1711471533,
        "completed_at": 1711471600,
        "request_counts": {"total": 2, "completed": 1, "failed": 1},
        "errors": {"data": [{"code": hostile("c"), "message": hostile("m"), "line": 1}]},
        "metadata": {hostile("k"): hostile("v"), "batchtui_name": hostile("name")},
    }


def result_lines() -> bytes:
    ok = {
        "id": hostile("req"),
        "custom_id": hostile("r1"),
        "response": {
            "status_code": 200,
            "body": {
                "model": hostile("gpt"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": hostile("answer")},
                        "finish_reason": hostile("stop"),
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
            },
        },
        "error": None,
    }
    failed = {
        "id": hostile("req"),
        "custom_id": hostile("r2"),
        "response": {
            "status_code": 400,
            "body": {"error": {"message": hostile("refused"), "code": hostile("code")}},
        },
        "error": None,
    }
    return (json.dumps(ok) + "\n" + json.dumps(failed) + "\n").encode()


def input_lines() -> str:
    lines = [
        {
            "custom_id": custom_id,
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": HOSTILE}]},
        }
        for custom_id in (hostile("r1"), hostile("r2"))
    ]
    return "".join(json.dumps(line) + "\n" for line in lines)


class HostileProvider(BaseHTTPRequestHandler):
    """Answers every OpenAI batch call with hostile strings in every field."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        path = unquote(self.path.split("?", 1)[0])
        status, body, kind = 200, b"", "application/json"
        if path.endswith("/content"):
            body, kind = result_lines(), "application/octet-stream"
        elif path.startswith("/v1/files"):
            body = json.dumps(
                {
                    "id": hostile("file-in"),
                    "object": "file",
                    "bytes": len(result_lines()),
                    "filename": HOSTILE,
                }
            ).encode()
        elif path == "/v1/batches" and self.command == "GET":
            data = [hostile_batch(hostile(f"batch_listed{n}")) for n in range(2)]
            body = json.dumps({"object": "list", "data": data, "has_more": False}).encode()
        elif path == "/v1/batches":
            body = json.dumps(hostile_batch(hostile("batch_new"), "validating")).encode()
        elif path.startswith("/v1/batches/"):
            batch_id = path.removeprefix("/v1/batches/").removesuffix("/cancel")
            state = "cancelled" if path.endswith("/cancel") else "completed"
            body = json.dumps(hostile_batch(batch_id, state)).encode()
        else:
            status, body = 404, json.dumps({"error": {"message": hostile("no route")}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    do_GET = do_POST = do_DELETE = _answer


@pytest.fixture
def provider_url() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), HostileProvider)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


def hostile_job(number: int, status: JobStatus, folder: Path, **fields: Any) -> Job:
    values: dict[str, Any] = {
        "id": f"bt-evil{number}",
        "name": hostile("name"),
        "profile": "hostile",
        "kind": "openai",
        "tag": hostile(f"tag{number}"),
        "status": status,
        "raw_status": hostile(str(status)),
        "remote_id": hostile(f"batch_{number}"),
        "endpoint": hostile("/v1/chat/completions"),
        "model": hostile("gpt"),
        "completion_window": hostile("24h"),
        "input_path": folder / "input.jsonl",
        "input_lines": 2,
        "input_file_id": hostile("file-in"),
        "output_file_id": hostile("file-out"),
        "error_file_id": hostile("file-err"),
        "request_counts": RequestCounts(total=2, completed=1, failed=1),
        "last_error": hostile("last"),
        "errors": [BatchError(code=hostile("c"), message=hostile("m"), param=HOSTILE, line=2)],
        "metadata": {hostile("k"): hostile("v")},
    }
    values.update(fields)
    return Job.model_validate(values)


@dataclass
class World:
    folder: Path
    job_ids: tuple[str, ...]
    input_file: Path
    dataset: Path
    env: dict[str, str]


@pytest.fixture
def world(tmp_path: Path, provider_url: str) -> World:
    folder = tmp_path / "work"
    folder.mkdir()
    input_file = folder / "input.jsonl"
    input_file.write_text(input_lines())
    dataset = folder / "dataset.csv"
    dataset.write_text(f'id,text\n1,"{HOSTILE}"\n2,plain\n')
    results = folder / "output.jsonl"
    results.write_bytes(result_lines())
    config = Path(os.environ["BATCHTUI_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f'[settings]\ndefault_profile = "hostile"\n\n[profiles.hostile]\nkind = "openai"\n'
        f'base_url = "{provider_url}"\napi_key_env = "{KEY_ENV}"\ntimeout = 5\n'
        'headers = { "X-Note" = "plain" }\n'
    )
    registry = Registry(Path(os.environ["BATCHTUI_DATA_DIR"]) / "registry.sqlite3")
    done = hostile_job(1, JobStatus.COMPLETED, folder, output_path=results)
    registry.add_job(done, note=hostile("note"))
    registry.add_job(hostile_job(2, JobStatus.FAILED, folder), note=hostile("note"))
    running = hostile_job(3, JobStatus.IN_PROGRESS, folder)
    registry.add_job(running, note=hostile("note"))
    registry.close()
    env = cli_env(TERM="xterm-256color", COLUMNS="100", LINES="40")
    return World(folder, (done.id, running.id), input_file, dataset, env)


def subcommands() -> list[tuple[str, ...]]:
    """Every command path the parser knows (`profile show` is one), minus SKIPPED."""
    found: list[tuple[str, ...]] = []

    def walk(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
        actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not actions:
            found.append(path)
            return
        for name, sub in actions[0].choices.items():
            if name not in SKIPPED:
                walk(sub, (*path, name))

    walk(build_parser(), ())
    return found


def arguments(path: tuple[str, ...], world: World) -> list[list[str]]:
    """The runs of one command: its positionals and required options made from their
    metavars (a JOB is the finished job, then the running one), plus a `--json` run when
    it has the flag, plus what a few commands need to get anywhere (an output, a model)."""
    parser = build_parser()
    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    runs = []
    for job_id in world.job_ids:
        args: list[str] = list(path)
        has_json = takes_job = False
        for action in parser._actions:
            if action.option_strings:
                has_json |= "--json" in action.option_strings
                if action.required:
                    args += [action.option_strings[-1], value_for(action, world, job_id)]
            elif not isinstance(action, argparse._SubParsersAction):
                args.append(value_for(action, world, job_id))
                takes_job |= args[-1] == job_id
        args += EXTRA.get(path, lambda _world: [])(world)
        runs.append(args)
        if has_json:
            runs.append([*args, "--json"])
        if not takes_job:
            break
    return runs


EXTRA = {
    ("compose",): lambda world: ["--model", "gpt-4o-mini", "-o", str(world.folder / "c.jsonl")],
    ("convert",): lambda world: ["-o", str(world.folder / "converted.jsonl")],
    ("download",): lambda world: ["-o", str(world.folder / "downloaded")],
    ("export",): lambda world: ["-o", "-"],  # to the terminal: shown inert
    ("profile", "add"): lambda world: ["--base-url", "http://127.0.0.1:9/v1", "--header",
                                       "X=" + HOSTILE.replace("\x00", ""), "--replace"],
}  # fmt: skip


def value_for(action: argparse.Action, world: World, job_id: str) -> str:
    if action.choices:
        return sorted(action.choices)[0]
    metavar = str(action.metavar or action.dest).upper()
    if metavar == "FILE":
        return str(world.input_file)
    if metavar == "DATASET":
        return str(world.dataset)
    if metavar == "NAME":
        return "hostile"
    if action.dest == "kind":
        return "openai"
    if action.dest == "template":
        return "{text}"
    return job_id  # JOB, JOB|FILE and anything new: a hostile job


def run_in_pty(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60) -> bytes:
    """Everything `batchtui ARGS` writes to a terminal (stdout and stderr share it)."""
    main, secondary = pty.openpty()
    process = subprocess.Popen(
        [str(BATCHTUI), *args], stdin=subprocess.DEVNULL, stdout=secondary, stderr=secondary,
        env=env, cwd=cwd, close_fds=True,
    )  # fmt: skip
    os.close(secondary)
    output = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(main, 65536)
                except OSError:  # EIO: the command ended and closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
            elif process.poll() is not None:
                break
        else:
            raise AssertionError(f"{args} did not end in {timeout} s: {bytes(output)[-500:]!r}")
    finally:
        os.close(main)
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
    return bytes(output)


@pytest.mark.parametrize("path", subcommands(), ids=" ".join)
def test_every_command_writes_nothing_a_terminal_acts_on(
    path: tuple[str, ...], world: World
) -> None:
    for args in arguments(path, world):
        shown = run_in_pty(args, world.env, world.folder)
        assert shown, f"{args}: printed nothing"
        assert_inert(shown.replace(b"\r\n", b"\n"), allowed=OWN_STYLING)


def test_the_commands_are_found_from_the_parser() -> None:
    found = {path[0] for path in subcommands()}
    assert {"status", "sync", "export", "results", "jobs", "profile"} <= found
    assert ("profile", "show") in subcommands()
