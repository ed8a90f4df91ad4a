"""Google's APIs beside any flavour, on the same port: what `server` hands Google paths to.

- Gemini Developer API (`/v1beta/...`, `/upload/v1beta/...`, `/download/v1beta/...`): the key
  in `x-goog-api-key` or `?key=`. Without one: 403 PERMISSION_DENIED; with `--api-key` set,
  another key: 400 INVALID_ARGUMENT, reason API_KEY_INVALID (what the live API answers).
- Vertex AI (`/v1/projects/...`) and Cloud Storage (`/storage/v1/...`, `/upload/storage/
  v1/...`, `/download/storage/v1/...`): `Authorization: Bearer <token from /token>`; a
  missing, unknown or expired token is a 401 UNAUTHENTICATED, a token without the API's scope
  a 403. `--api-key` plays no part here.
- `POST /token`: the OAuth2 JWT-bearer grant (see `tokens`).
- Cloud Storage's XML API (`/{bucket}/{object}`), for requests to `storage.googleapis.com`
  only (see `gcs_xml`).

Errors, faults (`--faults create:429=1` → 429 RESOURCE_EXHAUSTED) and unknown paths answer
in Google's envelope (see `errors`). State lives in `<data dir>/google/`.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

from batchtui.simulator.flavors.vertex_engine import VertexError
from batchtui.simulator.google import gcs, gcs_xml, gemini_api, vertex_api
from batchtui.simulator.google.credentials import AccountRegistry
from batchtui.simulator.google.errors import (
    UNAUTHENTICATED_MESSAGE,
    GoogleError,
    fault_answer,
    internal_error,
)
from batchtui.simulator.google.gemini_engine import GeminiEngine
from batchtui.simulator.google.routing import GoogleRoute, route
from batchtui.simulator.google.sessions import UploadSessions
from batchtui.simulator.google.tokens import CLOUD_PLATFORM, TokenCheck, TokenService
from batchtui.simulator.google.vertex_jobs import NativeVertexEngine
from batchtui.simulator.http_types import Answer, Dispatch, IncomingRequest, JsonAnswer
from batchtui.simulator.options import SimulatorOptions
from batchtui.simulator.store import Store
from batchtui.simulator.validation import RequestInvalid

PREFIXES = (
    "/v1beta/",
    "/upload/v1beta/",
    "/download/v1beta/",
    "/v1/projects/",
    "/v1beta1/projects/",  # the version google-genai uses for Vertex AI
    "/storage/v1/",
    "/upload/storage/v1/",
    "/download/storage/v1/",
)
TOKEN_PATH = "/token"
STORAGE_WRITE_SCOPES = frozenset(
    {
        CLOUD_PLATFORM,
        "https://www.googleapis.com/auth/devstorage.full_control",
        "https://www.googleapis.com/auth/devstorage.read_write",
    }
)
STORAGE_READ_SCOPE = "https://www.googleapis.com/auth/devstorage.read_only"
NO_IDENTITY = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)
MISSING_CREDENTIAL = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
TOKEN_REASONS = {
    TokenCheck.MISSING: "CREDENTIALS_MISSING",
    TokenCheck.INVALID: "ACCESS_TOKEN_TYPE_UNSUPPORTED",
    TokenCheck.EXPIRED: "ACCESS_TOKEN_EXPIRED",
}


def _error_info(reason: str, service: str) -> list[dict[str, object]]:
    return [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": reason,
            "domain": "googleapis.com",
            "metadata": {"service": service},
        }
    ]


def token_endpoint(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    raw = b"".join(request.iter_body()).decode("utf-8", errors="replace")
    form = dict(parse_qsl(raw, keep_blank_values=True))
    own_url = f"http://{request.header('Host') or '127.0.0.1'}{TOKEN_PATH}"
    return apis.tokens.exchange(form, own_url)


@dataclass(frozen=True)
class _State:
    vertex: NativeVertexEngine
    gemini: GeminiEngine
    uploads: UploadSessions
    tokens: TokenService


TOKEN_ROUTE = route("POST", TOKEN_PATH, "token", "oauth", token_endpoint)


def vertex_store(data_dir: Path) -> Store:
    """Where Vertex AI jobs and Cloud Storage objects live (a Vertex gateway flavour shares
    them: see `GoogleApis(vertex=...)`)."""
    return Store(data_dir / "google" / "vertex")


class GoogleApis:
    def __init__(
        self, options: SimulatorOptions, data_dir: Path, vertex: NativeVertexEngine | None = None
    ) -> None:
        """`vertex`: the engine a gateway flavour already runs on `vertex_store`, so what the
        gateway writes is what Cloud Storage serves (one engine: one lock per job)."""
        self.options = options
        self.root = data_dir / "google"
        self._shared_vertex = vertex
        self.routes: tuple[GoogleRoute, ...] = (
            *gemini_api.ROUTES,
            *vertex_api.ROUTES,
            *gcs.ROUTES,
            TOKEN_ROUTE,
        )
        # read now so a bad --gcp-service-account file stops the simulator at start
        self.accounts = AccountRegistry(
            self.root / "auth", options.gcp_project, options.gcp_service_accounts
        )
        self._state_lock = threading.Lock()
        self._made: _State | None = None

    # State directories are made on the first Google request, not at every simulator start;
    # under a lock, since requests arrive on several threads and each engine holds a lock.
    @property
    def vertex(self) -> NativeVertexEngine:
        return self._state().vertex

    @property
    def gemini(self) -> GeminiEngine:
        return self._state().gemini

    @property
    def uploads(self) -> UploadSessions:
        return self._state().uploads

    @property
    def tokens(self) -> TokenService:
        return self._state().tokens

    def _state(self) -> _State:
        with self._state_lock:
            if self._made is None:
                self._made = _State(
                    self._shared_vertex
                    or NativeVertexEngine(self.options, vertex_store(self.root.parent)),
                    GeminiEngine(self.options, Store(self.root / "gemini")),
                    UploadSessions(self.root / "uploads"),
                    TokenService(self.root / "auth", self.accounts, self.options.token_lifetime),
                )
            return self._made

    def credentials_file(self, root_url: str) -> Path:
        """The simulator's own service-account key file, its `token_uri` at `root_url`."""
        return self.accounts.own_account_file(root_url + TOKEN_PATH)

    def claims(self, path: str, host: str | None = None) -> bool:
        return path == TOKEN_PATH or path.startswith(PREFIXES) or gcs_xml.serves(host)

    def dispatch(self, request: IncomingRequest) -> Dispatch | Answer:
        path_known = False
        routes = self.routes
        if gcs_xml.serves(request.header("Host")):
            routes = (*routes, *gcs_xml.ROUTES)
        for candidate in routes:
            match = candidate.pattern.fullmatch(request.path)
            if match is None:
                continue
            if candidate.method != request.method:
                path_known = True
                continue
            fault_route = candidate.fault_route
            if request.query.get("alt") == "media":
                fault_route = "content"
            return Dispatch(
                fault_route,
                lambda found=candidate, m=match: self._serve(found, request, m),
                fault_answer,
                internal_error,
            )
        if path_known:
            return GoogleError(
                405,
                f"Method not allowed: {request.method} {request.path}.",
                status_name="UNIMPLEMENTED",
            ).answer()
        return GoogleError(404, f"The requested URL {request.path} was not found.").answer()

    def _serve(self, found: GoogleRoute, request: IncomingRequest, match: re.Match[str]) -> Answer:
        try:
            if not (found.session_continues and "upload_id" in request.query):
                self._admit(found, request)
            return found.handle(self, request, match)
        except GoogleError as error:
            return error.answer()
        except VertexError as error:
            return JsonAnswer(error.status, error.google_body())
        except RequestInvalid as error:  # from shared readers (multipart, JSON)
            return GoogleError(error.status, error.message).answer()

    def _admit(self, found: GoogleRoute, request: IncomingRequest) -> None:
        """Raise the API's refusal when the request's credential does not admit it."""
        if found.api == "oauth":
            return
        if found.api == "gemini":
            key = request.header("x-goog-api-key") or request.query.get("key")
            if not key:
                raise GoogleError(403, NO_IDENTITY)
            expected = self.options.api_key
            if expected and key != expected:
                raise GoogleError(
                    400,
                    "API key not valid. Please pass a valid API key.",
                    details=_error_info("API_KEY_INVALID", "generativelanguage.googleapis.com"),
                )
            return
        service = "aiplatform.googleapis.com" if found.api == "vertex" else "storage.googleapis.com"
        check, grant = self.tokens.check(request.header("Authorization"))
        if grant is None:
            message = MISSING_CREDENTIAL if check is TokenCheck.MISSING else UNAUTHENTICATED_MESSAGE
            raise GoogleError(
                401,
                message,
                details=_error_info(TOKEN_REASONS[check], service),
                reason="required" if found.api == "storage" else None,
                headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
        allowed = {CLOUD_PLATFORM}
        if found.api == "storage":
            allowed = set(STORAGE_WRITE_SCOPES)
            if request.method == "GET":
                allowed.add(STORAGE_READ_SCOPE)
        if not grant.scopes & allowed:
            raise GoogleError(
                403,
                "Request had insufficient authentication scopes.",
                details=_error_info("ACCESS_TOKEN_SCOPE_INSUFFICIENT", service),
            )
