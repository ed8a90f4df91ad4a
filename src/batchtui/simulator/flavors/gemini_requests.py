"""An OpenAI chat-completions body as a Gemini `GenerateContentRequest`, the way gateways do it.

Both gateways send the same content but spell some keys differently (providers.md §2.3, §3.2):

- Portkey (`CAMEL`): `systemInstruction`, `generationConfig.maxOutputTokens`.
- LiteLLM (`SNAKE`): `system_instruction`, `generationConfig.max_output_tokens` (as in its own
  docs' sample output, /work/shared/seeds/002).

Only text parts are converted (the simulator answers text); `model` is dropped.
"""

from __future__ import annotations

from enum import Enum
from typing import Any


class KeyStyle(Enum):
    CAMEL = "camel"
    SNAKE = "snake"


# OpenAI parameter -> (camelCase, snake_case) key under generationConfig
GENERATION_KEYS = {
    "max_completion_tokens": ("maxOutputTokens", "max_output_tokens"),
    "max_tokens": ("maxOutputTokens", "max_output_tokens"),
    "temperature": ("temperature", "temperature"),
    "top_p": ("topP", "top_p"),
    "stop": ("stopSequences", "stop_sequences"),
}
ROLES = {"assistant": "model", "user": "user", "tool": "user"}


class NotAChatBody(ValueError):
    """The line's `body` has no usable `messages`."""


def text_parts(content: Any) -> list[dict[str, str]]:
    if isinstance(content, str):
        return [{"text": content}]
    if isinstance(content, list):
        return [
            {"text": part["text"]}
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        ]
    return []


def chat_to_gemini(body: dict[str, Any], style: KeyStyle) -> dict[str, Any]:
    """The Gemini request for one OpenAI chat body; NotAChatBody when it has no messages."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise NotAChatBody("'messages' must be a non-empty array")
    contents: list[dict[str, Any]] = []
    system_parts: list[dict[str, str]] = []
    for message in messages:
        if not isinstance(message, dict):
            raise NotAChatBody("every message must be an object")
        parts = text_parts(message.get("content"))
        if message.get("role") in ("system", "developer"):
            system_parts.extend(parts)
        else:
            contents.append({"role": ROLES.get(str(message.get("role")), "user"), "parts": parts})
    request: dict[str, Any] = {"contents": contents}
    if system_parts:
        key = "systemInstruction" if style is KeyStyle.CAMEL else "system_instruction"
        request[key] = {"parts": system_parts}
    config: dict[str, Any] = {}
    for openai_key, (camel, snake) in GENERATION_KEYS.items():
        value = body.get(openai_key)
        if value is not None:
            if openai_key == "stop" and isinstance(value, str):
                value = [value]
            config.setdefault(camel if style is KeyStyle.CAMEL else snake, value)
    if config:
        request["generationConfig"] = config
    return request
