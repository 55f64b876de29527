"""Diagnosis, not run by run.py: a child under cProfile in every thread, and its top functions."""

from __future__ import annotations

import io

import harness

from .child import run_child
from .overhead import overhead_args
from .settings import BENCH_DIR


def print_profile(what: str, timer: str, top: int) -> None:
    import pstats

    out = BENCH_DIR / "results" / f"profile-scenarios-{what}-{timer}.prof"
    out.parent.mkdir(parents=True, exist_ok=True)
    extra = ["--profile-out", str(out), "--timer", timer]
    if what == "overhead":
        with harness.running_server() as server:
            result = run_child([*overhead_args(False, server.wait_for_url()), *extra])
        print(f"overhead: {result['steps']} partner-facing steps in "
              f"{result['partner_wall_s']:.2f} s under cProfile ({timer} timer, all threads; read "
              "the shares); parse_scenario and the emulator-facing steps are in the profile too")
    else:
        result = run_child(["pack", "--runs", "1", *extra])
        print(f"pack: {result['runs'][0]['total_s']:.2f} s under cProfile ({timer} timer, all "
              "threads: runner, reference partner, MockServer)")
    buffer = io.StringIO()
    stats = pstats.Stats(str(out), stream=buffer)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    print(buffer.getvalue())
    print(f"stats written to {out}")
