"""What each batch endpoint requires in a request `body` (OpenAI's request schemas).

Checks return a tuple of `BodyIssue` and the shared empty tuple when the body is fine,
so the happy path allocates nothing. Fields are relative to `body`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple


class BodyIssue(NamedTuple):
    field: str  # under `body`, e.g. "messages[2].role"
    code: str
    message: str


BodyCheck = Callable[[dict[str, Any]], Sequence[BodyIssue]]
NO_ISSUES: tuple[BodyIssue, ...] = ()

# Per line, so a request with 10,000 broken messages gives a handful of problems, not 10,000.
MAX_MESSAGE_ISSUES = 5


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    url: str
    check_body: BodyCheck
    # Moderations, images and videos fall back to a default model when none is given.
    model_required: bool = True
    # How many inputs a body counts for against `Limits.max_embedding_inputs`.
    count_inputs: Callable[[dict[str, Any]], int] | None = None


def _type_name(value: object) -> str:
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _missing(field: str, what: str) -> BodyIssue:
    return BodyIssue(field, "missing_field", f"missing {what}")


def check_chat_body(body: dict[str, Any]) -> Sequence[BodyIssue]:
    messages = body.get("messages")
    if type(messages) is list and messages:
        for message in messages:
            if type(message) is not dict:
                break
            role = message.get("role")
            if type(role) is not str or not role or type(message.get("content")) not in (str, list):
                break
        else:
            return NO_ISSUES
    return _chat_issues(messages, "messages" in body)


def _chat_issues(messages: object, present: bool) -> Sequence[BodyIssue]:
    if not present:
        return (_missing("messages", "'messages' (a non-empty list of {role, content})"),)
    if type(messages) is not list:
        return (
            BodyIssue(
                "messages",
                "invalid_field",
                f"messages must be an array, not {_type_name(messages)}",
            ),
        )
    if not messages:
        return (BodyIssue("messages", "invalid_field", "messages is empty"),)
    issues: list[BodyIssue] = []
    bad_messages = 0
    for index, message in enumerate(messages):
        found = _message_issues(index, message)
        if found:
            bad_messages += 1
            if bad_messages <= MAX_MESSAGE_ISSUES:
                issues.extend(found)
    if bad_messages > MAX_MESSAGE_ISSUES:
        more = bad_messages - MAX_MESSAGE_ISSUES
        issues.append(BodyIssue("messages", "invalid_field", f"{more} more invalid messages"))
    return issues


def _message_issues(index: int, message: object) -> list[BodyIssue]:
    where = f"messages[{index}]"
    if type(message) is not dict:
        return [BodyIssue(where, "invalid_field", f"{where} must be an object")]
    issues = []
    role = message.get("role")
    if "role" not in message:
        issues.append(_missing(f"{where}.role", "role"))
    elif type(role) is not str or not role:
        issues.append(
            BodyIssue(f"{where}.role", "invalid_field", "role must be a non-empty string")
        )
    content = message.get("content")
    # An assistant turn that calls tools (or refuses) may carry no content.
    may_omit = role == "assistant" and any(
        key in message for key in ("tool_calls", "function_call", "refusal")
    )
    if content is None and not may_omit:
        if "content" in message:
            issues.append(BodyIssue(f"{where}.content", "invalid_field", "content is null"))
        else:
            issues.append(_missing(f"{where}.content", "content"))
    elif content is not None and type(content) not in (str, list):
        issues.append(
            BodyIssue(
                f"{where}.content",
                "invalid_field",
                f"content must be a string or an array of parts, not {_type_name(content)}",
            )
        )
    return issues


def _require_input(field: str, body: dict[str, Any]) -> Sequence[BodyIssue]:
    value = body.get(field)
    kind = type(value)
    if (kind is str or kind is list) and value:
        return NO_ISSUES
    if field not in body:
        return (_missing(field, f"'{field}'"),)
    if kind is str or kind is list:
        return (BodyIssue(field, "invalid_field", f"{field} is empty"),)
    return (
        BodyIssue(
            field,
            "invalid_field",
            f"{field} must be a string or an array, not {_type_name(value)}",
        ),
    )


def check_embeddings_body(body: dict[str, Any]) -> Sequence[BodyIssue]:
    return _require_input("input", body)


def check_completions_body(body: dict[str, Any]) -> Sequence[BodyIssue]:
    return _require_input("prompt", body)


def check_responses_body(body: dict[str, Any]) -> Sequence[BodyIssue]:
    # A stored prompt template (`prompt: {id, ...}`) can stand in for `input`.
    if "input" not in body and type(body.get("prompt")) is dict:
        return NO_ISSUES
    return _require_input("input", body)


def check_moderations_body(body: dict[str, Any]) -> Sequence[BodyIssue]:
    return _require_input("input", body)


def check_prompt_string(body: dict[str, Any]) -> Sequence[BodyIssue]:
    prompt = body.get("prompt")
    if type(prompt) is str and prompt:
        return NO_ISSUES
    if "prompt" not in body:
        return (_missing("prompt", "'prompt'"),)
    return (BodyIssue("prompt", "invalid_field", "prompt must be a non-empty string"),)


def count_embedding_inputs(body: dict[str, Any]) -> int:
    value = body.get("input")
    if type(value) is not list:
        return 1
    # One list of token ids is one input; a list of strings or of token lists is many.
    if value and type(value[0]) is int:
        return 1
    return len(value)


ENDPOINTS: dict[str, EndpointSpec] = {
    spec.url: spec
    for spec in (
        EndpointSpec("/v1/chat/completions", check_chat_body),
        EndpointSpec("/v1/responses", check_responses_body),
        EndpointSpec("/v1/embeddings", check_embeddings_body, count_inputs=count_embedding_inputs),
        EndpointSpec("/v1/completions", check_completions_body),
        EndpointSpec("/v1/moderations", check_moderations_body, model_required=False),
        EndpointSpec("/v1/images/generations", check_prompt_string, model_required=False),
        EndpointSpec("/v1/images/edits", check_prompt_string, model_required=False),
        EndpointSpec("/v1/videos", check_prompt_string, model_required=False),
    )
}
