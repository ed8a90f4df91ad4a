import sys

from batchtui.simulator.cli import main

raise SystemExit(main(sys.argv[1:]))
