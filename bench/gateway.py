"""Gateway benchmarks: cold start, sequential latency, throughput (targets for a 2-core
machine); the emulator next to Prism and bare-Flask floors is in ``versus.py``.

Each benchmark is ``fn(ctx) -> list[Metric]``; ``BENCHMARKS`` lists them in run order. The
client side is black-box: plain HTTP against a `pay1st-mock serve` subprocess on 127.0.0.1,
signing done here with the documented HMAC (nothing imported from the package).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import harness
import loadgen
import requests
from harness import Context, Metric, median, percentile
from rawhttp import RawConnection, build_request

from pay1st_mock.process import ServerProcess

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


BENCHMARKS = [cold_start, sequential_latency, throughput]
