"""Where does the server's CPU go as concurrency grows? A connection-count sweep.

    python bench/diagnose.py [--endpoint methods|token|create|query] [--connections 1,2,4,8,16]
                             [--seconds 2] [--threads N] [--no-queue-warnings] [--count-loop]

One server, the raw-socket load generator in a separate process; for each connection count:
requests/s, latency, server CPU split into the main thread (waitress's I/O loop) and the other
threads (request workers), and server CPU per request. Not part of run.py; no targets.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Sequence
from pathlib import Path

from pay1st_mock.process import PYTHON_COMMAND

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import gateway  # noqa: E402
import harness  # noqa: E402
import loadgen  # noqa: E402
from profile_server import request_specs  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="methods",
                        choices=["methods", "token", "create", "query"])
    parser.add_argument("--connections", default="1,2,4,8,16")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--client", default="raw", choices=["raw", "requests"])
    parser.add_argument("--threads", type=int, help="waitress worker threads (bench-only patch)")
    parser.add_argument("--no-queue-warnings", action="store_true",
                        help="silence waitress's 'Task queue depth' warnings")
    parser.add_argument("--count-loop", action="store_true",
                        help="a fresh server per row, counting waitress I/O-loop turns")
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.connections.split(",")]

    header = (f"{'conns':>5} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'server%':>8} "
              f"{'main%':>6} {'workers%':>9} {'client%':>8} {'cpu/req ms':>10} {'errors':>6}")
    print(header)
    command: Sequence[str] = PYTHON_COMMAND
    if args.threads or args.no_queue_warnings or args.count_loop:
        command = [sys.executable, str(BENCH_DIR / "_serve_variant.py"),
                   *(["--threads", str(args.threads)] if args.threads else []),
                   *(["--no-queue-warnings"] if args.no_queue_warnings else []),
                   *(["--count-loop"] if args.count_loop else [])]
    groups = [[c] for c in counts] if args.count_loop else [counts]
    warnings = 0
    for group in groups:
        with harness.running_server(command) as server:
            host, port = server.address
            token = gateway.get_access_token(server.wait_for_url())
            expected = 201 if args.endpoint == "create" else 200
            for count in group:
                specs = request_specs(args.endpoint, token, server.wait_for_url())
                r = loadgen.run_load_in_subprocess(loadgen.LoadSpec(
                    host=host, port=port, requests=specs, expected_status=expected,
                    connections=count, duration=args.seconds, warmup=0.3, client=args.client,
                    server_pid=server.pid))
                rps, cpu = r["requests_per_s"], r["server_cpu_pct_of_one_core"]
                per_request = cpu / 100 / rps * 1000 if cpu is not None and rps else float("nan")
                print(f"{count:>5} {rps:>7.0f} {r['latency_ms'][50]:>7.2f} "
                      f"{r['latency_ms'][99]:>7.2f} {_pct(cpu):>8} "
                      f"{_pct(r['server_main_thread_cpu_pct']):>6} "
                      f"{_pct(r['server_other_threads_cpu_pct']):>9} "
                      f"{_pct(r['client_cpu_pct_of_one_core']):>8} {per_request:>10.2f} "
                      f"{r['errors']:>6}", flush=True)
        stderr = server.stderr
        warnings += sum("queue depth" in line for line in stderr.splitlines())
        if args.count_loop:
            line = next((x for x in stderr.splitlines() if x.startswith("LOOP_COUNTS")), "")
            if line:
                loop = ast.literal_eval(line.split(" ", 1)[1])
                served = r["responses_including_warmup"] + 1  # + the token call
                print(f"      I/O-loop turns per request {loop['turns'] / served:.1f}; turns "
                      f"with POLLOUT on a channel that could not send yet "
                      f"{loop['handle_write_nothing_sent'] / served:.1f} per request")
    print(f"server stderr: {warnings} 'Task queue depth' warnings from waitress")
    return 0


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


if __name__ == "__main__":
    raise SystemExit(main())
