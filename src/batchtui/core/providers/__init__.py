"""Provider kinds, their defaults, and how to build one from a profile.

Implementations are imported only when a profile of their kind is used, so the CLI's
cheap commands never load an HTTP client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from batchtui.core.config import Profile
    from batchtui.core.providers.base import BatchProvider


@dataclass(frozen=True)
class ProviderKind:
    name: str
    module: str
    class_name: str
    default_base_url: str | None
    default_key_envs: tuple[str, ...]  # the first one set wins
    description: str


PROVIDER_KINDS: dict[str, ProviderKind] = {
    kind.name: kind
    for kind in (
        ProviderKind(
            name="openai",
            module="batchtui.core.providers.openai",
            class_name="OpenAIProvider",
            default_base_url="https://api.openai.com/v1",
            default_key_envs=("OPENAI_API_KEY",),
            description="OpenAI Batch API, or any server that speaks it",
        ),
        ProviderKind(
            name="portkey",
            module="batchtui.core.providers.portkey",
            class_name="PortkeyProvider",
            default_base_url="https://api.portkey.ai/v1",
            default_key_envs=("PORTKEY_API_KEY",),
            description="Portkey AI gateway (OpenAI or Vertex AI behind it, set by headers)",
        ),
        ProviderKind(
            name="litellm",
            module="batchtui.core.providers.litellm",
            class_name="LiteLLMProvider",
            # Always self-hosted: the profile must say where (e.g. http://host:4000/v1).
            default_base_url=None,
            default_key_envs=("LITELLM_API_KEY",),
            description="LiteLLM proxy (backend set by extra_body.custom_llm_provider)",
        ),
        ProviderKind(
            name="gemini",
            module="batchtui.core.providers.gemini",
            class_name="GeminiProvider",
            default_base_url="https://generativelanguage.googleapis.com",
            default_key_envs=("GEMINI_API_KEY", "GOOGLE_API_KEY"),
            description="Gemini Developer API batch mode (API key)",
        ),
        ProviderKind(
            name="vertex",
            module="batchtui.core.providers.vertex",
            class_name="VertexProvider",
            # Regional: `{location}-` is the profile's location, or nothing for `global`.
            default_base_url="https://{location}-aiplatform.googleapis.com",
            # Google credentials (a key file or application default credentials), no API key.
            default_key_envs=(),
            description="Vertex AI batch prediction (Google Cloud project, Cloud Storage bucket)",
        ),
        ProviderKind(
            name="direct",
            module="batchtui.core.providers.direct.provider",
            class_name="DirectProvider",
            # A server the user runs (vllm serve, SGLang, Ollama): the profile says where.
            default_base_url=None,
            default_key_envs=(),
            description="client-side runner for OpenAI-compatible servers without a batch API",
        ),
    )
}

# Vertex AI's location when the profile names none.
DEFAULT_VERTEX_LOCATION = "us-central1"


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


def default_base_url(profile: Profile) -> str | None:
    """The kind's default URL for this profile (Vertex AI's depends on its location)."""
    url = get_kind(profile.kind, profile_name=profile.name).default_base_url
    if url and "{location}-" in url:
        location = getattr(profile, "location", None) or DEFAULT_VERTEX_LOCATION
        url = url.replace("{location}-", "" if location == "global" else f"{location}-")
    return url


def make_provider(profile: Profile, *, debug: bool = False) -> BatchProvider:
    """Build the provider for a profile (this reads its API key)."""
    import importlib

    info = get_kind(profile.kind, profile_name=profile.name)
    cls = getattr(importlib.import_module(info.module), info.class_name)
    return cls.from_profile(profile, debug=debug)
