"""A canary key is never written anywhere: files, logs, errors, JSON, tracebacks, screens.

The key (`sk-canary-<random>`) is used through whole CLI flows against the simulator,
every command with `--debug`, and through failures (a wrong key, an unreachable provider,
an internal error with its traceback). Afterwards no output and no file batchtui or the
simulator wrote holds it, whole or URL-quoted.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from batchtui.core.providers.http import REDACTED, Redactor, is_secret_name
from batchtui.simulator import SimulatorHandle

from .conftest import (
    KEY_ENV,
    Run,
    add_profile,
    cli_env,
    request_line,
    run_cli,
)


def new_canary() -> str:
    return f"sk-canary-{uuid.uuid4().hex}"


def forms(canary: str) -> list[bytes]:
    """How the key could appear: as is, URL-quoted, and its distinctive tail alone."""
    return [canary.encode(), quote(canary, safe="").encode(), canary[-16:].encode()]


def assert_absent(canary: str, *outputs: bytes | str, where: str = "") -> None:
    for output in outputs:
        data = output.encode() if isinstance(output, str) else output
        for form in forms(canary):
            assert form not in data, f"the key appears in {where or 'an output'}"


def assert_no_file_holds(canary: str, *roots: Path) -> list[Path]:
    checked = []
    for root in roots:
        for path in [root] if root.is_file() else root.rglob("*"):
            if path.is_file():
                assert_absent(canary, path.read_bytes(), where=str(path))
                checked.append(path)
    return checked


def assert_clean(canary: str, run: Run) -> Run:
    assert_absent(canary, run.stdout, run.stderr)
    return run


@pytest.fixture
def canary() -> str:
    return new_canary()


@pytest.fixture
def env(canary: str) -> dict[str, str]:
    return cli_env(key=canary)


def batchtui_dirs(home: Path) -> list[Path]:
    return [home / "config", home / "data", home / "state"]


def test_whole_flow_with_debug_never_shows_the_key(
    canary: str,
    env: dict[str, str],
    simulator: SimulatorHandle,
    isolated_environment: Path,
    tmp_path: Path,
) -> None:
    add_profile(simulator.url, env=env)
    source = tmp_path / "input.jsonl"
    source.write_text(
        "".join(request_line(f"r{n}", p) + "\n" for n, p in enumerate(["hi", "[sim:error] x"]))
    )
    submitted = assert_clean(
        canary, run_cli("--debug", "submit", str(source), "--profile", "sim", "--json", env=env)
    )
    assert submitted.code == 0, submitted.err
    assert "Bearer <redacted>" in submitted.err or REDACTED in submitted.err  # it did log
    job_id = json.loads(submitted.out)["id"]
    runs = [
        run_cli("--debug", "watch", job_id, "--interval", "1", env=env, timeout=120),
        run_cli("--debug", "results", job_id, env=env),
        run_cli("--debug", "results", job_id, "--json", env=env),
        run_cli("--debug", "status", job_id, "--refresh", "--json", env=env),
        run_cli("--debug", "jobs", "--json", env=env),
        run_cli("--debug", "download", job_id, "-o", str(tmp_path / "out"), env=env),
        run_cli("--debug", "profile", "show", "sim", env=env),
        run_cli("--debug", "profile", "list", env=env),
        run_cli("--debug", "profile", "test", "sim", env=env),
    ]
    for done in runs:
        assert done.code == 0, done.err
        assert_clean(canary, done)
    files = assert_no_file_holds(
        canary, *batchtui_dirs(isolated_environment), simulator.data_dir, tmp_path / "out"
    )
    assert any(path.name.endswith(".jsonl") for path in files)  # results were downloaded
    assert any("registry" in path.name for path in files)


def test_failures_never_show_the_key(
    canary: str,
    env: dict[str, str],
    start_simulator,
    isolated_environment: Path,
    tmp_path: Path,
) -> None:
    source = tmp_path / "input.jsonl"
    source.write_text(request_line("r1", "hi") + "\n")
    wrong = start_simulator(api_key="sk-the-right-one-000")
    add_profile(wrong.url, "wrong", env=env)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    add_profile(f"http://127.0.0.1:{closed_port}/v1", "gone", env=env, timeout="1")

    for profile in ("wrong", "gone"):
        for debug in ((), ("--debug",)):
            submitted = run_cli(*debug, "submit", str(source), "--profile", profile, env=env)
            assert submitted.code == 1
            assert_clean(canary, submitted)
            tested = run_cli(*debug, "profile", "test", profile, env=env)
            assert tested.code == 1
            assert_clean(canary, tested)
    assert_no_file_holds(canary, *batchtui_dirs(isolated_environment), wrong.data_dir)


def test_traceback_of_an_internal_error_never_shows_the_key(
    canary: str, env: dict[str, str], simulator: SimulatorHandle, tmp_path: Path
) -> None:
    # Break the HTTP layer from inside (a stand-in for any bug) after the request with the
    # key in its headers was built: `--debug` then prints the traceback.
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(
        "from batchtui.core.providers import http\n"
        "async def broken_send(self, request, **options):\n"
        "    raise RuntimeError(f'internal failure with {len(request.headers)} headers')\n"
        "http.ApiClient._send = broken_send\n"
    )
    add_profile(simulator.url, env=env)
    env = {**env, "PYTHONPATH": str(hooks)}

    tested = run_cli("--debug", "profile", "test", "sim", env=env)

    assert tested.code == 1
    assert "Traceback" in tested.err and "internal failure" in tested.err
    assert_clean(canary, tested)
    quiet = run_cli("profile", "test", "sim", env=env)
    assert "internal failure" in quiet.one_error_line()
    assert_clean(canary, quiet)


def test_tui_screen_and_debug_log_never_show_the_key(
    canary: str,
    simulator: SimulatorHandle,
    isolated_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    import asyncio

    from batchtui.tui import app as tui_app

    monkeypatch.setenv(KEY_ENV, canary)
    env = cli_env(key=canary)
    add_profile(simulator.url, env=env)
    source = tmp_path / "input.jsonl"
    source.write_text(request_line("r1", "hi") + "\n")
    assert run_cli("submit", str(source), "--profile", "sim", env=env).code == 0
    log_path = tui_app._setup_debug_log()
    screens: list[str] = []

    async def drive() -> None:
        app = tui_app.BatchtuiApp(debug=True)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(100):
                await pilot.pause(0.05)
                if app.jobs:
                    break
            app.action_refresh()
            await pilot.pause(0.5)
            screens.append(app.export_screenshot())
            await pilot.press("enter")
            await pilot.pause(0.3)
            screens.append(app.export_screenshot())

    try:
        asyncio.run(drive())
    finally:
        for handler in list(tui_app.logging.getLogger("batchtui").handlers):
            if getattr(handler, "baseFilename", None) == str(log_path):
                tui_app.logging.getLogger("batchtui").removeHandler(handler)
                handler.close()
    assert "sim" in screens[0]
    assert_absent(canary, *screens, where="a TUI screenshot")
    assert "GET " in log_path.read_text()  # the poll was logged, with its headers
    assert_no_file_holds(canary, *batchtui_dirs(isolated_environment))


@pytest.mark.parametrize(
    "name",
    ["Authorization", "x-portkey-api-key", "x-goog-api-key", "api-key", "x-portkey-config"],
)
def test_debug_redacts_credential_headers_sent_to_the_server(
    name: str, canary: str, hostile_server, tmp_path: Path
) -> None:
    hostile_server.answer("GET *", {"object": "list", "data": [], "has_more": False})
    env = cli_env(key=canary)
    added = run_cli(
        "profile", "add", "h", "--kind", "openai", "--base-url", hostile_server.url,
        "--api-key-env", KEY_ENV, "--header", f"{name}={canary}", env=env,
    )  # fmt: skip
    assert added.code == 0, added.err

    tested = run_cli("--debug", "profile", "test", "h", env=env)

    assert tested.code == 0, tested.err
    assert_clean(canary, tested)
    sent = {key.lower(): value for key, value in hostile_server.requests[-1][2].items()}
    assert canary in sent[name.lower()]  # it was really sent, and only there
    assert f'"{name.lower()}": "{REDACTED}"' in tested.err.lower() or REDACTED in tested.err


def test_redactor_removes_keys_from_urls_and_text(canary: str) -> None:
    redactor = Redactor([canary])
    url = httpx.URL(f"https://example.invalid/v1beta/models?key={canary}&alt=sse")

    assert canary not in redactor.url(url)
    assert "alt=sse" in redactor.url(url)
    assert canary not in redactor.url(f"https://h.invalid/x?api_key={new_canary()}")
    assert canary not in redactor.text(f"GET /x?key={quote(canary, safe='')} failed")
    for name in ("Authorization", "X-Goog-Api-Key", "x-portkey-api-key", "access_token"):
        assert is_secret_name(name)
    assert not is_secret_name("x-portkey-provider")


def test_config_with_a_readable_key_is_refused_by_the_cli(tmp_path: Path, canary: str) -> None:
    config = Path(os.environ["BATCHTUI_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[profiles.p]\nkind = "openai"\napi_key = "{canary}"\n')
    os.chmod(config, 0o644)

    for args in (("profile", "show", "p"), ("--debug", "profile", "test", "p")):
        refused = run_cli(*args, env=cli_env())
        assert refused.code == 2, refused.err
        assert "chmod 600" in refused.err and str(config) in refused.err
        assert_clean(canary, refused)
    os.chmod(config, 0o600)
    shown = run_cli("profile", "show", "p", env=cli_env())
    assert shown.code == 0, shown.err
    assert_clean(canary, shown)
