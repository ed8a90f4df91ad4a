"""A local simulator of OpenAI's Files and Batch API (`batchtui simulate`, `--demo`, tests).

Start one in-process with `start_in_thread(**options)`, or as a command with
`python -m batchtui.simulator` (see `cli`).
"""

from batchtui.simulator.options import SimulatorOptions
from batchtui.simulator.runner import SimulatorHandle, start_in_thread

__all__ = ["SimulatorHandle", "SimulatorOptions", "start_in_thread"]
