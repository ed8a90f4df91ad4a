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
   `required` (the settings it cannot work without) and `limits` ("module:NAME" of its
   `formats.limits.Limits`, OpenAI's by default).
Nothing else changes: `profile add --<setting>` flags, `Profile.<setting>`, the welcome
form's rows and `profile show` follow from the row.

This module stays cheap to import (the CLI's parser reads it for `--help`): no pydantic, no
HTTP client, not even dataclasses (it loads `inspect`); providers and limits are imported by
name when first used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import Literal

    from batchtui.core.config import Profile
    from batchtui.core.formats.limits import Limits
    from batchtui.core.providers.base import BatchProvider

DEFAULT_KIND = "openai"
# Vertex AI's location when the profile names none.
DEFAULT_VERTEX_LOCATION = "us-central1"
OPENAI_LIMITS_REF = "batchtui.core.formats.limits:OPENAI_LIMITS"


class KindSetting:
    """One setting a kind adds to its profiles: a config key, a `profile add` flag, a form row."""

    __slots__ = (
        "help",
        "in_form",
        "into",
        "label",
        "metavar",
        "name",
        "placeholder",
        "private_file",
        "repeat",
        "url",
        "value_type",
    )

    def __init__(
        self,
        name: str,
        help: str,
        *,
        label: str = "",
        metavar: str = "V",
        value_type: type = str,
        private_file: bool = False,
        url: bool = False,
        into: tuple[Literal["headers", "extra_body"], str] | None = None,
        in_form: bool = True,
        placeholder: str = "",
        repeat: bool = False,
    ) -> None:
        self.name = name  # the config.toml key and `Profile` attribute
        self.help = help  # the flag's help; the form's placeholder unless `placeholder` is set
        self.label = label  # the form's label (default: the name, capitalised)
        self.metavar = metavar
        self.value_type = value_type  # str, int or float: how the flag and the form parse it
        # A path to a private file (a key file): stored resolved, refused when others can
        # read it.
        self.private_file = private_file
        self.url = url  # a URL: stored without its trailing slash
        # A shortcut stored elsewhere: ("headers", NAME) or ("extra_body", NAME), not a field.
        self.into = into
        self.in_form = in_form  # a row of the TUI's profile form
        self.placeholder = placeholder
        # A flag given once per value (`--vllm-arg A --vllm-arg B`), stored as a list.
        self.repeat = repeat

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def form_label(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    @property
    def form_placeholder(self) -> str:
        return self.placeholder or self.help


class ProviderKind:
    """What batchtui knows about one provider kind (one row of `KINDS`)."""

    __slots__ = (
        "_by_name",
        "credentials",
        "default_base_url",
        "default_key_envs",
        "description",
        "factory",
        "help_group",
        "limits",
        "name",
        "required",
        "settings",
        "takes_api_key",
        "takes_base_url",
    )

    def __init__(
        self,
        *,
        name: str,
        description: str,
        factory: str,
        default_base_url: str | Callable[[Profile], str] | None,
        default_key_envs: tuple[str, ...] = (),
        settings: tuple[KindSetting, ...] = (),
        limits: str = OPENAI_LIMITS_REF,
        credentials: Callable[[Profile], str] | None = None,
        help_group: str = "",
        required: tuple[str, ...] = (),
        takes_api_key: bool | None = None,
        takes_base_url: bool = True,
    ) -> None:
        self.name = name
        self.description = description
        self.factory = factory  # "module:Class"; the class has `from_profile(profile, *, debug)`
        # A URL, or a function of the profile (Vertex AI's depends on its location); None:
        # the profile must give `base_url` (self-hosted servers).
        self.default_base_url = default_base_url
        self.default_key_envs = default_key_envs  # the first one set wins
        self.settings = settings
        self.limits = limits  # "module:NAME" of the `Limits` its input files obey
        # For kinds that sign in without an API key: a one-line description of what they use.
        self.credentials = credentials
        self.help_group = help_group  # the title of its flags in `profile add --help`
        # Profile settings this kind cannot work without (checked by `core.profile_rules`
        # when a profile is added or edited); `base_url` is required when the kind has no
        # default URL.
        self.required = required
        # Whether its profiles name a key variable (and send headers): by default when it has
        # default key variables; a server that may or may not want a key says so.
        self.takes_api_key = bool(default_key_envs) if takes_api_key is None else takes_api_key
        # False for kinds that reach no HTTP server (their form shows no URL row).
        self.takes_base_url = takes_base_url
        self._by_name = {setting.name: setting for setting in settings}

    def __repr__(self) -> str:
        return f"ProviderKind({self.name!r})"

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


def _direct_credentials(profile: Profile) -> str:
    # Local servers (vllm serve, Ollama) often take no key: say so rather than "unset".
    import os

    name = profile.api_key_env
    if not name:
        return "no API key (set api_key_env if the server wants one)"
    return f"${name} ({'set' if os.environ.get(name) else 'unset'})"


def _google_credentials(profile: Profile) -> str:
    path = profile.credentials  # type: ignore[attr-defined]
    return f"credentials {path}" if path else "application default credentials"


def _slurm_location(profile: Profile) -> str:
    """Where a slurm profile's jobs live, shown where other kinds show their URL."""
    return f"slurm:{profile.work_dir or '(no work_dir)'}"  # type: ignore[attr-defined]


def _slurm_access(profile: Profile) -> str:
    """A slurm profile needs the SLURM client commands on PATH, not a key."""
    from batchtui.core.providers.slurm.commands import missing_commands

    missing = missing_commands()
    if missing:
        return (
            f"{', '.join(missing)} not on PATH: run batchtui on a login node of the cluster "
            "(or load its slurm module)"
        )
    return "sbatch and squeue on PATH"


# Vertex AI and LiteLLM-to-Vertex both read Cloud Storage: one declaration of its address.
STORAGE_URL_SETTING = KindSetting(
    "storage_url",
    "Cloud Storage API address (default: Google's)",
    metavar="URL",
    url=True,
    in_form=False,
)

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
            # LiteLLM serves no Vertex AI results without its database: batchtui reads them
            # from Cloud Storage itself, signed in with these.
            KindSetting(
                "credentials",
                "litellm to Vertex: the Google key file results are read from Cloud Storage with",
                metavar="FILE",
                private_file=True,
                in_form=False,
            ),
            KindSetting(
                "bucket",
                "litellm to Vertex: the only bucket results are read from",
                metavar="NAME",
                in_form=False,
            ),
            STORAGE_URL_SETTING,
        ),
    ),
    ProviderKind(
        name="direct",
        description="client-side runner for OpenAI-compatible servers without a batch API "
        "(vllm serve, SGLang, Ollama, llama.cpp)",
        factory="batchtui.core.providers.direct.provider:DirectProvider",
        # A server the user runs: the profile says where (e.g. http://node42:8000/v1).
        default_base_url=None,
        limits="batchtui.core.providers.direct.urls:DIRECT_LIMITS",
        credentials=_direct_credentials,
        takes_api_key=True,
        help_group="direct (client-side runner)",
        settings=(
            # Not in the TUI's form: the defaults serve, `profile add` sets them.
            KindSetting(
                "concurrency",
                "requests in flight at once (16)",
                metavar="N",
                value_type=int,
                in_form=False,
            ),
            KindSetting(
                "rpm", "requests per minute at most", metavar="N", value_type=int, in_form=False
            ),
            KindSetting(
                "tpm",
                "estimated tokens per minute at most",
                metavar="N",
                value_type=int,
                in_form=False,
            ),
            KindSetting(
                "give_up_after",
                "fail the job when the server answers nothing for this long (30m)",
                metavar="D",
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
        required=("bucket",),
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
            STORAGE_URL_SETTING,
        ),
    ),
    ProviderKind(
        name="slurm",
        description="vLLM run-batch in SLURM jobs on the cluster's own GPUs (a login node)",
        factory="batchtui.core.providers.slurm.provider:SlurmProvider",
        default_base_url=_slurm_location,
        limits="batchtui.core.providers.slurm.settings:SLURM_LIMITS",
        credentials=_slurm_access,
        required=("work_dir", "model"),
        takes_base_url=False,
        help_group="slurm (vLLM run-batch in SLURM jobs)",
        settings=(
            KindSetting(
                "work_dir",
                "slurm: folder on the cluster filesystem for job folders (inputs, results, logs)",
                metavar="DIR",
            ),
            KindSetting(
                "served_model_name",
                "slurm: the model name vLLM answers with (default: --model)",
                metavar="N",
                in_form=False,
            ),
            KindSetting("partition", "slurm: partition (sbatch --partition)", metavar="P"),
            KindSetting("account", "slurm: account (sbatch --account)", metavar="A"),
            KindSetting("qos", "slurm: QOS (sbatch --qos)", metavar="Q", in_form=False),
            KindSetting(
                "gres", "slurm: generic resources, e.g. gpu:1 (sbatch --gres)", metavar="G"
            ),
            KindSetting("time", "slurm: time limit, e.g. 04:00:00 (sbatch --time)", metavar="T"),
            KindSetting(
                "cpus", "slurm: CPUs per task (sbatch --cpus-per-task)", metavar="N", value_type=int
            ),
            KindSetting("mem", "slurm: memory, e.g. 32G (sbatch --mem)", metavar="M"),
            KindSetting(
                "max_lines_per_job",
                "slurm: split larger files into shards of N lines, run as one SLURM array",
                metavar="N",
                value_type=int,
                in_form=False,
            ),
            KindSetting(
                "lines_per_run",
                "slurm: answer N lines per vllm run-batch run, so a job cut short by its time "
                "limit keeps the runs it finished (each run loads the model again)",
                metavar="N",
                value_type=int,
                in_form=False,
            ),
            KindSetting(
                "setup",
                "slurm: shell lines run before vLLM in the job, "
                "e.g. 'module load cuda; source ~/vllm/bin/activate'",
                metavar="SH",
            ),
            KindSetting(
                "vllm_arg",
                "slurm: an argument for vllm run-batch (repeatable)",
                metavar="ARG",
                repeat=True,
                in_form=False,
            ),
            KindSetting(
                "sbatch_arg",
                "slurm: an extra sbatch option, e.g. --constraint=a100 (repeatable)",
                metavar="ARG",
                repeat=True,
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


def describe_access(profile: Profile) -> str:
    """How a profile signs in, without the key: `$NAME (set)`, a key file, or what is unset."""
    import os

    credentials = describe_credentials(profile)
    if credentials is not None:
        return credentials
    for name in profile.key_env_names:
        if os.environ.get(name):
            return f"${name} (set)"
    if profile.api_key is not None:
        return "in config file"
    return " or ".join(f"${name}" for name in profile.key_env_names) + " (unset)"


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
