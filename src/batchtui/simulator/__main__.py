"""`python -m batchtui.simulator`: the same as `batchtui simulate`."""

import sys

from batchtui.simulator.cli import main

raise SystemExit(main(sys.argv[1:]))
