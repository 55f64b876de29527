"""The emulator next to Prism and bare-Flask floors, in one run (issue 18): ``versus_peers``.

Requests/s, p99 and server CPU per request for GET payment methods and POST token at 16
connections, the emulator's signed create, cold start and RSS, in alternating rounds, so drift
hits every server alike. The peers themselves (installing and running Prism, the floor servers)
are in ``peers.py``; the requests are built as ``gateway.py`` builds them.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import multiprocessing
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import harness
import loadgen
import peers
from gateway import (
    AUTH_MEDIA_TYPE,
    COLD_START_MEDIAN_MS,
    METHODS_CPU_PER_REQUEST_US,
    METHODS_PATH,
    TOKEN_PATH,
    create_request,
    get_access_token,
    methods_request,
    token_request,
)
from harness import Context, Metric, median
from rawhttp import RawConnection, build_request

from pay1st_mock.process import PYTHON_COMMAND, ServerProcess, ServerStartError

# --------------------------------------------------------------------------- versus peers

# Issue 18's targets (2-core machine); the cold start's and CPU per GET's are gateway.py's.
CREATE_MIN_RPS = 1000.0
CREATE_CPU_PER_REQUEST_US = 900.0
VERSUS_RPS_RATIO_MIN = 1.0  # pay1st-mock's req/s / Prism's
VERSUS_P99_RATIO_MAX = 1.0  # pay1st-mock's p99 / Prism's
START_RSS_MAX_MB = 45.0
LOADED_RSS_MAX_MB = 60.0

OURS = "pay1st-mock"
VERSUS_CONNECTIONS = 16
CREATE_SUPPLY_RPS = 5000  # creates built per second of load, so none is sent twice (loadgen
#                           cycles through its list): at 2000, 1,996 creates/s reused 65 (400s)
SOAK_CONNECTIONS = 8  # per half of the RSS load: creates, and token + methods


@dataclass(frozen=True)
class VersusPlan:
    """How long each part of ``versus_peers`` runs (``for_mode``: full or ``--quick``)."""

    rounds: int
    duration: float  # s timed per load
    warmup: float  # s untimed per load, connections already open
    cold_runs: int
    soak_s: float  # s of load (warm-ups included) before the RSS reading
    chunk_s: float  # the RSS load comes in chunks of this (warm-up included), fresh creates each

    @classmethod
    def for_mode(cls, quick: bool) -> VersusPlan:
        if quick:
            return cls(rounds=2, duration=1.0, warmup=0.4, cold_runs=3, soak_s=10.0,
                       chunk_s=5.0)
        return cls(rounds=3, duration=3.0, warmup=0.5, cold_runs=7, soak_s=60.0, chunk_s=5.0)


@dataclass
class Contender:
    """A server in the comparison: its label in the table and its running process."""

    label: str
    server: peers.Running


@dataclass
class LoadSummary:
    """One server's figures for one request over all rounds."""

    requests_per_s: float
    p99_ms: float  # median of the rounds' p99
    cpu_us: float | None  # server CPU per request over all rounds
    errors: int
    rounds: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, rounds: list[dict[str, Any]]) -> LoadSummary:
        """Σ requests / Σ window; the median of the rounds' p99; Σ server CPU / Σ requests."""
        served = sum(r["requests"] for r in rounds)
        window = sum(r["window_s"] for r in rounds)
        cpu = [r["server_cpu_pct_of_one_core"] / 100 * r["window_s"] for r in rounds
               if r["server_cpu_pct_of_one_core"] is not None]
        cpu_us = sum(cpu) / served * 1e6 if served and len(cpu) == len(rounds) else None
        return cls(served / window if window else 0.0,
                   median([r["latency_ms"][99] for r in rounds]), cpu_us,
                   sum(r["errors"] for r in rounds), rounds)


