"""The realtime endpoints of an OpenAI-compatible server (`vllm serve`, SGLang, Ollama):
POST /v1/chat/completions, /v1/completions, /v1/embeddings and /v1/responses.

Each answer is the body the batch engine would put in a result row for the same request
(`responder.respond`), so a run through these endpoints and a batch of the same lines
agree. `--api-key` is checked as a Bearer key (401), `--models` refuses other models
with OpenAI's 404 `model_not_found`, and `--faults` act on them under the route name
`realtime` (or rules without a route). Every request's arrival (monotonic time, path and
body) is kept in `arrivals`, so tests can count what a client sent in any window.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from batchtui.simulator.flavors.openai import bearer_refusal
from batchtui.simulator.http_types import Answer, Dispatch, IncomingRequest, JsonAnswer
from batchtui.simulator.options import SimulatorOptions
from batchtui.simulator.responder import body_digest, respond, short_hash
from batchtui.simulator.validation import RequestInvalid

REALTIME_PATHS = frozenset(
    {"/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/responses"}
)
FAULT_ROUTE = "realtime"
# Arrivals kept for tests: enough for any run they make, bounded for a long-lived simulator.
MAX_ARRIVALS = 200_000


@dataclass(frozen=True)
class Arrival:
    at: float  # time.monotonic() when the request was read
    path: str
    body: Any  # the parsed JSON body (None when it was not JSON)


class RealtimeApi:
    def __init__(self, options: SimulatorOptions) -> None:
        self.options = options
        self.arrivals: deque[Arrival] = deque(maxlen=MAX_ARRIVALS)
        self._lock = threading.Lock()

    def claims(self, method: str, path: str) -> bool:
        return method == "POST" and path in REALTIME_PATHS

    def arrival_times(self) -> list[float]:
        with self._lock:
            return [arrival.at for arrival in self.arrivals]

    def snapshot(self) -> list[Arrival]:
        with self._lock:
            return list(self.arrivals)

    def dispatch(
        self,
        request: IncomingRequest,
        fault_answer: Callable[[str], Answer],
        internal_error: Callable[[], Answer],
    ) -> Dispatch:
        arrived = time.monotonic()
        try:
            body: Any = request.json_body()
            problem: RequestInvalid | None = None
        except RequestInvalid as error:
            body, problem = None, error
        with self._lock:
            self.arrivals.append(Arrival(arrived, request.path, body))

        def serve() -> Answer:
            refusal = bearer_refusal(request, self.options.api_key)
            if refusal is not None:
                return refusal
            if problem is not None:
                return JsonAnswer(problem.status, problem.envelope())
            return self.answer(request.path, body)

        return Dispatch(FAULT_ROUTE, serve, fault_answer, internal_error)

    def answer(self, path: str, body: Any) -> Answer:
        if not isinstance(body, dict):
            error = RequestInvalid("The request body must be a JSON object.")
            return JsonAnswer(400, error.envelope())
        model = body.get("model")
        if not isinstance(model, str) or not model:
            error = RequestInvalid(
                "you must provide a model parameter",
                param="model",
                code="missing_required_parameter",
            )
            return JsonAnswer(400, error.envelope())
        if self.options.models is not None and model not in self.options.models:
            error = RequestInvalid(
                f"The model `{model}` does not exist or you do not have access to it.",
                status=404,
                code="model_not_found",
            )
            return JsonAnswer(404, error.envelope())
        request_key = short_hash(path, body_digest(body))
        outcome = respond(path, request_key, body, batch_id="realtime", created=int(time.time()))
        response = outcome.row["response"]
        headers = {"x-request-id": response["request_id"]}
        return JsonAnswer(response["status_code"], response["body"], headers)
