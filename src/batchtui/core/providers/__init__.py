"""Provider kinds (defined in `kinds`) and how to build one from a profile.

Implementations are imported only when a profile of their kind is used, so the CLI's
cheap commands never load an HTTP client.
"""

from __future__ import annotations

from batchtui.core.providers.kinds import (
    DEFAULT_VERTEX_LOCATION,
    PROVIDER_KINDS,
    ProviderKind,
    default_base_url,
    get_kind,
    make_provider,
    provider_kinds,
)

__all__ = [
    "DEFAULT_VERTEX_LOCATION",
    "PROVIDER_KINDS",
    "ProviderKind",
    "default_base_url",
    "get_kind",
    "make_provider",
    "provider_kinds",
]