@contextlib.contextmanager
def load_pool(workers: int = 2) -> Iterator[concurrent.futures.ProcessPoolExecutor]:
    """Spawned processes that run ``loadgen.run_load``, kept for the whole benchmark (no
    interpreter start per load); one load at a time, or two at once for the RSS load."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield pool


def run_loads(pool: concurrent.futures.ProcessPoolExecutor,
              specs: Sequence[loadgen.LoadSpec]) -> list[dict[str, Any]]:
    """Run ``specs`` at the same time, each in a pool process; their ``run_load`` results."""
    futures = [pool.submit(loadgen.run_load, spec) for spec in specs]
    return [f.result(timeout=spec.warmup + spec.duration + 120)
            for f, spec in zip(futures, specs, strict=True)]


def load_spec(server: peers.Running, requests_: list[loadgen.RequestSpec], expected: int,
              plan: VersusPlan, connections: int = VERSUS_CONNECTIONS,
              duration: float | None = None) -> loadgen.LoadSpec:
    """A raw-socket closed-loop load on ``server`` measuring its process's CPU."""
    host, port = server.address
    return loadgen.LoadSpec(host=host, port=port, requests=requests_, expected_status=expected,
                            connections=connections, duration=duration or plan.duration,
                            warmup=plan.warmup, client="raw", server_pid=server.pid)


def fresh_creates(token: str, seconds: float) -> list[loadgen.RequestSpec]:
    """Enough signed creates, each with its own partnerReference, for ``seconds`` of load."""
    return [create_request(token) for _ in range(int(CREATE_SUPPLY_RPS * seconds))]


def versus_peers(ctx: Context) -> list[Metric]:
    """pay1st-mock next to Prism and bare-Flask floors in one run: load, cold start, RSS."""
    plan = VersusPlan.for_mode(ctx.quick)
    unavailable: dict[str, str] = {}  # peer label -> why it is not measured
    details: dict[str, Any] = {"plan": asdict(plan), "prism_version": peers.PRISM_VERSION,
                               "unavailable": unavailable}
    ctx.details["versus_peers"] = details
    with load_pool() as pool:
        metrics, prism, labels = _versus_under_load(pool, plan, unavailable, details)
        metrics += _versus_cold_start(plan, prism, labels, details)
        metrics += _loaded_rss(pool, plan, details)
    return metrics


def _versus_under_load(pool: concurrent.futures.ProcessPoolExecutor, plan: VersusPlan,
                       unavailable: dict[str, str], details: dict[str, Any],
                       ) -> tuple[list[Metric], PrismSetup, list[str]]:
    """Start the servers, check them, load them in rounds; the rows, Prism's setup and the
    labels of the servers measured (pay1st-mock first)."""
    with contextlib.ExitStack() as stack:
        ours = harness.start_server()
        stack.callback(ours.stop)
        token = get_access_token(ours.wait_for_url())
        specs = {"methods": methods_request(token), "token": token_request()}
        bodies = {name: _answer(ours, spec, 200) for name, spec in specs.items()}
        prism = PrismSetup.prepare(bodies)
        contenders = [Contender(OURS, ours)]
        contenders += _start_peers(stack, prism, bodies, specs, unavailable)
        details["bodies_bytes"] = {c.label: {name: len(_answer(c.server, spec, 200))
                                             for name, spec in specs.items()}
                                   for c in contenders}
        results = _rounds(pool, contenders, specs, token, plan)
    details["loads"] = {f"{endpoint} | {label}": asdict(summary)
                        for (endpoint, label), summary in results.items()}
    labels = [c.label for c in contenders]
    metrics = [Metric(f"{label}: not available ({reason[:100]})", None, "")
               for label, reason in unavailable.items()]
    for endpoint, title in (("methods", "GET methods"), ("token", "POST token")):
        metrics += _comparison_rows(endpoint, title, results, labels)
    return metrics + _create_rows(results[("create", OURS)]), prism, labels


@dataclass
class PrismSetup:
    """Prism's launcher and OpenAPI document, or why Prism is not available."""

    executable: Path | None = None
    spec: Path | None = None
    unavailable: str | None = None

    @classmethod
    def prepare(cls, bodies: dict[str, bytes]) -> PrismSetup:
        """Install Prism if needed and write its document with the emulator's ``bodies``."""
        try:
            executable = peers.prism_executable()
        except peers.PeerUnavailable as exc:
            return cls(unavailable=str(exc))
        spec = peers.PEERS_DIR / "prism-openapi.json"
        spec.write_text(json.dumps(peers.prism_document(
            METHODS_PATH, bodies["methods"], TOKEN_PATH, bodies["token"], AUTH_MEDIA_TYPE),
            indent=1), encoding="utf-8")
        return cls(executable, spec)

    def launch(self) -> peers.PrismProcess:
        """A started ``PrismProcess`` (not yet ready); only when available."""
        assert self.executable is not None and self.spec is not None
        return peers.PrismProcess(self.executable, self.spec,
                                  peers.PEERS_DIR / "prism.log").start()

    def probe(self, token: str = "x") -> peers.Probe:
        """The readiness request: GET methods, as the load sends it (any token will do)."""
        spec = methods_request(token)
        return peers.Probe(spec.method, spec.path, spec.headers)


