from batchtui.cli.main import main

raise SystemExit(main())
