"""Gateway benchmarks: cold start, sequential latency, throughput, and the emulator next to
Prism and bare-Flask floors in one run (targets for a 2-core machine).

Each benchmark is ``fn(ctx) -> list[Metric]``; ``BENCHMARKS`` lists them in run order. The
client side is black-box: plain HTTP against a `pay1st-mock serve` subprocess on 127.0.0.1,
signing done here with the documented HMAC (nothing imported from the package). The peers
themselves (installing and running Prism, the floor servers) are in ``peers.py``.
"""

from __future__ import annotations

import base64
import concurrent.futures
import contextlib
import hashlib
import hmac
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import harness
import loadgen
import peers
import requests
from harness import Context, Metric, median, percentile
from rawhttp import RawConnection, build_request

from pay1st_mock.process import PYTHON_COMMAND, ServerProcess, ServerStartError

API_KEY = "sandbox-api-key"
API_SECRET = "sandbox-api-secret"
SIGNING_KEY = "hCyO_Flnu6aid-bhFYTYOowkxXRzoZkgzO32rB6Ik8Y"
AUTH_MEDIA_TYPE = "application/vnd.carry1st.payments.partnerauthentication+json"
PAYMENT_MEDIA_TYPE = "application/vnd.carry1st.payments.payment+json"

TOKEN_PATH = "/api/pay1st/auth/token"
METHODS_PATH = "/api/pay1st/payments/methods?countryCode=NG"
CREATE_PATH = "/api/pay1st/payments/create"
FULFIL_PATH = "/api/pay1st/payments/fulfilments"
QUERY_PATH = "/api/pay1st/payments?reference="

# Targets from the issues (2-core machine); issue 18's replace the earlier cold start (400 ms)
# and methods throughput (1,500 req/s) targets.
COLD_START_MEDIAN_MS = 250.0
TOKEN_P50_MS = 2.0
METHODS_P50_MS = 2.0
CREATE_P50_MS = 3.0
METHODS_CPU_PER_REQUEST_US = 500.0
CREATE_MIN_RPS = 1000.0
CREATE_CPU_PER_REQUEST_US = 900.0
VERSUS_RPS_RATIO_MIN = 1.0  # pay1st-mock's req/s / Prism's
VERSUS_P99_RATIO_MAX = 1.0  # pay1st-mock's p99 / Prism's
START_RSS_MAX_MB = 45.0
LOADED_RSS_MAX_MB = 60.0


# --------------------------------------------------------------------------- client side


def basic_auth() -> str:
    return "Basic " + base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()


def timestamp_now() -> str:
    """ISO-8601 UTC with nanosecond digits, as in Pay1st's example."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"


def sign(timestamp: str, body: bytes) -> str:
    return hmac.new(SIGNING_KEY.encode(), timestamp.encode() + body, hashlib.sha256).hexdigest()


def token_request() -> loadgen.RequestSpec:
    return loadgen.RequestSpec("POST", TOKEN_PATH, {
        "Authorization": basic_auth(), "Content-Type": AUTH_MEDIA_TYPE},
        json.dumps({"role": "API_USER"}).encode())


def methods_request(access_token: str) -> loadgen.RequestSpec:
    return loadgen.RequestSpec("GET", METHODS_PATH, {"AccessToken": f"Bearer {access_token}"})


def create_request(access_token: str) -> loadgen.RequestSpec:
    """A signed Create Payment Request with a fresh partnerReference (signing = client work)."""
    body = json.dumps({
        "countryCode": "NG", "currencyCode": "NGN", "amount": 100,
        "partnerReference": str(uuid.uuid4()),
        "products": [{"title": "10 Credits", "sku": "12345", "price": 100, "quantity": 1,
                      "currencyCode": "NGN"}],
        "metadata": [{"key": "customerId", "value": "1"}],
    }).encode()
    stamp = timestamp_now()
    return loadgen.RequestSpec("POST", CREATE_PATH, {
        "AccessToken": f"Bearer {access_token}", "Content-Type": PAYMENT_MEDIA_TYPE,
        "X-TIMESTAMP": stamp, "X-SIGNATURE": sign(stamp, body)}, body)


def query_request(access_token: str, reference: str) -> loadgen.RequestSpec:
    return loadgen.RequestSpec("GET", QUERY_PATH + reference,
                               {"AccessToken": f"Bearer {access_token}"})


def get_access_token(base_url: str) -> str:
    spec = token_request()
    response = requests.post(base_url + spec.path, data=spec.body, headers=spec.headers,
                             timeout=10)
    response.raise_for_status()
    return str(response.json()["accessToken"])


class Client:
    """``prepare(spec)`` (untimed: what a client builds before it sends) and ``send(prepared)``."""

    def prepare(self, spec: loadgen.RequestSpec) -> Any:
        raise NotImplementedError

    def send(self, prepared: Any) -> tuple[int, bytes]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class RequestsClient(Client):
    """One keep-alive ``requests.Session``."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def prepare(self, spec: loadgen.RequestSpec) -> Any:
        return spec.method, self.base_url + spec.path, spec.headers, spec.body or None

    def send(self, prepared: Any) -> tuple[int, bytes]:
        method, url, headers, body = prepared
        response = self.session.request(method, url, headers=headers, data=body, timeout=10)
        return response.status_code, response.content

    def close(self) -> None:
        self.session.close()


