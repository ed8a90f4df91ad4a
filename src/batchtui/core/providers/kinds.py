"""Provider kinds as data: each kind's profile settings, flags, defaults, form rows and factory.

Everything batchtui knows about a kind lives in its `ProviderKind` row of `KINDS`: the
settings it adds to `[profiles.NAME]` (which become `Profile` fields, `profile add` flags,
rows of the TUI's profile form and lines of `profile show`), its default URL and key
variables, the limits its input files are checked against, how its credentials are
described, and the class that talks to it. The config model, the CLI, doctor and the TUI
read this table; none of them names a kind.

Adding a kind (say `slurm`):
1. Write its provider in one module, e.g. `core/providers/slurm.py`, with a class that has
   `kind = "slurm"` and `from_profile(profile, *, debug=False)` (see `base.BatchProvider`).
2. Add one `ProviderKind(...)` row to `KINDS` below: `factory="batchtui.core.providers.slurm:
   SlurmProvider"`, its `settings` (each a `KindSetting`: the config key, the flag's help
   and metavar, the form's label, its type; `into=("headers", NAME)` for a shortcut that is
   stored as a header or body field), `default_base_url` (None: the profile must give one),
   `default_key_envs` (empty: no API key, then give `credentials` to describe what signs in),
   and `limits` ("module:NAME" of its `formats.limits.Limits`, OpenAI's by default).
Nothing else changes: `profile add --<setting>` flags, `Profile.<setting>`, the welcome
form's rows and `profile show` follow from the row.

This module stays cheap to import (the CLI's parser reads it for `--help`): no pydantic, no
HTTP client; providers and limits are imported by name when first used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from batchtui.core.config import Profile
    from batchtui.core.formats.limits import Limits
    from batchtui.core.providers.base import BatchProvider

DEFAULT_KIND = "openai"
# Vertex AI's location when the profile names none.
DEFAULT_VERTEX_LOCATION = "us-central1"
OPENAI_LIMITS_REF = "batchtui.core.formats.limits:OPENAI_LIMITS"


@dataclass(frozen=True)
class KindSetting:
    """One setting a kind adds to its profiles: a config key, a `profile add` flag, a form row."""

    name: str  # the config.toml key and `Profile` attribute (a flag `--name-with-dashes`)
    help: str  # the flag's help; also the form's placeholder unless `placeholder` is given
    label: str = ""  # the form's label (default: the name, capitalised)
    metavar: str = "V"
    value_type: type = str  # str, int or float: how the flag and the form parse it
    # A path to a private file (a key file): stored resolved, refused when others can read it.
    private_file: bool = False
    url: bool = False  # a URL: stored without its trailing slash
    # A shortcut stored elsewhere: ("headers", NAME) or ("extra_body", NAME), not a field.
    into: tuple[Literal["headers", "extra_body"], str] | None = None
    in_form: bool = True  # a row of the TUI's profile form
    placeholder: str = ""

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def form_label(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    @property
    def form_placeholder(self) -> str:
        return self.placeholder or self.help


@dataclass(frozen=True)
class ProviderKind:
    """What batchtui knows about one provider kind (one row of `KINDS`)."""

    name: str
    description: str
    factory: str  # "module:Class"; the class has `from_profile(profile, *, debug=False)`
    # A URL, or a function of the profile (Vertex AI's depends on its location); None: the
    # profile must give `base_url` (self-hosted servers).
    default_base_url: str | Callable[[Profile], str] | None
    default_key_envs: tuple[str, ...] = ()  # the first one set wins
    settings: tuple[KindSetting, ...] = ()
    limits: str = OPENAI_LIMITS_REF  # "module:NAME" of the `Limits` its input files obey
    # For kinds that sign in without an API key: a one-line description of what they use.
    credentials: Callable[[Profile], str] | None = None
    help_group: str = ""  # the title of its flags in `profile add --help`
    _by_name: dict[str, KindSetting] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {setting.name: setting for setting in self.settings})

    def setting(self, name: str) -> KindSetting | None:
        return self._by_name.get(name)

    @property
    def module(self) -> str:
        return self.factory.partition(":")[0]

    @property
    def class_name(self) -> str:
        return self.factory.partition(":")[2]


def _vertex_base_url(profile: Profile) -> str:
    location = profile.location or DEFAULT_VERTEX_LOCATION  # type: ignore[attr-defined]
    region = "" if location == "global" else f"{location}-"
    return f"https://{region}aiplatform.googleapis.com"


def _google_credentials(profile: Profile) -> str:
    path = profile.credentials  # type: ignore[attr-defined]
    return f"credentials {path}" if path else "application default credentials"


KINDS: tuple[ProviderKind, ...] = (
    ProviderKind(
        name="openai",
        description="OpenAI Batch API, or any server that speaks it",
        factory="batchtui.core.providers.openai:OpenAIProvider",
        default_base_url="https://api.openai.com/v1",
        default_key_envs=("OPENAI_API_KEY",),
    ),
    ProviderKind(
        name="portkey",
        description="Portkey AI gateway (OpenAI or Vertex AI behind it, set by headers)",
        factory="batchtui.core.providers.portkey:PortkeyProvider",
        default_base_url="https://api.portkey.ai/v1",
        default_key_envs=("PORTKEY_API_KEY",),
        limits="batchtui.core.formats.limits:PORTKEY_LIMITS",
        help_group="gateways (shortcuts for the headers and body they need)",
        settings=(
            KindSetting(
                "provider",
                "portkey: x-portkey-provider, e.g. @vertexai",
                metavar="SLUG",
                into=("headers", "x-portkey-provider"),
                in_form=False,
            ),
            KindSetting(
                "bucket",
                "portkey to Vertex: the same, sent as a header",
                metavar="NAME",
                into=("headers", "x-portkey-vertex-storage-bucket-name"),
                in_form=False,
            ),
            KindSetting(
                "provider_model",
                "portkey to Vertex: the model input lines are converted for",
                metavar="M",
                into=("headers", "x-portkey-provider-model"),
                in_form=False,
            ),
        ),
    ),
    ProviderKind(
        name="litellm",
        description="LiteLLM proxy (backend set by extra_body.custom_llm_provider)",
        factory="batchtui.core.providers.litellm:LiteLLMProvider",
        # Always self-hosted: the profile must say where (e.g. http://host:4000/v1).
        default_base_url=None,
        default_key_envs=("LITELLM_API_KEY",),
        limits="batchtui.core.formats.limits:LITELLM_LIMITS",
        help_group="gateways (shortcuts for the headers and body they need)",
        settings=(
            KindSetting(
                "custom_llm_provider",
                "litellm: the backend (custom_llm_provider), e.g. vertex_ai",
                metavar="P",
                into=("extra_body", "custom_llm_provider"),
                in_form=False,
            ),
        ),
    ),
    ProviderKind(
        name="gemini",
        description="Gemini Developer API batch mode (API key)",
        factory="batchtui.core.providers.gemini:GeminiProvider",
        default_base_url="https://generativelanguage.googleapis.com",
        default_key_envs=("GEMINI_API_KEY", "GOOGLE_API_KEY"),
        limits="batchtui.core.formats.limits:GEMINI_LIMITS",
    ),
    ProviderKind(
        name="vertex",
        description="Vertex AI batch prediction (Google Cloud project, Cloud Storage bucket)",
        factory="batchtui.core.providers.vertex:VertexProvider",
        # Regional: `{location}-aiplatform...`, or no prefix for `global`.
        default_base_url=_vertex_base_url,
        # Google credentials (a key file or application default credentials), no API key.
        default_key_envs=(),
        limits="batchtui.core.formats.limits:VERTEX_LIMITS",
        credentials=_google_credentials,
        help_group="vertex (Google Cloud)",
        settings=(
            KindSetting(
                "project",
                "Google Cloud project id",
                metavar="ID",
                placeholder="Google Cloud project id (empty: the credentials' project)",
            ),
            KindSetting("location", "region, e.g. us-central1 (default) or global", metavar="L"),
            KindSetting(
                "bucket",
                "vertex: the Cloud Storage bucket (NAME or NAME/PREFIX) for inputs and results",
                metavar="NAME",
                placeholder="Cloud Storage bucket for inputs and results (name or name/prefix)",
            ),
            KindSetting(
                "credentials",
                "service-account or authorized-user JSON file (its path is stored, not the "
                "key; default: application default credentials)",
                metavar="FILE",
                private_file=True,
                placeholder="service-account JSON file (empty: application default)",
            ),
            KindSetting(
                "storage_url",
                "Cloud Storage API address (default: Google's)",
                metavar="URL",
                url=True,
                in_form=False,
            ),
        ),
    ),
)

PROVIDER_KINDS: dict[str, ProviderKind] = {kind.name: kind for kind in KINDS}


def provider_kinds() -> list[str]:
    return sorted(PROVIDER_KINDS)


def get_kind(kind: str, *, profile_name: str | None = None) -> ProviderKind:
    from batchtui.core.errors import ConfigError

    try:
        return PROVIDER_KINDS[kind]
    except KeyError:
        where = f"profile {profile_name!r}: " if profile_name else ""
        raise ConfigError(
            f"{where}unknown kind {kind!r} (known: {', '.join(provider_kinds())})"
        ) from None


def profile_settings() -> Iterator[KindSetting]:
    """Every setting that is a `Profile` field, once each (kinds may share one, e.g. bucket)."""
    seen: set[str] = set()
    for kind in KINDS:
        for setting in kind.settings:
            if setting.into is None and setting.name not in seen:
                seen.add(setting.name)
                yield setting


def flag_settings() -> dict[str, list[tuple[ProviderKind, KindSetting]]]:
    """`profile add` flags by setting name, with every kind that takes each."""
    flags: dict[str, list[tuple[ProviderKind, KindSetting]]] = {}
    for kind in KINDS:
        for setting in kind.settings:
            flags.setdefault(setting.name, []).append((kind, setting))
    return flags


def form_settings() -> dict[str, list[tuple[ProviderKind, KindSetting]]]:
    """The profile form's kind rows by setting name, with the kinds each row is shown for."""
    return {
        name: owners
        for name, owners in (
            (name, [(k, s) for k, s in owners if s.in_form])
            for name, owners in flag_settings().items()
        )
        if owners
    }


