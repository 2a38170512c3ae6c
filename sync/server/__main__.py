"""`python -m sync.server` is `countertop-shop`."""

from sync.server.cli import main

raise SystemExit(main())
