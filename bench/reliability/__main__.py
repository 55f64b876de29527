"""Run the reliability benchmarks alone: ``python bench/reliability [--quick] [--only NAME]``.

Prints the table and exits 1 whenever a target is missed. ``--fill DIR COUNT SEED`` is the growth
run's child process (``fill.py``): it stores the payments and prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BENCH_DIR = PACKAGE_DIR.parent
# ``python bench/reliability`` puts this directory first on sys.path; import the package from
# bench/ instead, as run.py does.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != PACKAGE_DIR]
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import harness  # noqa: E402
from harness import Context, Metric  # noqa: E402

from reliability import BENCHMARKS  # noqa: E402
from reliability.fill import fill  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--fill"]:  # the growth benchmark's child process
        data, count, seed = Path(args[1]), int(args[2]), int(args[3])
        print(json.dumps(fill(data, count, seed)))
        return 0
    parser = argparse.ArgumentParser(description="Reliability benchmarks: soak, crash, growth.")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", action="append", choices=[f.__name__ for f in BENCHMARKS])
    parsed = parser.parse_args(args)
    ctx = Context(quick=parsed.quick)
    metrics: list[Metric] = []
    for fn in BENCHMARKS:
        if not parsed.only or fn.__name__ in parsed.only:
            print(f"running reliability.{fn.__name__} ...", file=sys.stderr, flush=True)
            metrics += fn(ctx)
    print(harness.format_table(metrics))
    missed = [m.name.strip() for m in metrics if m.ok is False]
    if missed:
        print("missed: " + "; ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
