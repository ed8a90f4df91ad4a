"""Helpers for the Gemini and Vertex provider tests: input files, service-account keys, polling."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from batchtui.core.formats.results import parse_result_line
from batchtui.core.models import RemoteBatch, ResultRecord
from batchtui.core.providers.base import BatchProvider
from batchtui.simulator import SimulatorHandle

MODEL = "gemini-2.5-flash"
PROJECT = "batchtui-sim"
BUCKET = "batchtui-sim-bucket"
TAG = "0f8fad5b-d9cb-469f-a165-70867728950e"


def chat_line(custom_id: str, prompt: str, model: str = MODEL) -> str:
    return json.dumps(
        {
            "custom_id": custom_id,
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": model, "messages": [{"role": "user", "content": prompt}]},
        }
    )


def write_openai_file(
    path: Path, custom_ids: list[str], *, failing: set[str] = frozenset()
) -> Path:
    """One chat request per id; ids in `failing` ask the simulator to fail that request."""
    lines = [
        chat_line(cid, f"[sim:error] fail {cid}" if cid in failing else f"Say hi to {cid}")
        for cid in custom_ids
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_service_account(path: Path, *, email: str, token_uri: str) -> Path:
    """A service-account key file as the Cloud console writes it, with a fresh RSA key (0600)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": "0123456789abcdef",
        "private_key": pem,
        "client_email": email,
        "client_id": "1",
        "token_uri": token_uri,
    }
    path.write_text(json.dumps(info))
    os.chmod(path, 0o600)
    return path


def point_at(path: Path, token_uri: str) -> None:
    """Rewrite a key file's token_uri (the simulator's port is known only once it runs)."""
    info = json.loads(path.read_text())
    info["token_uri"] = token_uri
    path.write_text(json.dumps(info))


def start_google_simulator(
    start_simulator: Callable[..., SimulatorHandle], key_file: Path, **options: Any
) -> SimulatorHandle:
    """A simulator trusting `key_file`'s account, whose token_uri is pointed at it."""
    handle = start_simulator(gcp_service_accounts=[key_file], quiet=True, **options)
    point_at(key_file, f"{handle.root_url}/token")
    return handle


async def wait_until_terminal(
    provider: BatchProvider, batch_id: str, *, timeout: float = 20.0
) -> RemoteBatch:
    deadline = time.monotonic() + timeout
    batch = await provider.retrieve(batch_id)
    while not batch.status.is_terminal:
        if time.monotonic() > deadline:
            raise AssertionError(f"{batch_id} still {batch.raw_status} after {timeout}s")
        await asyncio.sleep(0.1)
        batch = await provider.retrieve(batch_id)
    return batch


async def read_records(provider: BatchProvider, file_id: str) -> list[ResultRecord]:
    return [parse_result_line(line) async for line in provider.iter_lines(file_id) if line]