class RawClient(Client):
    """One keep-alive raw socket (``rawhttp``); requests are pre-rendered to bytes."""

    def __init__(self, host: str, port: int) -> None:
        self.host = f"{host}:{port}"
        self.conn = RawConnection(host, port)

    def prepare(self, spec: loadgen.RequestSpec) -> Any:
        return build_request(spec.method, spec.path, self.host, spec.headers, spec.body)

    def send(self, prepared: Any) -> tuple[int, bytes]:
        return self.conn.request(prepared)

    def close(self) -> None:
        self.conn.close()


def timed_sequence(client: Client, specs: Sequence[loadgen.RequestSpec], expected: int,
                   warmup: int) -> tuple[list[float], list[bytes], int]:
    """Send ``specs`` one after another; the first ``warmup`` are untimed.

    Returns (latencies in s of the timed ones, bodies of all, error count). Only the send and the
    full read of the response are inside the timed region.
    """
    prepared = [client.prepare(spec) for spec in specs]
    latencies: list[float] = []
    bodies: list[bytes] = []
    errors = 0
    perf = time.perf_counter
    send = client.send
    for index, item in enumerate(prepared):
        t0 = perf()
        status, body = send(item)
        t1 = perf()
        if status != expected:
            errors += 1
        elif index >= warmup:
            latencies.append(t1 - t0)
        bodies.append(body)
    return latencies, bodies, errors


# --------------------------------------------------------------------------- benchmarks


def cold_start(ctx: Context) -> list[Metric]:
    """Spawn `python -m pay1st_mock serve` (port 0, :memory:) until /_mock/health answers 200."""
    runs = 3 if ctx.quick else 7
    totals, banners = [], []
    for run in range(runs + 1):  # the first, untimed, writes the bytecode (as pip install does)
        server = ServerProcess(*harness.SERVE_ARGS, cwd=harness.ROOT, env=harness.bytecode_env())
        try:
            server.start(timeout=20)
            healthy_at = server.wait_healthy(timeout=20, interval=0.002)
            spawned_at = server.spawned_at or healthy_at
            if run:
                totals.append((healthy_at - spawned_at) * 1000)
                banners.append(((server.url_at or healthy_at) - spawned_at) * 1000)
        finally:
            server.stop()
    floor = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, env=harness.bytecode_env())
        floor.append((time.perf_counter() - t0) * 1000)
    ctx.details["cold_start"] = {"runs_ms": totals, "spawn_to_url_line_ms": banners,
                                 "python_c_pass_ms": floor, "command": server.argv}
    return [
        Metric("cold start median (spawn → health 200)", median(totals), "ms",
               COLD_START_MEDIAN_MS),
        Metric("cold start max", max(totals), "ms"),
        Metric("  of which spawn → URL line (median)", median(banners), "ms"),
        Metric("  interpreter floor: python -c pass (median)", median(floor), "ms"),
    ]


