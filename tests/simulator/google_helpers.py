"""Helpers of the Google API tests: service-account keys, signed JWTs, uploads, polling."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
BUCKET = "batchtui-sim-bucket"
PROJECT = "batchtui-sim"
LOCATION = "us-central1"
MODEL = "gemini-2.5-flash"
KEY = "gemini-sim-key"
JOBS = f"/v1/projects/{PROJECT}/locations/{LOCATION}/batchPredictionJobs"


@cache
def rsa_key(name: str = "default") -> rsa.RSAPrivateKey:
    """One key per name for the whole session: generating keys is slow."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def write_service_account(path: Path, email: str, key: rsa.RSAPrivateKey) -> Path:
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": "k1",
        "private_key": pem,
        "client_email": email,
        "token_uri": GOOGLE_TOKEN_URL,
    }
    path.write_text(json.dumps(info))
    return path


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def sign_jwt(key: rsa.RSAPrivateKey, claims: dict[str, Any], alg: str = "RS256") -> str:
    header = _b64(json.dumps({"alg": alg, "typ": "JWT", "kid": "k1"}).encode())
    payload = _b64(json.dumps(claims).encode())
    signature = key.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{payload}.{_b64(signature)}"


def claims(email: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": email,
        "scope": CLOUD_PLATFORM,
        "aud": GOOGLE_TOKEN_URL,
        "iat": now,
        "exp": now + 3600,
    }
    return {**base, **overrides}


def request_token(client: httpx.Client, assertion: str) -> httpx.Response:
    return client.post("/token", data={"grant_type": JWT_BEARER, "assertion": assertion})


