"""Wire-format flavours: how the simulator's routes and objects look to a client.

`openai` is OpenAI's own API. A gateway flavour (`portkey-vertex`, `litellm-vertex`, to come)
is a separate module exposing a `FLAVOR` with its own routes, usually reusing the OpenAI
handlers and reshaping their objects (timestamps in milliseconds, counts as strings...).
"""

from __future__ import annotations

import importlib

from batchtui.simulator.http_types import Flavor

# flavour name -> module under batchtui.simulator.flavors
FLAVOR_MODULES = {"openai": "openai"}


def load_flavor(name: str) -> Flavor:
    module_name = FLAVOR_MODULES.get(name)
    if module_name is None:
        raise ValueError(f"unknown simulator flavor {name!r} (one of {', '.join(FLAVOR_MODULES)})")
    module = importlib.import_module(f"{__name__}.{module_name}")
    return module.FLAVOR
