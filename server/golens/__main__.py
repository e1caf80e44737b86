from golens.cli import main

raise SystemExit(main())
