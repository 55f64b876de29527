"""CI benchmarks: what pay1st-mock costs a test suite that runs it in-process.

- import time of the package, each sample in a fresh interpreter;
- ``MockServer().start()`` until ``GET /_mock/health`` answers 200, and ``stop()``, repeated in
  one process after the imports;
- per-test overhead of the ``pay1st_partner`` fixture: ``PartnerClient.create(url)`` then
  ``.reset()``, against one running ``MockServer``.

Whatever imports the package runs in a child interpreter, so the benchmark process stays
black-box like the rest of bench/. A child is ``python bench/ci.py --child startup|fixture ...``
and prints one JSON line. Children write and read bytecode under ``bench/results/pycache``
(``PYTHONPYCACHEPREFIX``), so nothing is written into the package and the import figures do not
depend on whether someone compiled it. An info row shows imports as this environment runs them
(``PYTHONDONTWRITEBYTECODE=1`` and no ``__pycache__`` mean the package is compiled every time).

Diagnosis (not run by run.py)::

    python bench/ci.py --profile startup|fixture [--timer cpu|wall] [--runs N] [--top 25]
    python bench/ci.py --importtime ["import pay1st_mock.server"] [--top 25]

``--profile`` runs cProfile in every thread of the child (the server's threads too) and writes
``bench/results/profile-ci-<what>-<timer>.prof``. ``--importtime`` prints ``-X importtime``:
modules and top-level packages by self time.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import harness  # noqa: E402
from harness import Context, Metric, median, percentile  # noqa: E402

# Targets from the issue (2-core machine).
IMPORT_MEDIAN_MS = 250.0
START_READY_MEDIAN_MS = 50.0
FIXTURE_P50_MS = 5.0

PYCACHE = harness.PYCACHE
RESULT_MARKER = "CI_RESULT="
FIXTURE_WARMUP = 5

# (label, statement): what each fresh interpreter imports; the target applies to the first two.
IMPORTS: list[tuple[str, str]] = [
    ("import pay1st_mock", "import pay1st_mock"),
    ("import pay1st_mock.server", "import pay1st_mock.server"),
    ("from pay1st_mock.app import create_app", "from pay1st_mock.app import create_app"),
    ("import server + app together",
     "import pay1st_mock.server; from pay1st_mock.app import create_app"),
]
IMPORT_TARGETS = {"import pay1st_mock", "import pay1st_mock.server"}
# Imported as this environment runs them too (an info row each).
AS_IS_IMPORTS = ["import pay1st_mock.server", "import server + app together"]
FLOOR = "pass"
# Times exactly the statement, in the child; the parent times the whole process as well.
IMPORT_SNIPPET = ("import time; t0 = time.perf_counter(); {statement}; "
                  "t1 = time.perf_counter(); print('" + RESULT_MARKER + "%r' % (t1 - t0))")


# --------------------------------------------------------------------------- children


def child_env(cached: bool = True) -> dict[str, str]:
    """The children's environment: bytecode cached under bench/results/pycache, or as is."""
    return harness.bytecode_env() if cached else dict(os.environ)


