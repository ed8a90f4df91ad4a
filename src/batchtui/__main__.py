"""`python -m batchtui`: the same as the `batchtui` command."""

from batchtui.cli.main import main

raise SystemExit(main())