def sequential_latency(ctx: Context) -> list[Metric]:
    """One keep-alive client, requests back to back: token, methods, create, query."""
    server = ctx.server()
    base = server.wait_for_url()
    host, port = server.address
    count, warmup = (100 if ctx.quick else 500), 50
    token = get_access_token(base)

    metrics: list[Metric] = []
    details: dict[str, Any] = {"count": count, "warmup": warmup}
    targets = {"token": TOKEN_P50_MS, "methods": METHODS_P50_MS, "create": CREATE_P50_MS}
    for client in ("requests", "raw"):
        http: Client = RequestsClient(base) if client == "requests" else RawClient(host, port)
        try:
            results = _latency_suite(http, token, count, warmup)
        finally:
            http.close()
        for name, (latencies, errors) in results.items():
            p50 = percentile(latencies, 50) * 1000
            p99 = percentile(latencies, 99) * 1000
            details[f"{client}:{name}"] = {"p50_ms": p50, "p90_ms": percentile(latencies, 90)
                                           * 1000, "p99_ms": p99, "max_ms": max(latencies,
                                           default=float("nan")) * 1000, "errors": errors}
            if client == "requests":
                metrics += [Metric(f"{name} p50", p50, "ms", targets.get(name)),
                            Metric(f"{name} p99", p99, "ms")]
            else:
                metrics.append(Metric(f"{name} p50, raw-socket client", p50, "ms"))
        errors_total = sum(e for _, e in results.values())
        metrics.append(Metric(f"sequential errors ({client} client)", errors_total, "count", 0))
    ctx.details["sequential_latency"] = details
    return metrics


def _latency_suite(client: Client, token: str, count: int,
                   warmup: int) -> dict[str, tuple[list[float], int]]:
    total = warmup + count
    out: dict[str, tuple[list[float], int]] = {}
    token_spec = token_request()
    lat, _, err = timed_sequence(client, [token_spec] * total, 200, warmup)
    out["token"] = (lat, err)
    methods_spec = methods_request(token)
    lat, _, err = timed_sequence(client, [methods_spec] * total, 200, warmup)
    out["methods"] = (lat, err)
    creates = [create_request(token) for _ in range(total)]  # bodies and signatures up front
    lat, bodies, err = timed_sequence(client, creates, 201, warmup)
    out["create"] = (lat, err)
    references = [json.loads(b)["reference"] for b in bodies if b.startswith(b'{"reference"')]
    if not references:
        raise RuntimeError("no payment was created; cannot time queries")
    queries = [query_request(token, references[i % len(references)]) for i in range(total)]
    lat, _, err = timed_sequence(client, queries, 200, warmup)
    out["query"] = (lat, err)
    return out


def throughput(ctx: Context) -> list[Metric]:
    """GET methods from 16 keep-alive connections in a separate process, closed loop."""
    server = ctx.server()
    host, port = server.address
    token = get_access_token(server.wait_for_url())
    duration = 2.0 if ctx.quick else 5.0
    metrics: list[Metric] = []
    details: dict[str, Any] = {}
    for client in ("raw", "requests"):
        spec = loadgen.LoadSpec(host=host, port=port, requests=[methods_request(token)],
                                connections=16, duration=duration, warmup=0.5, client=client,
                                server_pid=server.pid)
        result = loadgen.run_load_in_subprocess(spec)
        details[client] = result
        rps, errors = result["requests_per_s"], result["errors"]
        server_cpu = result["server_cpu_pct_of_one_core"]
        if client == "raw":
            metrics += [
                Metric("methods req/s, 16 conns (raw-socket client)", rps, "req/s"),
                Metric("  errors", errors, "count", 0),
                Metric("  latency p50 under load", result["latency_ms"][50], "ms"),
                Metric("  latency p99 under load", result["latency_ms"][99], "ms"),
                Metric("  server CPU (% of one core)", server_cpu, "%"),
                Metric("  load-generator CPU (% of one core)",
                       result["client_cpu_pct_of_one_core"], "%"),
            ]
            if server_cpu is not None and result["requests"]:
                metrics.append(Metric("  server CPU per request", server_cpu / 100 / rps * 1e6,
                                      "µs", METHODS_CPU_PER_REQUEST_US))
        else:
            metrics += [
                Metric("methods req/s, 16 conns (requests.Session client)", rps, "req/s"),
                Metric("  errors", errors, "count"),
                Metric("  load-generator CPU (% of one core)",
                       result["client_cpu_pct_of_one_core"], "%"),
            ]
    stderr = server.stderr
    details["server_stderr_lines"] = len(stderr.splitlines())
    details["server_stderr_tail"] = stderr.splitlines()[-5:]
    ctx.details["throughput"] = details
    return metrics


# --------------------------------------------------------------------------- versus peers

OURS = "pay1st-mock"
VERSUS_CONNECTIONS = 16
CREATE_SUPPLY_RPS = 2000  # creates built per second of load: above what 2 cores serve, so no
#                           partnerReference is sent twice (loadgen cycles through its list)
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


BENCHMARKS = [cold_start, sequential_latency, throughput, versus_peers]
