"""A local simulator of OpenAI's Files and Batch API (`batchtui simulate`, `--demo`, tests).

Beside it, on the same port, Google's own batch APIs (see `google`): the Gemini Developer API
(/v1beta), Vertex AI batchPredictionJobs (/v1/projects/...), Cloud Storage (/storage/v1) and
an OAuth2 token endpoint (/token); their base URL is the handle's `.root_url`.

Start one in-process with `start_in_thread(**options)`, or as a command with
`python -m batchtui.simulator` (see `cli`).
"""

from batchtui.simulator.options import SimulatorOptions
from batchtui.simulator.runner import SimulatorHandle, start_in_thread

__all__ = ["SimulatorHandle", "SimulatorOptions", "start_in_thread"]