def _answer(server: peers.Running, spec: loadgen.RequestSpec, expected: int,
            times: int = 1) -> bytes:
    """Send ``spec`` ``times`` times on one connection as the load generator does (the same
    bytes, raw socket); the last body, or ``PeerUnavailable`` naming the status of the first
    answer that is not ``expected``."""
    host, port = server.address
    raw = build_request(spec.method, spec.path, f"{host}:{port}", spec.headers, spec.body)
    connection = RawConnection(host, port)
    body = b""
    try:
        for _ in range(times):
            status, body = connection.request(raw)
            if status != expected:
                raise peers.PeerUnavailable(f"answered HTTP {status} to {spec.method} "
                                            f"{spec.path.partition('?')[0]}: {body[:100]!r}")
    finally:
        connection.close()
    return body


def _start_peers(stack: contextlib.ExitStack, prism: PrismSetup, bodies: dict[str, bytes],
                 specs: dict[str, loadgen.RequestSpec],
                 unavailable: dict[str, str]) -> list[Contender]:
    """Prism (when available) and the floors, running (stopped when ``stack`` closes) and
    checked: each answers 200 to every request the load sends, as the load sends it. A peer
    that cannot start or does not is left out, the reason in ``unavailable`` (and, for Prism,
    in ``prism.unavailable``)."""
    found: list[Contender] = []
    if prism.unavailable is None:
        try:
            process = prism.launch()
            stack.callback(process.stop)
            process.wait_ready(prism.probe())
            _check(process, specs)
            found.append(Contender(peers.PRISM_LABEL, process))
        except peers.PeerUnavailable as exc:
            prism.unavailable = str(exc)
    if prism.unavailable is not None:
        unavailable[peers.PRISM_LABEL] = prism.unavailable
    routes = {f"{spec.method} {spec.path}": bodies[name] for name, spec in specs.items()}
    bodies_file = peers.write_bodies(peers.FLOOR_BODIES, routes)
    for server, label in peers.FLOOR_SERVERS.items():
        try:
            floor = harness.start_server(command=peers.floor_command(server, bodies_file))
            stack.callback(floor.stop)
            _check(floor, specs)
            found.append(Contender(label, floor))
        except (peers.PeerUnavailable, ServerStartError) as exc:
            unavailable[label] = str(exc).splitlines()[0] + " " + str(exc).splitlines()[-1]
    return found


def _check(server: peers.Running, specs: dict[str, loadgen.RequestSpec]) -> None:
    """Each request answered 200 (``PeerUnavailable`` otherwise); 50 of each, also warming."""
    for spec in specs.values():
        _answer(server, spec, 200, times=50)


