"""Profile the server under a load: where does its time go?

    python bench/profile_server.py [--endpoint methods|token|create|query] [--connections 16]
                                   [--seconds 3] [--timer cpu|wall] [--top 30]

Starts `pay1st-mock serve` under cProfile in every thread (``_serve_variant.py --profile``),
drives it with the raw-socket load generator from a separate process, stops it, writes
bench/results/profile-<endpoint>-c<connections>-<timer>.prof and prints the top functions.
cProfile slows the server several-fold: read the shares, not the absolute figures.
"""

from __future__ import annotations

import argparse
import io
import json
import pstats
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import gateway  # noqa: E402
import harness  # noqa: E402
import loadgen  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="methods",
                        choices=["methods", "token", "create", "query"])
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--timer", default="cpu", choices=["cpu", "wall"])
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    out = args.out or (BENCH_DIR / "results" /
                       f"profile-{args.endpoint}-c{args.connections}-{args.timer}.prof")
    out.parent.mkdir(parents=True, exist_ok=True)

    command = [sys.executable, str(BENCH_DIR / "_serve_variant.py"), "--profile", str(out),
               "--timer", args.timer]
    with harness.running_server(command) as server:
        host, port = server.address
        token = gateway.get_access_token(server.wait_for_url())
        specs = request_specs(args.endpoint, token, server.wait_for_url())
        expected = 201 if args.endpoint == "create" else 200
        result = loadgen.run_load_in_subprocess(loadgen.LoadSpec(
            host=host, port=port, requests=specs, expected_status=expected,
            connections=args.connections, duration=args.seconds, warmup=0.3,
            server_pid=server.pid))
    print(f"{args.endpoint}: {result['requests_per_s']:.0f} req/s under the profiler, "
          f"{result['errors']} errors {result['error_kinds'] or ''}, "
          f"server CPU {result['server_cpu_pct_of_one_core']:.0f}% of one core")
    buffer = io.StringIO()
    stats = pstats.Stats(str(out), stream=buffer)
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)
    print(buffer.getvalue())
    print(f"stats written to {out}")
    return 0


def request_specs(endpoint: str, token: str, base: str) -> list[loadgen.RequestSpec]:
    """Requests for ``endpoint``, cycled by the load generator (creates: 5,000 distinct ones)."""
    if endpoint == "methods":
        return [gateway.methods_request(token)]
    if endpoint == "token":
        return [gateway.token_request()]
    if endpoint == "create":
        return [gateway.create_request(token) for _ in range(5000)]
    client = gateway.RequestsClient(base)
    try:
        _, bodies, _ = gateway.timed_sequence(
            client, [gateway.create_request(token) for _ in range(50)], 201, 0)
    finally:
        client.close()
    return [gateway.query_request(token, json.loads(b)["reference"]) for b in bodies]


if __name__ == "__main__":
    raise SystemExit(main())
