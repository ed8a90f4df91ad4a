"""The profile form as data: a kind's rows (from `providers.kinds`) and its answers as settings.

The TUI draws these rows and nothing else, so a new kind's settings appear in the form
without form code of their own. Secrets never appear: the form names the environment
variable that holds a key, and an edit keeps the secret headers it does not show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from batchtui.core.errors import ConfigError

if TYPE_CHECKING:
    from batchtui.core.config import Profile
    from batchtui.core.providers.kinds import ProviderKind

NAME_HINT = "letters, digits, '.', '_' or '-', e.g. lab-gateway"
HEADERS_HINT = "one Name=value per line (Portkey: x-portkey-provider=..., Vertex headers)"


@dataclass(frozen=True)
class FormRow:
    """One row of the form: the profile setting it fills, how it is labelled and parsed."""

    name: str  # the `Profile` field
    label: str
    placeholder: str
    value_type: type = str
    required: bool = False
    multiline: bool = False  # headers: one per line

    @property
    def widget_id(self) -> str:
        return self.name.replace("_", "-")


def _base_url_hint(kind: ProviderKind) -> str:
    default = kind.default_base_url
    if default is None:
        return "required, e.g. http://host:8000/v1"
    if callable(default):
        return "empty: the kind's default"
    return f"empty: {default}"


def _key_hint(kind: ProviderKind) -> str:
    if kind.default_key_envs:
        return "empty: " + " or ".join(kind.default_key_envs) + " (a variable's name, not a key)"
    return "optional: the variable holding a key, if the server wants one"


def form_rows(kind_name: str) -> list[FormRow]:
    """The rows a profile of `kind_name` shows, in order (the kind itself is chosen above)."""
    from batchtui.core.providers.kinds import get_kind

    kind = get_kind(kind_name)
    required = set(kind.required)
    rows = [FormRow("name", "Name", NAME_HINT, required=True)]
    if kind.takes_base_url:
        rows.append(
            FormRow(
                "base_url",
                "Base URL",
                _base_url_hint(kind),
                required=kind.default_base_url is None or "base_url" in required,
            )
        )
    if kind.takes_api_key:
        rows.append(FormRow("api_key_env", "Key variable", _key_hint(kind)))
    model_required = "model" in required
    rows.append(
        FormRow(
            "model",
            "Model",
            "required: the model to serve" if model_required else "default model (optional)",
            required=model_required,
        )
    )
    for setting in kind.settings:
        if setting.in_form and setting.into is None:
            rows.append(
                FormRow(
                    setting.name,
                    setting.form_label,
                    setting.form_placeholder,
                    value_type=setting.value_type,
                    required=setting.name in required,
                )
            )
    if kind.takes_api_key:
        rows.append(FormRow("headers", "Headers", HEADERS_HINT, multiline=True))
    return rows


def parse_headers(text: str) -> dict[str, str]:
    """One `Name=value` (or `Name: value`) per line; blank lines and `#` comments skipped."""
    headers: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        separator = "=" if "=" in line else ":"
        name, sep, value = line.partition(separator)
        if not sep or not name.strip():
            raise ConfigError(f"headers line {number}: expected Name=value")
        headers[name.strip()] = value.strip()
    return headers


def _typed(row: FormRow, text: str) -> Any:
    if row.value_type is str:
        return text
    try:
        return row.value_type(text)
    except ValueError:
        shape = "a whole number" if row.value_type is int else "a number"
        raise ConfigError(f"{row.name}: must be {shape}") from None


def fields_from_form(kind_name: str, answers: Mapping[str, str]) -> dict[str, Any]:
    """The profile settings `answers` (text by row name) give, typed; empty rows are None.

    Raises `ConfigError` naming the row for text that is not of its type, unparsable
    headers, or a key file others can read."""
    from batchtui.core.providers.kinds import get_kind, setting_value

    kind = get_kind(kind_name)
    fields: dict[str, Any] = {"kind": kind.name}
    for row in form_rows(kind.name):
        text = answers.get(row.name, "")
        if row.multiline:
            fields[row.name] = parse_headers(text)
            continue
        text = text.strip()
        if not text:
            fields[row.name] = None
            continue
        value = _typed(row, text)
        setting = kind.setting(row.name)
        if setting is not None:
            value = setting_value(setting, value, label=row.name)
        fields[row.name] = value
    return fields


def form_answers(profile: Profile) -> dict[str, str]:
    """A saved profile as the form shows it for editing (secret headers left out)."""
    from batchtui.core.config import is_secret_header

    answers: dict[str, str] = {}
    for row in form_rows(profile.kind):
        if row.multiline:
            answers[row.name] = "\n".join(
                f"{name}={value}"
                for name, value in profile.headers.items()
                if not is_secret_header(name)
            )
            continue
        value = getattr(profile, row.name, None)
        answers[row.name] = "" if value is None else str(value)
    return answers


def edited_fields(profile: Profile | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The settings to save: the form's `fields` over what `profile` (None: a new one) had.

    Settings the form does not show (network bounds, extra_body, a key kept in the file,
    secret headers) stay; the old kind's own settings go when the kind changes."""
    from batchtui.core.config import is_secret_header
    from batchtui.core.providers.kinds import get_kind, profile_settings

    if profile is None:
        return dict(fields)
    merged: dict[str, Any] = profile.model_dump(exclude={"source"}, exclude_defaults=True)
    merged["name"] = profile.name
    if profile.api_key is not None:
        merged["api_key"] = profile.api_key
    kind = get_kind(str(fields.get("kind") or profile.kind))
    for setting in profile_settings():
        if kind.setting(setting.name) is None:
            merged.pop(setting.name, None)
    if kind.name != profile.kind:
        # Common settings the new kind has no use for (its form shows no row for them).
        if not kind.takes_api_key:
            merged.pop("api_key_env", None)
        if not kind.takes_base_url:
            merged.pop("base_url", None)
    merged.update(fields)
    if "headers" in fields:
        kept = {name: value for name, value in profile.headers.items() if is_secret_header(name)}
        merged["headers"] = {**kept, **(fields["headers"] or {})}
    return merged