def _rounds(pool: concurrent.futures.ProcessPoolExecutor, contenders: list[Contender],
            specs: dict[str, loadgen.RequestSpec], token: str,
            plan: VersusPlan) -> dict[tuple[str, str], LoadSummary]:
    """``plan.rounds`` rounds; in each, every request on every server in turn (A, B, C, A, B,
    C: drift hits all alike), then signed creates on pay1st-mock."""
    raw: dict[tuple[str, str], list[dict[str, Any]]] = {}
    ours = contenders[0].server
    for _ in range(plan.rounds):
        for endpoint, spec in specs.items():
            for contender in contenders:
                load = load_spec(contender.server, [spec], 200, plan)
                raw.setdefault((endpoint, contender.label), []).extend(run_loads(pool, [load]))
        creates = fresh_creates(token, plan.duration + plan.warmup)
        load = load_spec(ours, creates, 201, plan)
        raw.setdefault(("create", OURS), []).extend(run_loads(pool, [load]))
    return {key: LoadSummary.of(rounds) for key, rounds in raw.items()}


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _comparison_rows(endpoint: str, title: str, results: dict[tuple[str, str], LoadSummary],
                     labels: list[str]) -> list[Metric]:
    """req/s, p99 and CPU per request of every server in ``labels`` for one request, and the
    ratios to Prism (with their targets; without, when Prism is not measured) and to the
    HttpServer floor (information)."""
    head = f"{title}, {VERSUS_CONNECTIONS} conns"
    mine = results[(endpoint, OURS)]
    peer = results.get((endpoint, peers.PRISM_LABEL))
    floor = results.get((endpoint, peers.FLOOR_SERVERS["http_server"]))
    vs = f"{OURS} / {peers.PRISM_LABEL}" + ("" if peer else " (not available)")
    rows = [Metric(f"{head}: req/s, {OURS}", mine.requests_per_s, "req/s")]
    rows += [Metric(f"  req/s, {label}", results[(endpoint, label)].requests_per_s, "req/s")
             for label in labels[1:]]
    rows.append(Metric(f"  req/s ratio {vs}",
                       _ratio(mine.requests_per_s, peer.requests_per_s if peer else None),
                       "x", VERSUS_RPS_RATIO_MIN if peer else None, better="higher"))
    rows.append(Metric(f"  req/s ratio {OURS} / floor on HttpServer",
                       _ratio(mine.requests_per_s, floor.requests_per_s if floor else None),
                       "x"))
    rows += [Metric(f"  p99, {label}", results[(endpoint, label)].p99_ms, "ms")
             for label in labels]
    rows.append(Metric(f"  p99 ratio {vs}", _ratio(mine.p99_ms, peer.p99_ms if peer else None),
                       "x", VERSUS_P99_RATIO_MAX if peer else None))
    cpu_target = METHODS_CPU_PER_REQUEST_US if endpoint == "methods" else None
    rows += [Metric(f"  server CPU per request, {label}", results[(endpoint, label)].cpu_us,
                    "µs", cpu_target if label == OURS else None) for label in labels]
    rows.append(Metric("  errors, all servers",
                       sum(results[(endpoint, label)].errors for label in labels), "count", 0))
    return rows


def _create_rows(mine: LoadSummary) -> list[Metric]:
    head = f"signed create, {VERSUS_CONNECTIONS} conns"
    return [
        Metric(f"{head}: req/s, {OURS}", mine.requests_per_s, "req/s", CREATE_MIN_RPS,
               better="higher"),
        Metric(f"  p99, {OURS}", mine.p99_ms, "ms"),
        Metric(f"  server CPU per request, {OURS}", mine.cpu_us, "µs",
               CREATE_CPU_PER_REQUEST_US),
        Metric("  errors", mine.errors, "count", 0),
    ]


# ------------------------------------------------------------- versus peers: start and memory

Launcher = Callable[[], tuple[peers.Running, float]]


def _launch_server_process(command: Sequence[str]) -> tuple[peers.Running, float]:
    """``COMMAND serve --host 127.0.0.1 --port 0`` (the emulator's default ``SERVE_ARGS``
    appended for it); (the process, spawn → first 200 on /_mock/health in s)."""
    args = harness.SERVE_ARGS if command == PYTHON_COMMAND else ()
    server = ServerProcess(*args, command=command, cwd=harness.ROOT, env=harness.bytecode_env())
    try:
        server.start(timeout=20)
        ready = server.wait_healthy(timeout=20, interval=0.002)
    except BaseException:
        server.close()
        raise
    return server, ready - (server.spawned_at or ready)


def _launch_prism(prism: PrismSetup) -> tuple[peers.Running, float]:
    """Prism on a free port; (the process, spawn → first 200 on GET methods in s)."""
    process = prism.launch()
    try:
        ready = process.wait_ready(prism.probe(), timeout=60)
    except BaseException:
        process.stop()
        raise
    return process, ready - (process.spawned_at or ready)


def _launchers(prism: PrismSetup, labels: list[str]) -> dict[str, Launcher]:
    """How to start each server measured under load (``labels``), for the cold starts."""
    found: dict[str, Launcher] = {OURS: partial(_launch_server_process, PYTHON_COMMAND)}
    if peers.PRISM_LABEL in labels:
        found[peers.PRISM_LABEL] = partial(_launch_prism, prism)
    for server, label in peers.FLOOR_SERVERS.items():
        if label in labels:
            command = peers.floor_command(server, peers.FLOOR_BODIES)
            found[label] = partial(_launch_server_process, command)
    return found


