"""The OAuth2 token endpoint, Bearer tokens on Vertex/Storage, and the Gemini API key."""

from __future__ import annotations

import json
import time

import google_helpers
import httpx
from google_helpers import (
    JOBS,
    KEY,
    SA_EMAIL,
    claims,
    google_error,
    request_token,
    rsa_key,
    sign_jwt,
    token_for,
)

google_sim = google_helpers.google_sim  # the fixture


def test_a_signed_jwt_buys_a_bearer_token_that_opens_vertex_and_storage(google_sim):
    sim = google_sim()
    answer = request_token(sim.client, sign_jwt(rsa_key(), claims(SA_EMAIL)))
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert sim.client.get(JOBS, headers=headers).status_code == 200
    assert sim.client.get("/storage/v1/b/batchtui-sim-bucket/o", headers=headers).status_code == 200


def test_tokens_expire_after_the_configured_lifetime(google_sim):
    sim = google_sim(token_lifetime=1)
    assert sim.vertex.get(JOBS).status_code == 200
    time.sleep(1.05)
    expired = sim.vertex.get(JOBS)
    google_error(expired, 401, "UNAUTHENTICATED")
    assert expired.json()["error"]["details"][0]["reason"] == "ACCESS_TOKEN_EXPIRED"
    assert expired.headers["WWW-Authenticate"].startswith("Bearer")
    fresh = token_for(sim.client, sim.account)  # a refresh is a new grant
    assert sim.client.get(JOBS, headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


def test_missing_and_forged_tokens_are_refused_in_googles_envelope(google_sim):
    sim = google_sim()
    missing = sim.client.get(JOBS)
    assert "missing required authentication credential" in google_error(
        missing, 401, "UNAUTHENTICATED"
    )
    real = sim.vertex.headers["Authorization"].removeprefix("Bearer ")
    forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    for token in (forged, "ya29.someone-elses", "not-a-token"):
        answer = sim.client.get(JOBS, headers={"Authorization": f"Bearer {token}"})
        google_error(answer, 401, "UNAUTHENTICATED")
    storage = sim.client.get("/storage/v1/b/batchtui-sim-bucket/o")
    google_error(storage, 401, "UNAUTHENTICATED")
    assert storage.json()["error"]["errors"][0]["reason"] == "required"


def test_grant_refusals_use_oauth_errors(google_sim):
    sim = google_sim()

    def refusal(assertion: str, grant_type: str | None = None) -> tuple[str, str]:
        data = {"assertion": assertion}
        data["grant_type"] = grant_type or "urn:ietf:params:oauth:grant-type:jwt-bearer"
        answer = sim.client.post("/token", data=data)
        assert answer.status_code == 400, answer.text
        return answer.json()["error"], answer.json()["error_description"]

    good = claims(SA_EMAIL)
    other_key = rsa_key("intruder")
    assert refusal(sign_jwt(other_key, good)) == ("invalid_grant", "Invalid JWT Signature.")
    assert refusal(sign_jwt(rsa_key(), claims("nobody@x.iam.gserviceaccount.com"))) == (
        "invalid_grant",
        "Invalid grant: account not found",
    )
    assert "audience" in refusal(sign_jwt(rsa_key(), {**good, "aud": "https://evil"}))[1]
    stale = {**good, "iat": good["iat"] - 7200, "exp": good["iat"] - 3600}
    assert "short-lived" in refusal(sign_jwt(rsa_key(), stale))[1]
    too_long = {**good, "exp": good["iat"] + 7200}
    assert "short-lived" in refusal(sign_jwt(rsa_key(), too_long))[1]
    assert refusal(sign_jwt(rsa_key(), {**good, "scope": ""}))[0] == "invalid_scope"
    assert "RS256" in refusal(sign_jwt(rsa_key(), good, alg="HS256"))[1]
    assert refusal("a.b")[0] == "invalid_grant"
    assert refusal("x", grant_type="client_credentials")[0] == "unsupported_grant_type"


def test_a_token_without_the_apis_scope_is_forbidden(google_sim):
    sim = google_sim()
    read_only = "https://www.googleapis.com/auth/devstorage.read_only"
    token = token_for(sim.client, sim.account, scope=read_only)
    headers = {"Authorization": f"Bearer {token}"}
    assert sim.client.get("/storage/v1/b/batchtui-sim-bucket/o", headers=headers).status_code == 200
    upload = sim.client.post(
        "/upload/storage/v1/b/batchtui-sim-bucket/o",
        params={"uploadType": "media", "name": "x"},
        content=b"x",
        headers=headers,
    )
    google_error(upload, 403, "PERMISSION_DENIED")
    google_error(sim.client.get(JOBS, headers=headers), 403, "PERMISSION_DENIED")


def test_the_simulators_own_key_file_points_at_its_token_endpoint(start_simulator):
    handle = start_simulator()
    path = handle.google_credentials()
    info = json.loads(path.read_text())
    assert info["type"] == "service_account"
    assert info["token_uri"] == handle.root_url + "/token"
    assert path.stat().st_mode & 0o077 == 0
    with httpx.Client(base_url=handle.root_url) as client:
        # google-auth's JWTs name Google's token URL; a client may also name token_uri
        token_for(client, path)
        token_for(client, path, aud=info["token_uri"])


def test_tokens_and_keys_survive_a_restart(start_simulator, tmp_path):
    data_dir = tmp_path / "shared"
    first = start_simulator(data_dir=data_dir)
    path = first.google_credentials()
    key_before = json.loads(path.read_text())["private_key"]
    with httpx.Client(base_url=first.root_url) as client:
        token = token_for(client, path)
    first.stop()
    second = start_simulator(data_dir=data_dir)
    assert second.google_credentials() == path
    info = json.loads(path.read_text())
    assert info["private_key"] == key_before
    assert info["token_uri"] == second.root_url + "/token"
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(second.root_url + JOBS, headers=headers).status_code == 200


def test_gemini_takes_the_key_in_a_header_or_the_query(google_sim):
    sim = google_sim(api_key=KEY)
    assert sim.gemini.get("/v1beta/batches").status_code == 200
    assert sim.client.get("/v1beta/batches", params={"key": KEY}).status_code == 200
    missing = sim.client.get("/v1beta/batches")
    assert "unregistered callers" in google_error(missing, 403, "PERMISSION_DENIED")
    wrong = sim.client.get("/v1beta/batches", headers={"x-goog-api-key": "AIza-wrong"})
    assert google_error(wrong, 400, "INVALID_ARGUMENT") == (
        "API key not valid. Please pass a valid API key."
    )
    assert wrong.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    # an OpenAI-style Bearer key is not a Gemini credential
    bearer = sim.client.get("/v1beta/batches", headers={"Authorization": f"Bearer {KEY}"})
    google_error(bearer, 403, "PERMISSION_DENIED")


def test_without_api_key_option_any_gemini_key_is_accepted(google_sim):
    sim = google_sim()
    assert sim.client.get("/v1beta/batches", headers={"x-goog-api-key": "any"}).status_code == 200
    google_error(sim.client.get("/v1beta/batches"), 403, "PERMISSION_DENIED")


def test_unknown_google_paths_and_methods_answer_in_googles_envelope(google_sim):
    sim = google_sim()
    google_error(sim.gemini.get("/v1beta/nothing-here"), 404, "NOT_FOUND")
    google_error(sim.gemini.put("/v1beta/batches"), 405, "UNIMPLEMENTED")
    # the OpenAI flavour still answers /v1 beside them
    assert sim.client.get("/v1/batches").status_code == 200