def setting_value(setting: KindSetting, value: Any, *, label: str) -> Any:
    """`value` as stored: private files resolved and checked (ConfigError names `label`)."""
    if setting.private_file:
        from pathlib import Path

        from batchtui.core.providers.google_auth import check_private_file

        path = Path(str(value)).expanduser().resolve()
        check_private_file(path, setting=label)
        return str(path)
    return value


def default_base_url(profile: Profile) -> str | None:
    """The kind's default URL for this profile, or None when the profile must give one."""
    url = get_kind(profile.kind, profile_name=profile.name).default_base_url
    return url(profile) if callable(url) else url


def describe_credentials(profile: Profile) -> str | None:
    """What a kind that signs in without an API key uses, or None for API-key kinds."""
    describe = get_kind(profile.kind, profile_name=profile.name).credentials
    return describe(profile) if describe else None


def _load(reference: str) -> Any:
    import importlib

    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


def limits_for_kind(kind: str | None) -> Limits:
    """The limits of a provider kind's input files; OpenAI's when the kind is unknown or None."""
    known = PROVIDER_KINDS.get(kind or DEFAULT_KIND)
    limits: Limits = _load(known.limits if known else OPENAI_LIMITS_REF)
    return limits


def make_provider(profile: Profile, *, debug: bool = False) -> BatchProvider:
    """Build the provider for a profile (this reads its API key)."""
    cls = _load(get_kind(profile.kind, profile_name=profile.name).factory)
    provider: BatchProvider = cls.from_profile(profile, debug=debug)
    return provider
