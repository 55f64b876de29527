"""Run the pay1st-mock benchmarks and report: ``python bench/run.py [--quick] [--json FILE]``.

Prints a table (metric, value, unit, target, ok?) and writes JSON (default
bench/results/latest.json). Exit status 0 whatever the figures: a benchmark reports. With
``--strict``, exit 1 when any metric misses its target. Exit 2 when a benchmark could not run.

To add benchmarks, write a module in bench/ with ``BENCHMARKS = [fn, ...]`` where
``fn(ctx: harness.Context) -> list[harness.Metric]``, and add its name to ``MODULES``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import sys
import time
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:  # also works as `python -m bench.run`
    sys.path.insert(0, str(BENCH_DIR))

import harness  # noqa: E402

MODULES = ["gateway", "versus", "webhooks", "flows", "ci", "scenarios", "reliability"]
DEFAULT_JSON = BENCH_DIR / "results" / "latest.json"
BUSY_WARNING_CORES = 0.3


def collect(only: list[str] | None) -> list[tuple[str, harness.Benchmark]]:
    found = []
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for fn in module.BENCHMARKS:
            name = f"{module_name}.{fn.__name__}"
            if not only or any(o in (name, fn.__name__, module_name) for o in only):
                found.append((name, fn))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs, shorter load")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write JSON")
    parser.add_argument("--strict", action="store_true", help="exit 1 on any missed target")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this benchmark or module (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                        help="first wait up to SECONDS for other processes to leave the CPUs "
                             f"(< {BUSY_WARNING_CORES} cores busy)")
    args = parser.parse_args(argv)

    benchmarks = collect(args.only)
    if args.list or not benchmarks:
        for name, fn in benchmarks:
            print(f"{name:32} {(fn.__doc__ or '').strip().splitlines()[0]}")
        return 0 if benchmarks else 2

    ctx = harness.Context(quick=args.quick)
    started = time.time()
    machine = harness.machine_info()
    busy_before = harness.busy_cores(1.0)
    deadline = time.monotonic() + args.wait_quiet
    while (busy_before is not None and busy_before > BUSY_WARNING_CORES
           and time.monotonic() < deadline):
        print(f"waiting for a quiet machine ({busy_before:.1f} cores busy) ...", file=sys.stderr,
              flush=True)
        time.sleep(2.0)
        busy_before = harness.busy_cores(1.0)
    if busy_before is not None and busy_before > BUSY_WARNING_CORES:
        print(f"warning: other processes keep {busy_before:.1f} of {machine['cpu_count']} cores "
              "busy; figures will be pessimistic", file=sys.stderr)
    metrics: list[harness.Metric] = []
    failures: dict[str, str] = {}
    per_benchmark: dict[str, float] = {}
    interference: dict[str, float | None] = {}
    try:
        for name, fn in benchmarks:
            print(f"running {name} ...", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            watch = harness.Interference(ctx)
            try:
                metrics += fn(ctx)
            except Exception:
                failures[name] = traceback.format_exc()
                print(failures[name], file=sys.stderr)
            per_benchmark[name] = round(time.perf_counter() - t0, 2)
            interference[name] = watch.cores()
    finally:
        ctx.close()
    metrics.append(harness.Metric("machine busy just before the run", busy_before, "cores"))
    metrics += [harness.Metric(f"other processes' CPU during {name.split('.')[-1]}", cores,
                               "cores") for name, cores in interference.items()]
    disturbed = [name for name, cores in interference.items()
                 if cores is not None and cores > BUSY_WARNING_CORES]

    print()
    print(harness.format_table(metrics))
    missed = [m for m in metrics if m.ok is False]
    print()
    print(f"{len(metrics)} metrics, {sum(m.ok is True for m in metrics)} targets met, "
          f"{len(missed)} missed" + (f", {len(failures)} benchmark(s) failed to run: "
                                     + ", ".join(failures) if failures else ""))
    if disturbed:
        print(f"warning: other processes used > {BUSY_WARNING_CORES} cores during "
              f"{', '.join(disturbed)}; those figures are pessimistic, run again on a quiet "
              "machine")

    report = {
        "schema": 1,
        "started_at": dt.datetime.fromtimestamp(started, dt.UTC).isoformat(),
        "duration_s": round(time.time() - started, 2),
        "quick": args.quick,
        "machine": machine,
        "benchmark_seconds": per_benchmark,
        "other_processes_cores": interference,
        "disturbed": disturbed,
        "metrics": [m.as_json() for m in metrics],
        "missed": [m.name for m in missed],
        "failures": failures,
        "details": ctx.details,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"JSON written to {args.json}")

    if failures:
        return 2
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