def _versus_cold_start(plan: VersusPlan, prism: PrismSetup, labels: list[str],
                       details: dict[str, Any]) -> list[Metric]:
    """Spawn → first 200 and VmRSS right then, ``plan.cold_runs`` runs of each server in
    ``labels``, interleaved (A, B, C, A, B, C); medians."""
    launchers = _launchers(prism, labels)
    times: dict[str, list[float]] = {label: [] for label in launchers}
    rss: dict[str, list[float]] = {label: [] for label in launchers}
    for launch in launchers.values():  # untimed: bytecode written, Node's caches warm
        launch()[0].stop()
    for _ in range(plan.cold_runs):
        for label, launch in launchers.items():
            server, seconds = launch()
            try:
                rss[label].append(peers.memory_kb(server.pid).get("VmRSS", 0) / 1024)
            finally:
                server.stop()
            times[label].append(seconds * 1000)
    details["cold_start"] = {"spawn_to_200_ms": times, "rss_at_200_mb": rss}
    runs = f"median of {plan.cold_runs}"
    rows = [Metric(f"cold start → first 200 ({runs}), {label}", median(times[label]), "ms",
                   COLD_START_MEDIAN_MS if label == OURS else None) for label in launchers]
    rows += [Metric(f"RSS at first 200 ({runs}), {label}", median(rss[label]), "MB",
                    START_RSS_MAX_MB if label == OURS else None) for label in launchers]
    return rows


def _loaded_rss(pool: concurrent.futures.ProcessPoolExecutor, plan: VersusPlan,
                details: dict[str, Any]) -> list[Metric]:
    """``serve --data DIR`` (a fresh temporary directory) under ``plan.soak_s`` s of load:
    signed creates on half the connections, token and methods on the other half, in chunks
    of ``plan.chunk_s`` s (fresh creates each); VmRSS right after, and the peak (VmHWM)."""
    with tempfile.TemporaryDirectory(prefix="pay1st-bench-rss-") as data:
        server = harness.start_server("--data", data)
        try:
            start = peers.memory_kb(server.pid)
            token = get_access_token(server.wait_for_url())
            chunks = _soak(pool, server, token, plan)
            after = peers.memory_kb(server.pid)
        finally:
            server.stop()
    served = sum(r["requests"] for chunk in chunks for r in chunk)
    errors = sum(r["errors"] for chunk in chunks for r in chunk)
    loaded_s = sum(chunk[0]["spec"]["warmup"] + chunk[0]["spec"]["duration"]
                   for chunk in chunks)
    details["loaded_rss"] = {"start_kb": start, "after_kb": after, "loaded_s": loaded_s,
                             "chunks": chunks}
    head = f"RSS after {loaded_s:.0f} s of load, serve --data DIR, {OURS}"
    return [
        Metric(head, after.get("VmRSS", 0) / 1024, "MB", LOADED_RSS_MAX_MB),
        Metric("  peak RSS during the load (VmHWM)", after.get("VmHWM", 0) / 1024, "MB"),
        Metric("  RSS before the load", start.get("VmRSS", 0) / 1024, "MB"),
        Metric("  requests answered in the timed windows", served, "count"),
        Metric("  errors", errors, "count", 0),
    ]


def _soak(pool: concurrent.futures.ProcessPoolExecutor, server: peers.Running, token: str,
          plan: VersusPlan) -> list[list[dict[str, Any]]]:
    """The RSS load, chunk by chunk; each chunk's two ``run_load`` results (creates, other)."""
    chunks: list[list[dict[str, Any]]] = []
    left = plan.soak_s
    while left > plan.warmup:
        seconds = min(plan.chunk_s, left)
        creates = fresh_creates(token, seconds)
        specs = [load_spec(server, creates, 201, plan, SOAK_CONNECTIONS, seconds - plan.warmup),
                 load_spec(server, [token_request(), methods_request(token)], 200, plan,
                           SOAK_CONNECTIONS, seconds - plan.warmup)]
        chunks.append(run_loads(pool, specs))
        left -= seconds
    return chunks


BENCHMARKS = [versus_peers]
