"""--api-key: 401 in OpenAI's envelope, and the key never echoed anywhere."""

from __future__ import annotations

import httpx
import pytest
from sim_helpers import assert_matches_spec

KEY = "sk-sim-right-0123456789abcdef"
WRONG = "sk-sim-wrong-fedcba9876543210"


def _assert_no_key_in(text: str) -> None:
    for secret in (KEY, WRONG):
        for fragment in (secret, secret[:8], secret[-6:]):
            assert fragment not in text


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": f"Bearer {WRONG}"}, {"Authorization": KEY}, {"Authorization": "Bearer"}],
)
def test_wrong_or_missing_key_is_401_without_echo(start_simulator, headers: dict) -> None:
    handle = start_simulator(api_key=KEY)
    response = httpx.get(f"{handle.url}/batches", headers=headers)
    assert response.status_code == 401
    assert_matches_spec(response.json(), "ErrorResponse")
    assert response.json()["error"]["code"] == "invalid_api_key"
    _assert_no_key_in(response.text)
    _assert_no_key_in(str(response.headers))


def test_right_key_is_accepted(start_simulator) -> None:
    handle = start_simulator(api_key=KEY)
    response = httpx.get(f"{handle.url}/batches", headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 200


def test_without_api_key_any_request_is_accepted(simulator) -> None:
    assert httpx.get(f"{simulator.url}/batches").status_code == 200
    response = httpx.get(f"{simulator.url}/files", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 200


def test_request_log_never_contains_the_key(spawn_simulator_process) -> None:
    process = spawn_simulator_process("--api-key", KEY)
    for key in (KEY, WRONG):
        httpx.get(f"{process.url}/batches", headers={"Authorization": f"Bearer {key}"})
    assert process.stop() == 0
    log = process.stderr_text()
    assert log.count('"GET /v1/batches"') == 2
    assert " 401 " in log and " 200 " in log
    _assert_no_key_in(log)


def test_upload_with_a_wrong_key_gets_a_clean_401(start_simulator) -> None:
    handle = start_simulator(api_key=KEY)
    with httpx.Client(base_url=handle.url, headers={"Authorization": f"Bearer {WRONG}"}) as client:
        big = b'{"x": 1}\n' * 200_000  # 1.8 MB the server never stores
        response = client.post(
            "/files", files={"file": ("a.jsonl", big)}, data={"purpose": "batch"}
        )
        assert response.status_code == 401
        assert client.get("/files").status_code == 401  # same client, connection still usable
    assert list((handle.data_dir / "blobs").iterdir()) == []
