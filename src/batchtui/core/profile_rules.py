"""What a profile must follow to be saved: its name, URLs, key variable, its kind's must-haves.

`profile add` and the TUI's profile form both check a profile here before writing it;
loading config.toml reports the same problems as warnings only, so a file written before
these rules still loads. Each problem is one line naming the setting and the rule, and
never echoes a value that could be a key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from batchtui.core.errors import ConfigError
from batchtui.core.terminal_text import inert

if TYPE_CHECKING:
    from batchtui.core.config import Profile

# Profile names appear in `[profiles.NAME]`, `--profile NAME`, filters (`profile:NAME`) and
# folder names: a charset that needs no quoting in any of them.
NAME_MAX = 64
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
NAME_RULE = (
    f"use 1 to {NAME_MAX} letters (A-Z, a-z), digits, '.', '_' or '-', "
    "starting with a letter or digit"
)
ENV_NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ENV_NAME_RULE = (
    "must be an environment variable name (letters, digits and '_', not starting with a "
    "digit), e.g. OPENAI_API_KEY: the name of the variable, never the key itself"
)
URL_SHAPE = "an http:// or https:// URL with a host, e.g. https://api.example.com/v1"
URL_RULE = f"must be {URL_SHAPE}"


@dataclass(frozen=True)
class ProfileProblem:
    """One broken rule: the setting it concerns and what the rule says."""

    setting: str
    rule: str

    def __str__(self) -> str:
        return f"{self.setting}: {self.rule}"


def name_problem(name: str) -> ProfileProblem | None:
    if not name:
        return ProfileProblem("name", f"required: {NAME_RULE}")
    if len(name) > NAME_MAX or not NAME_PATTERN.fullmatch(name):
        cut = name if len(name) <= NAME_MAX else name[:NAME_MAX] + "…"
        shown = inert(cut, single_line=True)
        return ProfileProblem("name", f"{shown!r} is not a valid name: {NAME_RULE}")
    return None


def url_problem(setting: str, url: str) -> ProfileProblem | None:
    # The URL is not echoed: a proxy-style URL may carry a password.
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return ProfileProblem(setting, URL_RULE)
    if parts.scheme.lower() not in ("http", "https") or not host or any(c.isspace() for c in url):
        return ProfileProblem(setting, URL_RULE)
    return None


def env_name_problem(setting: str, name: str) -> ProfileProblem | None:
    if not ENV_NAME_PATTERN.fullmatch(name):
        return ProfileProblem(setting, ENV_NAME_RULE)
    return None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], {})


def profile_problems(
    fields: Mapping[str, Any], *, saved_name: str | None = None
) -> list[ProfileProblem]:
    """Every rule `fields` (a profile's settings by name, as given to `Profile`) breaks.

    `saved_name`: the name the profile already has in config.toml; an edit keeps it even
    when it predates the naming rule (jobs in the registry name their profile)."""
    from batchtui.core.providers.kinds import PROVIDER_KINDS, provider_kinds

    problems: list[ProfileProblem] = []
    name = str(fields.get("name") or "")
    if name != saved_name and (problem := name_problem(name)) is not None:
        problems.append(problem)
    kind_name = str(fields.get("kind") or "openai")
    kind = PROVIDER_KINDS.get(kind_name)
    if kind is None:
        known = ", ".join(provider_kinds())
        problems.append(ProfileProblem("kind", f"must be one of {known}"))
    base_url = fields.get("base_url")
    if not _blank(base_url):
        if (problem := url_problem("base_url", str(base_url))) is not None:
            problems.append(problem)
    elif kind is not None and kind.default_base_url is None:
        problems.append(ProfileProblem("base_url", f"required for kind {kind.name}: {URL_SHAPE}"))
    key_env = fields.get("api_key_env")
    if not _blank(key_env) and (problem := env_name_problem("api_key_env", str(key_env))):
        problems.append(problem)
    if kind is None:
        return problems
    for setting in kind.settings:
        value = fields.get(setting.name)
        problem = None
        if setting.url and setting.into is None and not _blank(value):
            problem = url_problem(setting.name, str(value))
        if problem is not None:
            problems.append(problem)
    for required in kind.required:
        if _blank(fields.get(required)):
            problems.append(ProfileProblem(required, f"required for kind {kind.name}"))
    return problems


def check_profile(fields: Mapping[str, Any], *, saved_name: str | None = None) -> None:
    """Raise `ConfigError` with the first rule `fields` breaks (one line naming the setting)."""
    problems = profile_problems(fields, saved_name=saved_name)
    if problems:
        raise ConfigError(str(problems[0]))


def make_profile(fields: Mapping[str, Any], *, saved_name: str | None = None) -> Profile:
    """A `Profile` from `fields` that follows the rules; `ConfigError` names what does not."""
    from pydantic import ValidationError

    from batchtui.core.config import Profile

    check_profile(fields, saved_name=saved_name)
    try:
        return Profile(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        setting = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{setting}: {first['msg']}") from None
