"""The command line: ``python bench/scenarios --profile overhead|pack [--timer cpu|wall]
[--top 25]`` (diagnosis, ``profiling.py``); ``--child overhead|pack ...`` is a benchmark's child
interpreter, which prints one JSON line (``run_child`` starts it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BENCH_DIR = PACKAGE_DIR.parent
# ``python bench/scenarios`` puts this directory first on sys.path; import the package from
# bench/ instead, as run.py does.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != PACKAGE_DIR]
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import scenarios  # noqa: E402
from scenarios.child import emit  # noqa: E402
from scenarios.overhead import child_overhead  # noqa: E402
from scenarios.pack import child_pack  # noqa: E402
from scenarios.profiling import print_profile  # noqa: E402


def child_main(args: argparse.Namespace) -> int:
    if args.child == "overhead":
        emit(child_overhead(args.url, args.steps, args.pairs, args.chunks, args.profile_out,
                            args.timer))
    else:
        emit(child_pack(args.runs, args.profile_out, args.timer))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(scenarios.__doc__ or "").splitlines()[0])
    parser.add_argument("--child", choices=["overhead", "pack"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=2000, help=argparse.SUPPRESS)
    parser.add_argument("--pairs", type=int, default=200, help=argparse.SUPPRESS)
    parser.add_argument("--chunks", type=int, default=4, help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=3, help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    parser.add_argument("--profile", choices=["overhead", "pack"],
                        help="cProfile a child (all threads) and print the top functions")
    parser.add_argument("--timer", choices=["cpu", "wall"], default="cpu",
                        help="--profile: each thread's CPU time (default) or wall clock")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args)
    if not args.profile:
        parser.error("nothing to do: --profile overhead|pack (run.py runs the benchmarks)")
    print_profile(args.profile, args.timer, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
