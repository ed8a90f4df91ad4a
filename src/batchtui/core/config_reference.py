"""Every key of config.toml with its type, default and meaning, read from the config models.

The types and defaults come from the pydantic models themselves, so the reference cannot
drift from what `load_config` accepts; a kind's own settings are explained by their row in
the kind table, the common ones here, and a test fails when a key is left unexplained.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from batchtui.core.config import NotifySettings, Profile, Settings, UiSettings

MEANINGS: dict[str, str] = {
    # [profiles.NAME]
    "profiles.NAME.kind": "provider kind (openai, portkey, litellm, gemini, vertex, ...)",
    "profiles.NAME.base_url": "API address ending in /v1 (default: the kind's public API)",
    "profiles.NAME.api_key_env": "environment variable holding the key",
    "profiles.NAME.api_key": "the key itself; refused unless config.toml is private (0600)",
    "profiles.NAME.headers": "extra HTTP headers; secret-looking ones follow api_key's rule",
    "profiles.NAME.extra_body": "extra fields sent in every create-batch body",
    "profiles.NAME.model": "default model for compose and for pricing files without one",
    "profiles.NAME.timeout": "seconds of silence before one HTTP read gives up",
    "profiles.NAME.poll_interval": "seconds between polls of one running job",
    "profiles.NAME.enqueued_token_limit": "queued-token quota per model (number or table)",
    "profiles.NAME.deadline": "seconds one JSON call may take in all, retries and waits "
    "included (default: 4x timeout)",
    "profiles.NAME.max_answer_bytes": "largest JSON answer read from the provider",
    "profiles.NAME.max_inflation": "most a compressed answer may grow when decoded (ratio)",
    "profiles.NAME.max_inflated_bytes": "most bytes a compressed answer may decode to",
    "profiles.NAME.min_progress_bytes": "bytes a file download must gain within one timeout, "
    "else it is dropped and resumed",
    "profiles.NAME.max_attempts": "tries of one call before it gives up",
    "profiles.NAME.max_retry_after": "longest Retry-After wait honoured, in seconds",
    "profiles.NAME.announce_wait": "waits longer than this many seconds are announced",
    "profiles.NAME.max_list_pages": "pages a list walks at most (a warning when cut)",
    # [settings]
    "settings.default_profile": "profile used when a command gets no --profile",
    "settings.registry_refresh_seconds": "how often the TUI re-reads the job registry",
    "settings.theme": "TUI theme, e.g. ansi-dark for 16-colour terminals",
    "settings.download_dir": "where results go, one batchtui-<id>/ folder a job",
    "settings.stored_string_limit": "characters the registry keeps of one provider string",
    "settings.stored_object_limit": "JSON bytes the registry keeps of a job's errors, "
    "metadata or usage",
    # [notify]
    "notify.bell": "ring the terminal bell when a job ends",
    "notify.desktop": "desktop notification: osc9, osc777 or off",
    "notify.exec": "shell command run once per ended job (job JSON on stdin)",
    # [ui]
    "ui.columns": 'job list columns shown, e.g. ["name", "id", "status"] '
    "(default: all that fit; id and status always)",
    # [prices."MODEL"]
    'prices."MODEL".input': "US dollars per 1M input tokens at batch rates",
    'prices."MODEL".output': "US dollars per 1M output tokens at batch rates",
    'prices."MODEL".context_window': "tokens of input and output one request may use; "
    "validate holds every request to it",
}

# Keys that exist on the models but are not written by users.
INTERNAL = frozenset({"profiles.NAME.name", "profiles.NAME.source"})

TABLES: tuple[tuple[str, type[BaseModel]], ...] = (
    ("profiles.NAME", Profile),
    ("settings", Settings),
    ("notify", NotifySettings),
    ("ui", UiSettings),
)


@dataclass(frozen=True)
class ConfigKey:
    key: str
    type: str
    default: str
    meaning: str


def _type_name(annotation: object) -> str:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(arg) for arg in typing.get_args(annotation) if arg is not type(None)]
        return " | ".join(names)
    if origin is typing.Literal:
        return " | ".join(repr(arg).replace("'", '"') for arg in typing.get_args(annotation))
    if origin is dict:
        return "table"
    if origin is list:
        return "array"
    name = getattr(annotation, "__name__", str(annotation))
    return {"str": "string", "float": "number", "int": "integer", "bool": "boolean"}.get(
        name, "string" if name == "SecretStr" else name
    )


def _default(field: object) -> str:
    default = getattr(field, "default", PydanticUndefined)
    factory = getattr(field, "default_factory", None)
    if default is PydanticUndefined and factory is not None:
        default = factory()
    if default is None or default is PydanticUndefined:
        return "-"
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, dict):
        return "{}" if not default else str(default)
    return repr(default).replace("'", '"') if isinstance(default, str) else str(default)


def _kind_meanings() -> dict[str, str]:
    """A kind's own settings explain themselves in their row of the kind table."""
    from batchtui.core.providers.kinds import profile_settings

    return {f"profiles.NAME.{setting.name}": setting.help for setting in profile_settings()}


def config_keys() -> list[ConfigKey]:
    meanings = {**_kind_meanings(), **MEANINGS}
    keys = []
    for table, model in TABLES:
        for name, field in model.model_fields.items():
            key = f"{table}.{name}"
            if key in INTERNAL:
                continue
            meaning = field.description or meanings.get(key, "")
            keys.append(ConfigKey(key, _type_name(field.annotation), _default(field), meaning))
    keys.append(ConfigKey('prices."MODEL".input', "number", "-", MEANINGS['prices."MODEL".input']))
    keys.append(
        ConfigKey('prices."MODEL".output', "number", "-", MEANINGS['prices."MODEL".output'])
    )
    keys.append(
        ConfigKey(
            'prices."MODEL".context_window',
            "integer",
            "shipped table",
            MEANINGS['prices."MODEL".context_window'],
        )
    )
    return keys


def missing_meanings() -> list[str]:
    """Keys the models accept that this reference does not explain (a test keeps it empty)."""
    return [key.key for key in config_keys() if not key.meaning]