def token_for(client: httpx.Client, credentials: Path, **overrides: Any) -> str:
    """An access token for the service-account key file `credentials`."""
    info = json.loads(credentials.read_text())
    key = serialization.load_pem_private_key(info["private_key"].encode(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    answer = request_token(client, sign_jwt(key, claims(info["client_email"], **overrides)))
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def google_error(response: httpx.Response, status: int, name: str) -> str:
    """Check Google's envelope `{"error": {"code", "message", "status"}}`; returns the message."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == status
    assert error["status"] == name
    assert isinstance(error["message"], str) and error["message"]
    return error["message"]


def jsonl(rows: list[Any]) -> bytes:
    return b"".join(json.dumps(row).encode() + b"\n" for row in rows)


def gemini_line(key: str, text: str) -> dict[str, Any]:
    return {"key": key, "request": {"contents": [{"role": "user", "parts": [{"text": text}]}]}}


def vertex_line(custom_id: str, text: str) -> dict[str, Any]:
    return {
        "request": {
            "contents": [{"role": "user", "parts": [{"text": text}]}],
            "labels": {"custom_id": custom_id},
        }
    }


def start_upload(client: httpx.Client, size: int, name: str = "requests") -> str:
    answer = client.post(
        "/upload/v1beta/files",
        json={"file": {"displayName": name}},
        headers={
            "X-Goog-Upload-Protocol": "resumable",
            "X-Goog-Upload-Command": "start",
            "X-Goog-Upload-Header-Content-Length": str(size),
            "X-Goog-Upload-Header-Content-Type": "application/jsonl",
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-Goog-Upload-Status"] == "active"
    return answer.headers["X-Goog-Upload-URL"]


def send_chunk(
    client: httpx.Client, url: str, data: bytes, offset: int, *, final: bool
) -> httpx.Response:
    command = "upload, finalize" if final else "upload"
    return client.post(
        url,
        content=data,
        headers={"X-Goog-Upload-Command": command, "X-Goog-Upload-Offset": str(offset)},
    )


def upload_gemini_file(
    client: httpx.Client, data: bytes, chunk: int | None = None
) -> dict[str, Any]:
    """The Files API's resumable upload, in chunks of `chunk` bytes; returns the File."""
    url = start_upload(client, len(data))
    chunk = chunk or max(1, len(data))
    offset = 0
    while True:
        piece = data[offset : offset + chunk]
        final = offset + len(piece) >= len(data)
        answer = send_chunk(client, url, piece, offset, final=final)
        assert answer.status_code == 200, answer.text
        if final:
            assert answer.headers["X-Goog-Upload-Status"] == "final"
            return answer.json()["file"]
        assert answer.headers["X-Goog-Upload-Status"] == "active"
        offset += len(piece)


def create_gemini_batch(client: httpx.Client, rows: list[Any], **batch: Any) -> dict[str, Any]:
    uploaded = upload_gemini_file(client, jsonl(rows))
    body = {"batch": {"displayName": "t", "inputConfig": {"fileName": uploaded["name"]}, **batch}}
    answer = client.post(f"/v1beta/models/{MODEL}:batchGenerateContent", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def poll(
    read: Callable[[], dict[str, Any]],
    done: Callable[[dict[str, Any]], bool],
    timeout: float = 10.0,
) -> Iterator[dict[str, Any]]:
    """Every answer of `read()` until `done(answer)` (the last one included)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = read()
        yield answer
        if done(answer):
            return
        if time.monotonic() > deadline:
            pytest.fail(f"still not done after {timeout}s: {json.dumps(answer)[:300]}")
        time.sleep(0.02)


def gemini_states(client: httpx.Client, name: str, *final: str) -> list[dict[str, Any]]:
    """Every Operation seen while polling `name` until its state is one of `final`."""
    return list(
        poll(
            lambda: client.get(f"/v1beta/{name}").json(),
            lambda operation: operation["metadata"]["state"] in final,
        )
    )


def vertex_states(client: httpx.Client, name: str, *final: str) -> list[dict[str, Any]]:
    return list(poll(lambda: client.get(f"/v1/{name}").json(), lambda job: job["state"] in final))


def put_object(
    client: httpx.Client, name: str, data: bytes, bucket: str = BUCKET
) -> httpx.Response:
    return client.post(
        f"/upload/storage/v1/b/{bucket}/o",
        params={"uploadType": "media", "name": name},
        content=data,
        headers={"Content-Type": "application/jsonl"},
    )


def object_path(name: str, bucket: str = BUCKET) -> str:
    return f"/storage/v1/b/{bucket}/o/{quote(name, safe='')}"


def list_names(client: httpx.Client, prefix: str, bucket: str = BUCKET) -> list[str]:
    names: list[str] = []
    token = None
    while True:
        params = {"prefix": prefix, **({"pageToken": token} if token else {})}
        page = client.get(f"/storage/v1/b/{bucket}/o", params=params).json()
        names += [item["name"] for item in page.get("items", [])]
        token = page.get("nextPageToken")
        if not token:
            return names


def create_vertex_job(
    client: httpx.Client, input_name: str, display_name: str = "job", **extra: Any
) -> dict[str, Any]:
    body = {
        "displayName": display_name,
        "model": f"publishers/google/models/{MODEL}",
        "inputConfig": {
            "instancesFormat": "jsonl",
            "gcsSource": {"uris": [f"gs://{BUCKET}/{input_name}"]},
        },
        "outputConfig": {
            "predictionsFormat": "jsonl",
            "gcsDestination": {"outputUriPrefix": f"gs://{BUCKET}/out/"},
        },
        **extra,
    }
    answer = client.post(JOBS, json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


SA_EMAIL = "tester@batchtui-sim.iam.gserviceaccount.com"


class GoogleSim:
    """A simulator with a registered service account: `.client` (root URL, no credentials),
    `.vertex` (Bearer token set), `.gemini` (API key set), `.handle`."""

    def __init__(self, start_simulator: Callable[..., Any], tmp_path: Path, **options: Any):
        tmp_path.mkdir(parents=True, exist_ok=True)
        account = write_service_account(tmp_path / "sa.json", SA_EMAIL, rsa_key())
        options.setdefault("gcp_service_accounts", [account])
        options.setdefault("phase_seconds", 0.05)
        self.account = account
        self.handle = start_simulator(**options)
        root = self.handle.root_url
        self.client = httpx.Client(base_url=root, timeout=10)
        self.gemini = httpx.Client(base_url=root, timeout=10, headers={"x-goog-api-key": KEY})
        token = token_for(self.client, account)
        self.vertex = httpx.Client(
            base_url=root, timeout=10, headers={"Authorization": f"Bearer {token}"}
        )

    def close(self) -> None:
        for client in (self.client, self.gemini, self.vertex):
            client.close()


@pytest.fixture
def google_sim(start_simulator, tmp_path) -> Iterator[Callable[..., GoogleSim]]:
    """Factory: `google_sim(**simulator options)` -> GoogleSim (closed at teardown)."""
    made: list[GoogleSim] = []

    def make(**options: Any) -> GoogleSim:
        sim = GoogleSim(start_simulator, tmp_path / f"google-{len(made)}", **options)
        made.append(sim)
        return sim

    yield make
    for sim in made:
        sim.close()
