"""``python -m pay1st_mock`` is the same as the ``pay1st-mock`` command."""

from pay1st_mock.cli import main

raise SystemExit(main())
