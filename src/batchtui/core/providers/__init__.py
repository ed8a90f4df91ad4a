"""Provider kinds (defined in `kinds`) and how to build one from a profile.

Implementations are imported only when a profile of their kind is used, so the CLI's
cheap commands never load an HTTP client.
"""

from __future__ import annotations

import sys

# `import httpx` also imports httpx's own command-line client (`httpx._main`: click, Pygments
# and Rich) whenever click is importable, which many tools install: Rich in every CLI command
# and ~35 ms more. batchtui never runs that client, so its import is refused before any
# provider module imports httpx (all of them are in this package); httpx then keeps the
# stub `main` it defines for a missing CLI.
sys.modules.setdefault("httpx._main", None)

from batchtui.core.providers.kinds import (  # noqa: E402
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
