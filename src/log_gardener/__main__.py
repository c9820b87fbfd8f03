from log_gardener.cli import main

raise SystemExit(main())
