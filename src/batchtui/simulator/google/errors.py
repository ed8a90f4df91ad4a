"""Google's error envelope, `{"error": {"code", "message", "status", ...}}`, for every Google API.

Vertex AI and the Gemini API answer with a google.rpc.Status in `error` (`code` = the HTTP
status, `status` = the canonical code name). Cloud Storage's JSON API adds an `errors` list
(`{"message", "domain", "reason"}`); its envelope here also carries `status`, so a client can
read the three Google APIs one way.
"""

from __future__ import annotations

from typing import Any

from batchtui.simulator.http_types import JsonAnswer

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    413: "INVALID_ARGUMENT",
    416: "OUT_OF_RANGE",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
# google.rpc.Code numbers, used where a Status travels inside a body (inline batch results,
# a failed long-running operation) instead of as an HTTP answer.
RPC_CODES = {
    "INVALID_ARGUMENT": 3,
    "FAILED_PRECONDITION": 9,
    "NOT_FOUND": 5,
    "PERMISSION_DENIED": 7,
    "RESOURCE_EXHAUSTED": 8,
    "INTERNAL": 13,
    "UNAVAILABLE": 14,
    "UNAUTHENTICATED": 16,
}
# What the live APIs say for the faults `--faults` injects (providers.md §4.7, §6 item 20).
FAULT_MESSAGES = {
    "429": "Resource has been exhausted (e.g. check quota).",
    "500": "An internal error has occurred. Please retry or report in "
    "https://developers.generativeai.google/guide/troubleshooting",
    "503": "The service is currently unavailable.",
}
UNAUTHENTICATED_MESSAGE = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


class GoogleError(Exception):
    """An error answer of a Google API."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        status_name: str | None = None,
        details: list[dict[str, Any]] | None = None,
        reason: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.status_name = status_name or STATUS_NAMES.get(status, "UNKNOWN")
        self.details = details
        self.reason = reason  # Cloud Storage's errors[0].reason
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "code": self.status,
            "message": self.message,
            "status": self.status_name,
        }
        if self.details:
            error["details"] = self.details
        if self.reason:
            error["errors"] = [{"message": self.message, "domain": "global", "reason": self.reason}]
        return {"error": error}

    def answer(self) -> JsonAnswer:
        return JsonAnswer(self.status, self.body(), dict(self.headers))

    def rpc_status(self) -> dict[str, Any]:
        """The error as a google.rpc.Status inside a body (numeric code)."""
        return {
            "code": RPC_CODES.get(self.status_name, 2),
            "message": self.message,
            "details": self.details or [],
        }


def fault_answer(kind: str) -> JsonAnswer:
    """Google's answer for an injected 429/500/503 (see `faults`)."""
    status = int(kind)
    headers = {"Retry-After": "1"} if status == 429 else {}
    return GoogleError(status, FAULT_MESSAGES[kind], headers=headers).answer()


def internal_error() -> JsonAnswer:
    return GoogleError(500, "The simulator failed on this request (see its log).").answer()
