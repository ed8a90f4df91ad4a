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
    )
}


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


def make_provider(profile: Profile, *, debug: bool = False) -> BatchProvider:
    """Build the provider for a profile (this reads its API key)."""
    import importlib

    info = get_kind(profile.kind, profile_name=profile.name)
    cls = getattr(importlib.import_module(info.module), info.class_name)
    return cls.from_profile(profile, debug=debug)