def run_child(args: Sequence[str], timeout: float = 300.0, script: Path | None = None,
              marker: str = RESULT_MARKER) -> dict[str, Any]:
    """Run ``python SCRIPT --child ARGS`` (default ``bench/ci.py``) and return the JSON result it
    prints after ``marker``."""
    PYCACHE.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([sys.executable, str(script or BENCH_DIR / "ci.py"), "--child", *args],
                          cwd=harness.ROOT, env=child_env(), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith(marker):
            result: dict[str, Any] = json.loads(line[len(marker):])
            return result
    raise RuntimeError(f"child {' '.join(args)} exited with {proc.returncode} and no result; "
                       f"stderr:\n{proc.stderr[-3000:]}")


def _emit(result: dict[str, Any]) -> None:
    print(RESULT_MARKER + json.dumps(result), flush=True)


def _wait_health(url: str, timeout: float = 10.0) -> int:
    """GET /_mock/health on a fresh connection until 200; return the number of tries."""
    host, _, port = url.removeprefix("http://").rpartition(":")
    if host != "127.0.0.1":
        raise RuntimeError(f"the MockServer listens on {url}, not 127.0.0.1")
    deadline = time.perf_counter() + timeout
    tries = 0
    while True:
        tries += 1
        conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
        try:
            conn.request("GET", "/_mock/health")
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                return tries
        except OSError:
            pass
        finally:
            conn.close()
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{url}/_mock/health never answered 200")
        time.sleep(0.0005)


@contextlib.contextmanager
def _profiled(out: str | None, timer: str = "cpu") -> Iterator[None]:
    """cProfile in this thread and every thread started inside, dumped to ``out``.

    Threads still running at the end are left out: stop the server inside the block.

    ``timer`` "cpu" (``time.thread_time``: each thread's own CPU, so waiting costs nothing) or
    "wall" (``time.perf_counter``: idle threads' waits dominate).
    """
    if not out:
        yield
        return
    import cProfile
    import pstats

    clock = time.thread_time if timer == "cpu" else time.perf_counter
    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()
    original_run = threading.Thread.run

    def profiled_run(self: threading.Thread) -> None:
        profile = cProfile.Profile(clock)
        profile.enable()
        try:
            original_run(self)
        finally:
            profile.disable()
            with lock:  # only finished threads: a live one's open frames would be mistimed
                profiles.append(profile)

    threading.Thread.run = profiled_run  # type: ignore[method-assign]
    main_profile = cProfile.Profile(clock)
    main_profile.enable()
    try:
        yield
    finally:
        main_profile.disable()
        threading.Thread.run = original_run  # type: ignore[method-assign]
        stats = pstats.Stats(main_profile)
        with lock:
            for other in profiles:
                with contextlib.suppress(TypeError):  # a profile that saw nothing
                    stats.add(other)
        stats.dump_stats(out)


def child_startup(runs: int, profile: str | None, timer: str = "cpu") -> dict[str, Any]:
    """``MockServer().start()`` → health 200 → ``stop()``, ``runs`` times in this process."""
    import encodings.idna  # noqa: F401 — http.client's (the health check), on first use

    import pay1st_mock.app  # noqa: F401 — what start() imports: done here, untimed
    from pay1st_mock.server import MockServer

    perf = time.perf_counter
    starts, readies, stops, tries = [], [], [], []
    threads_before = threading.active_count()
    modules_before = set(sys.modules)
    first_imports: list[str] = []
    with _profiled(profile, timer):
        for _ in range(runs):
            t0 = perf()
            server = MockServer().start()
            t1 = perf()
            tries.append(_wait_health(server.url))
            t2 = perf()
            server.stop()
            t3 = perf()
            starts.append(t1 - t0)
            readies.append(t2 - t0)
            stops.append(t3 - t2)
            if not first_imports:  # create_app imports some modules only when called
                first_imports = sorted(set(sys.modules) - modules_before) or ["(none)"]
    return {"start_s": starts, "ready_s": readies, "stop_s": stops, "health_tries": tries,
            "imported_by_first_start": first_imports, "threads_before": threads_before,
            "threads_after": threading.active_count(),
            "leftover_threads": [t.name for t in threading.enumerate()
                                 if t is not threading.main_thread()]}


def child_fixture(runs: int, url: str | None, profile: str | None,
                  timer: str = "cpu") -> dict[str, Any]:
    """What ``pay1st_partner`` does per test, ``FIXTURE_WARMUP`` + ``runs`` times.

    Against an in-process ``MockServer`` (as the plugin runs it: the server threads share this
    interpreter and its GIL) or, with ``url``, a server elsewhere.
    """
    from pay1st_mock.client import PartnerClient

    if url is None:
        import pay1st_mock.app  # noqa: F401 — what start() imports: done here, unprofiled
    server: Any = None
    in_process = url is None
    perf = time.perf_counter
    creates, resets, totals = [], [], []
    try:
        with _profiled(profile, timer):  # the server starts and stops inside: threads profiled
            if url is None:
                from pay1st_mock.server import MockServer

                server = MockServer().start()
                url = server.url
            for _ in range(FIXTURE_WARMUP + runs):
                t0 = perf()
                partner = PartnerClient.create(url)
                t1 = perf()
                partner.reset()
                t2 = perf()
                del partner  # the fixture's frame lets go of it after the test: closes its socket
                t3 = perf()
                creates.append(t1 - t0)
                resets.append(t2 - t1)
                totals.append(t3 - t0)
            if profile and server is not None:
                server.stop()
                server = None
        bare = [] if profile else _bare_calls(url, FIXTURE_WARMUP + runs)
    finally:
        if server is not None:
            server.stop()
    return {"in_process": in_process, "warmup": FIXTURE_WARMUP, "create_s": creates,
            "reset_s": resets, "total_s": totals, "bare_total_s": bare}


def _bare_calls(url: str, runs: int) -> list[float]:
    """The fixture's two HTTP calls (same bodies) over one keep-alive ``http.client``
    connection: the server's share, without requests and a new connection per call."""
    host, _, port = url.removeprefix("http://").rpartition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    headers = {"Content-Type": "application/json"}
    perf = time.perf_counter
    totals = []

    def call(path: str, body: bytes, expected: int) -> bytes:
        conn.request("POST", path, body, headers)
        response = conn.getresponse()
        data = response.read()
        if response.status != expected:
            raise RuntimeError(f"POST {path}: HTTP {response.status}: {data[:300]!r}")
        return data

    try:
        for _ in range(runs):
            t0 = perf()
            partner = json.loads(call("/_mock/partners", b"{}", 201))
            call("/_mock/reset", json.dumps({"partnerId": partner["partnerId"]}).encode(), 200)
            totals.append(perf() - t0)
    finally:
        conn.close()
    return totals


def child_main(args: argparse.Namespace) -> int:
    if args.child == "startup":
        _emit(child_startup(args.runs, args.profile_out, args.timer))
    else:
        _emit(child_fixture(args.runs, args.url, args.profile_out, args.timer))
    return 0


# --------------------------------------------------------------------------- import time


def time_import(statement: str, cached: bool = True) -> tuple[float, float]:
    """One fresh interpreter: (seconds the statement took inside it, wall seconds of the run)."""
    command = [sys.executable, "-c", IMPORT_SNIPPET.format(statement=statement)]
    t0 = time.perf_counter()
    proc = subprocess.run(command, cwd=harness.ROOT, env=child_env(cached), capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0 or RESULT_MARKER not in proc.stdout:
        raise RuntimeError(f"{statement!r} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    inside = float(proc.stdout.split(RESULT_MARKER, 1)[1].split()[0])
    return inside, wall


def importtime(statement: str) -> list[tuple[int, int, int, str]]:
    """``-X importtime`` of ``statement`` (bytecode cached): (self µs, cumulative µs, depth,
    module) of every module it imported, after the interpreter's own start-up (``site``)."""
    command = [sys.executable, "-X", "importtime", "-c", statement]
    proc = subprocess.run(command, cwd=harness.ROOT, env=child_env(), capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL, check=True)
    rows: list[tuple[int, int, int, str]] = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|", 2)
        depth = (len(name) - len(name.lstrip(" "))) // 2
        module = name.strip()
        if module == "site" and depth == 0:
            rows = []  # everything so far was start-up
            continue
        rows.append((int(own), int(cumulative), depth, module))
    return rows


def by_package(rows: Sequence[tuple[int, int, int, str]]) -> dict[str, float]:
    """Self time (ms) per top-level package, most first."""
    totals: dict[str, int] = {}
    for own, _, _, module in rows:
        top = module.split(".", 1)[0]
        totals[top] = totals.get(top, 0) + own
    return {name: round(us / 1000, 2) for name, us in
            sorted(totals.items(), key=lambda item: -item[1])}


def import_time(ctx: Context) -> list[Metric]:
    """Import time of the package, each sample in a fresh interpreter (median)."""
    runs = 5 if ctx.quick else 9
    cases = [("python -c pass", FLOOR, True)]
    cases += [(label, statement, True) for label, statement in IMPORTS]
    cases += [(f"as is: {label}", statement, False) for label, statement in IMPORTS
              if label in AS_IS_IMPORTS]
    for _, statement, cached in cases:  # untimed: fills the bytecode cache, warms the OS cache
        time_import(statement, cached)
    inside: dict[str, list[float]] = {label: [] for label, _, _ in cases}
    wall: dict[str, list[float]] = {label: [] for label, _, _ in cases}
    for round_ in range(runs):  # interleaved, and rotated so no case always runs first
        shift = round_ % len(cases)
        for label, statement, cached in cases[shift:] + cases[:shift]:
            seconds, whole = time_import(statement, cached)
            inside[label].append(seconds * 1000)
            wall[label].append(whole * 1000)
    floor = median(wall["python -c pass"])

    package_dir = harness.ROOT / "pay1st_mock"
    details: dict[str, Any] = {
        "runs": runs, "bytecode_cache": str(PYCACHE),
        "environment": {"PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE"),
                        "PYTHONPYCACHEPREFIX": os.environ.get("PYTHONPYCACHEPREFIX"),
                        "package_pyc_files": sum(1 for _ in package_dir.rglob("*.pyc"))},
        "python_c_pass_wall_ms": wall["python -c pass"],
    }
    metrics: list[Metric] = []
    for label, statement, cached in cases[1:]:
        in_ms, wall_ms = median(inside[label]), median(wall[label]) - floor
        details[label] = {"statement": statement, "bytecode_cached": cached,
                          "in_process_ms": inside[label], "wall_ms": wall[label],
                          "median_in_process_ms": in_ms, "median_wall_minus_floor_ms": wall_ms}
        if cached:
            target = IMPORT_MEDIAN_MS if label in IMPORT_TARGETS else None
            metrics += [Metric(f"{label} (median)", in_ms, "ms", target),
                        Metric("  wall − python -c pass (median)", wall_ms, "ms")]
        else:
            metrics.append(Metric(f"  {label.removeprefix('as is: ')}, env as is (median)",
                                  in_ms, "ms"))
    metrics.append(Metric("  interpreter floor: python -c pass, wall (median)", floor, "ms"))

    breakdown = importtime(IMPORTS[-1][1])
    details["importtime_by_package_ms"] = by_package(breakdown)
    details["importtime_top_modules_self_ms"] = [
        (module, round(own / 1000, 2)) for own, _, _, module in
        sorted(breakdown, key=lambda row: -row[0])[:15]]
    details["importtime_pay1st_mock_cumulative_ms"] = {
        module: round(cumulative / 1000, 2) for _, cumulative, _, module in breakdown
        if module.startswith("pay1st_mock")}
    ctx.details["ci_import_time"] = details
    return metrics


# --------------------------------------------------------------------------- start / fixture


def mock_server_start(ctx: Context) -> list[Metric]:
    """MockServer().start() until /_mock/health is 200, then stop(); one process, imports first."""
    runs = 10 if ctx.quick else 30
    result = run_child(["startup", "--runs", str(runs)])
    ready = [s * 1000 for s in result["ready_s"]]
    start = [s * 1000 for s in result["start_s"]]
    stop = [s * 1000 for s in result["stop_s"]]
    ctx.details["ci_mock_server_start"] = {**result, "runs": runs}
    leftover = len(result["leftover_threads"])
    return [
        Metric("MockServer start → health 200 (median)", median(ready), "ms",
               START_READY_MEDIAN_MS),
        Metric("  start → health 200 p90", percentile(ready, 90), "ms"),
        Metric("  first start in the process", ready[0], "ms"),
        Metric("  of which start() returns (median)", median(start), "ms"),
        Metric("MockServer stop() (median)", median(stop), "ms"),
        Metric("  stop() p90", percentile(stop, 90), "ms"),
        Metric("  threads left after the last stop()", leftover, "count", 0),
    ]


def fixture_overhead(ctx: Context) -> list[Metric]:
    """pay1st_partner per test: PartnerClient.create(url) + .reset() on one running MockServer."""
    runs = 50 if ctx.quick else 200
    local = run_child(["fixture", "--runs", str(runs)])
    remote = run_child(["fixture", "--runs", str(runs), "--url", ctx.server().wait_for_url()])
    ctx.details["ci_fixture_overhead"] = {"runs": runs, "in_process": local,
                                          "serve_subprocess": remote}

    def timed(result: dict[str, Any], key: str) -> list[float]:
        return [s * 1000 for s in result[key][result["warmup"]:]]

    totals = timed(local, "total_s")
    quarter = max(1, len(totals) // 4)
    return [
        Metric("pay1st_partner create + reset p50", percentile(totals, 50), "ms",
               FIXTURE_P50_MS),
        Metric("  p99", percentile(totals, 99), "ms"),
        Metric("  create p50", percentile(timed(local, "create_s"), 50), "ms"),
        Metric("  reset p50", percentile(timed(local, "reset_s"), 50), "ms"),
        Metric("  first call in the process (untimed warm-up)", local["total_s"][0] * 1000, "ms"),
        Metric("  same 2 calls, 1 keep-alive http.client connection: p50",
               percentile(timed(local, "bare_total_s"), 50), "ms"),
        Metric("  last quarter p50 / first quarter p50",
               statistics.median(totals[-quarter:]) / statistics.median(totals[:quarter]), "×"),
        Metric("  against a `serve` subprocess instead: p50",
               percentile(timed(remote, "total_s"), 50), "ms"),
    ]


BENCHMARKS = [import_time, mock_server_start, fixture_overhead]


# --------------------------------------------------------------------------- diagnosis


def print_profile(what: str, runs: int, top: int, timer: str) -> None:
    import pstats

    out = BENCH_DIR / "results" / f"profile-ci-{what}-{timer}.prof"
    out.parent.mkdir(parents=True, exist_ok=True)
    result = run_child([what, "--runs", str(runs), "--profile-out", str(out), "--timer", timer])
    key = "ready_s" if what == "startup" else "total_s"
    print(f"{what}: median {median(result[key]) * 1000:.2f} ms per run under cProfile "
          f"({timer} timer, all threads; read the shares, not the absolute figures)")
    buffer = io.StringIO()
    stats = pstats.Stats(str(out), stream=buffer)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    print(buffer.getvalue())
    print(f"stats written to {out}")


def print_importtime(statement: str, top: int) -> None:
    rows = importtime(statement)
    print(f"-X importtime of {statement!r} (bytecode cached): "
          f"{sum(row[0] for row in rows) / 1000:.1f} ms in {len(rows)} modules")
    print("\nby top-level package (self ms):")
    for name, ms in list(by_package(rows).items())[:top]:
        print(f"  {ms:8.2f}  {name}")
    print("\nmodules by self time (self ms, cumulative ms):")
    for own, cumulative, _, module in sorted(rows, key=lambda row: -row[0])[:top]:
        print(f"  {own / 1000:8.2f}  {cumulative / 1000:8.2f}  {module}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=["startup", "fixture"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    parser.add_argument("--profile", choices=["startup", "fixture"],
                        help="cProfile a child (all threads) and print the top functions")
    parser.add_argument("--importtime", nargs="?", const=IMPORTS[-1][1], metavar="STATEMENT",
                        help="print -X importtime by package and module")
    parser.add_argument("--timer", choices=["cpu", "wall"], default="cpu",
                        help="--profile: each thread's CPU time (default) or wall clock")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args)
    actions: list[Callable[[], None]] = []
    if args.profile:
        actions.append(lambda: print_profile(args.profile, args.runs, args.top, args.timer))
    if args.importtime:
        actions.append(lambda: print_importtime(args.importtime, args.top))
    if not actions:
        parser.error("nothing to do: --profile or --importtime (run.py runs the benchmarks)")
    for action in actions:
        action()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
