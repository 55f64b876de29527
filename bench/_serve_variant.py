"""``pay1st-mock`` with bench-only instrumentation or settings, for diagnosis (never for run.py).

    python bench/_serve_variant.py [--profile OUT.prof] [--timer cpu|wall] [--threads N]
                                   [--no-queue-warnings] serve --port 0 --data :memory:

--profile: cProfile in *every* thread (waitress serves requests on worker threads); the merged
  stats are written to OUT.prof when the server stops (SIGTERM). ``cpu`` times with
  ``time.thread_time`` (time waiting for the GIL or a lock left out), ``wall`` includes it.
--threads: waitress worker threads instead of the package's default (patched at run time here,
  the package is untouched).
--no-queue-warnings: silence waitress's "Task queue depth is N" warnings (logger waitress.queue).
--count-loop: count waitress I/O-loop turns (printed to stderr as LOOP_COUNTS at exit).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import logging
import pstats
import sys
import threading
import time
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

_profiles: list[cProfile.Profile] = []
_lock = threading.Lock()
_timer = time.perf_counter


def _new_profile() -> cProfile.Profile:
    profile = cProfile.Profile(_timer)
    with _lock:
        _profiles.append(profile)
    return profile


_original_run = threading.Thread.run


def _profiled_run(self: threading.Thread) -> None:
    profile = _new_profile()
    profile.enable()
    try:
        _original_run(self)
    finally:
        profile.disable()


def _count_loop_turns() -> None:
    """Count waitress I/O-loop turns, and the turns where poll() had POLLOUT registered for a
    channel that had nothing it could send yet; print both to stderr at exit."""
    import atexit

    from waitress import wasyncore
    from waitress.channel import HTTPChannel

    counts = {"turns": 0, "writable_checks_true": 0, "handle_write_nothing_sent": 0}
    original_poll2 = wasyncore.poll2
    original_writable = HTTPChannel.writable
    original_handle_write = HTTPChannel.handle_write

    def poll2(timeout: float = 0.0, map: object = None) -> None:
        counts["turns"] += 1
        original_poll2(timeout, map)

    def writable(self: HTTPChannel) -> object:
        result = original_writable(self)
        if result:
            counts["writable_checks_true"] += 1
        return result

    def handle_write(self: HTTPChannel) -> None:
        before = self.total_outbufs_len
        original_handle_write(self)
        if before and self.total_outbufs_len == before:
            counts["handle_write_nothing_sent"] += 1

    wasyncore.poll2 = poll2
    HTTPChannel.writable = writable
    HTTPChannel.handle_write = handle_write
    atexit.register(lambda: print(f"LOOP_COUNTS {counts}", file=sys.stderr, flush=True))


def main() -> int:
    global _timer
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--timer", default="cpu", choices=["cpu", "wall"])
    parser.add_argument("--threads", type=int)
    parser.add_argument("--no-queue-warnings", action="store_true")
    parser.add_argument("--count-loop", action="store_true")
    args, argv = parser.parse_known_args()

    from pay1st_mock import server
    from pay1st_mock.cli import main as cli_main

    if args.threads:
        defaults = list(server.HttpServer.__init__.__defaults__ or ())
        defaults[-1] = args.threads  # (host, port, threads)
        server.HttpServer.__init__.__defaults__ = tuple(defaults)
    if args.no_queue_warnings:
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    if args.count_loop:
        _count_loop_turns()
    if not args.profile:
        return cli_main(argv)

    _timer = time.thread_time if args.timer == "cpu" else time.perf_counter
    threading.Thread.run = _profiled_run  # type: ignore[method-assign]
    profile = _new_profile()
    profile.enable()
    try:
        code = cli_main(argv)
    finally:
        profile.disable()
    with _lock:
        profiles = list(_profiles)
    stats = pstats.Stats(profiles[0])
    for other in profiles[1:]:
        with contextlib.suppress(TypeError):  # a profile that never ran anything
            stats.add(other)
    stats.dump_stats(str(args.profile))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
