"""Wire-format flavours: how the simulator's routes and objects look to a client.

`openai` is OpenAI's own API. A gateway flavour is a separate module exposing a `FLAVOR` with
its own routes, the engine behind them (`make_engine`) and its own key check (`admit`):

- `portkey-openai`: Portkey's gateway in front of OpenAI (`portkey_openai`), on the OpenAI
  engine, with Portkey's `/v1/batches/{id}/output`.
- `portkey-vertex`: Portkey's gateway in front of Vertex AI (`portkey_vertex`).
- `litellm-vertex`: a LiteLLM proxy in front of Vertex AI (`litellm_vertex`).
- `portkey-oss-openai` / `portkey-oss-vertex`: the open-source, self-hosted Portkey gateway
  in front of an OpenAI-format server (custom host) or Vertex AI (`portkey_oss_openai`,
  `portkey_oss_vertex`); the two above are hosted Portkey.

The two Vertex ones run on `vertex_engine.VertexEngine`, which keeps the OpenAI engine's store,
lifecycle and faults and speaks Vertex batch prediction jobs; each flavour converts them as its
gateway does.
"""

from __future__ import annotations

import importlib

from batchtui.simulator.http_types import Flavor

# flavour name -> module under batchtui.simulator.flavors
FLAVOR_MODULES = {
    "openai": "openai",
    "portkey-openai": "portkey_openai",
    "portkey-vertex": "portkey_vertex",
    "portkey-oss-openai": "portkey_oss_openai",
    "portkey-oss-vertex": "portkey_oss_vertex",
    "litellm-vertex": "litellm_vertex",
}


def load_flavor(name: str) -> Flavor:
    module_name = FLAVOR_MODULES.get(name)
    if module_name is None:
        raise ValueError(f"unknown simulator flavor {name!r} (one of {', '.join(FLAVOR_MODULES)})")
    module = importlib.import_module(f"{__name__}.{module_name}")
    return module.FLAVOR
