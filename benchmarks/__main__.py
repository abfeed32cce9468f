"""``python -m benchmarks [--quick] [--json PATH]``: see benchmarks/README.md."""

from benchmarks.tally_bench import main

raise SystemExit(main())
