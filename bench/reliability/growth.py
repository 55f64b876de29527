"""The growth run: create and query latency with 1,000 and with 100,000 stored payments.

Both data directories are filled in a child process (``fill.py``) and served at once; a
``GrowthClient`` per server (the sandbox partner over one raw-socket keep-alive connection,
requests built and signed before timing) sends creates and queries in interleaved rounds so
drift hits both sizes alike. The targets are on the 100k / 1k ratio of the p50s.
"""

from __future__ import annotations

import contextlib
import json
import random
import sqlite3
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from gateway import (
    API_KEY,
    API_SECRET,
    AUTH_MEDIA_TYPE,
    CREATE_PATH,
    PAYMENT_MEDIA_TYPE,
    QUERY_PATH,
    SIGNING_KEY,
    TOKEN_PATH,
)
from harness import Context, Metric, percentile
from rawhttp import RawConnection, build_request

from pay1st_mock.process import ServerProcess

from .emulator import start_server
from .fill import fill_in_child
from .settings import (
    DB_FILE,
    GROWTH_CALLS,
    GROWTH_CALLS_QUICK,
    GROWTH_RATIO_MAX,
    GROWTH_SIZES,
    GROWTH_WARMUP,
    SEED,
    SKU,
    TOKEN_BODY,
)
from .signing import basic, sign, timestamp_now


def _ms(values: list[float], p: float) -> float:
    return percentile(values, p) * 1000


class GrowthClient:
    """The sandbox partner over one raw-socket keep-alive connection to one server."""

    def __init__(self, server: ServerProcess, references: list[str]) -> None:
        self.host, self.port = server.address
        self.conn = RawConnection(self.host, self.port)
        self.references = references
        status, body = self.conn.request(self._raw("POST", TOKEN_PATH, {
            "Authorization": basic(API_KEY, API_SECRET), "Content-Type": AUTH_MEDIA_TYPE},
            TOKEN_BODY))
        if status != 200:
            raise RuntimeError(f"token call answered {status}: {body[:200]!r}")
        self.token = json.loads(body)["accessToken"]
        self.create_ms: list[float] = []
        self.query_ms: list[float] = []
        self.errors: Counter[str] = Counter()

    def _raw(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
        return build_request(method, path, f"{self.host}:{self.port}", headers, body)

    def batch(self, count: int, rng: random.Random, timed: bool = True) -> None:
        """``count`` creates then ``count`` queries; requests built (and signed) before timing."""
        creates = []
        for _ in range(count):
            body = json.dumps({
                "countryCode": "NG", "currencyCode": "NGN", "amount": 100,
                "partnerReference": str(uuid.uuid4()),
                "products": [{"title": "Growth credits", "sku": SKU, "price": 100,
                              "quantity": 1, "currencyCode": "NGN"}],
            }).encode()
            stamp = timestamp_now()
            creates.append(self._raw("POST", CREATE_PATH, {
                "AccessToken": f"Bearer {self.token}", "Content-Type": PAYMENT_MEDIA_TYPE,
                "X-TIMESTAMP": stamp, "X-SIGNATURE": sign(SIGNING_KEY, stamp, body)}, body))
        queries = [self._raw("GET", QUERY_PATH + rng.choice(self.references),
                             {"AccessToken": f"Bearer {self.token}"}) for _ in range(count)]
        for raw, expected, sink in ([(c, 201, self.create_ms) for c in creates]
                                    + [(q, 200, self.query_ms) for q in queries]):
            t0 = time.perf_counter()
            status, _ = self.conn.request(raw)
            elapsed = time.perf_counter() - t0
            if status != expected:
                self.errors[f"{expected} expected, got {status}"] += 1
            elif timed:
                sink.append(elapsed)

    def close(self) -> None:
        self.conn.close()


def _sample_references(path: Path, count: int, seed: int) -> list[str]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        references = [row[0] for row in db.execute(
            "SELECT reference FROM payments WHERE partner_id = 1 ORDER BY reference")]
    return random.Random(seed).sample(references, min(count, len(references)))


def growth(ctx: Context) -> list[Metric]:
    """Create and query latency with 1k and with 100k stored payments; 100k/1k ≤ 1.5×."""
    calls = GROWTH_CALLS_QUICK if ctx.quick else GROWTH_CALLS
    rounds = 10 if not ctx.quick else 5
    per_round = calls // rounds
    rng = random.Random(SEED)
    fills: dict[int, dict[str, Any]] = {}
    clients: dict[int, GrowthClient] = {}
    servers: dict[int, ServerProcess] = {}
    health_s: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="pay1st-growth-") as tmp:
        try:
            for size in GROWTH_SIZES:
                data = Path(tmp) / f"data-{size}"
                fills[size] = fill_in_child(data, size, SEED + size)
                fills[size]["file_mb"] = round(sum(f.stat().st_size for f in data.glob(
                    DB_FILE + "*")) / 2 ** 20, 1)  # with -wal and -shm, if any
                references = _sample_references(data / DB_FILE, 5000, SEED)
                t0 = time.perf_counter()
                servers[size] = start_server(data, SEED + size)
                health_s[size] = time.perf_counter() - t0
                clients[size] = GrowthClient(servers[size], references)
            for client in clients.values():  # warm-up, untimed
                client.batch(GROWTH_WARMUP, rng, timed=False)
            for round_index in range(rounds):  # interleaved, so drift hits both sizes alike
                order = GROWTH_SIZES if round_index % 2 == 0 else GROWTH_SIZES[::-1]
                for size in order:
                    clients[size].batch(per_round, rng)
        finally:
            for client in clients.values():
                client.close()
            for server in servers.values():
                server.stop()
    small, large = GROWTH_SIZES
    figures: dict[int, dict[str, Any]] = {
        size: {"create_ms": {p: _ms(clients[size].create_ms, p) for p in (50, 90, 99)},
               "query_ms": {p: _ms(clients[size].query_ms, p) for p in (50, 90, 99)},
               "errors": dict(clients[size].errors), "fill": fills[size],
               "start_to_healthy_s": round(health_s[size], 3)}
        for size in GROWTH_SIZES}

    def ratio(kind: str, p: int) -> float:
        return float(figures[large][kind][p] / figures[small][kind][p])

    ctx.details["reliability_growth"] = {
        "sizes": GROWTH_SIZES, "timed_calls_each": calls, "rounds": rounds, **{
            str(size): value for size, value in figures.items()},
        "method": "payments filled through the store layer (PaymentRepository.insert + "
                  "DeliveryRepository.enqueue, SKIPPED) in a child process before serving; "
                  "timed calls alternate between the two servers in rounds; queries pick "
                  "random filled references of the sandbox partner",
    }
    errors = sum(sum(c.errors.values()) for c in clients.values())
    label = {small: "1k", large: "100k"}
    metrics = [Metric(f"growth: fill {large:,} payments (store layer, child process)",
                      fills[large]["seconds"], "s"),
               Metric(f"  database file with {large:,} payments", fills[large]["file_mb"], "MB")]
    for kind, name in (("create_ms", "create"), ("query_ms", "query")):
        for size in GROWTH_SIZES:
            metrics.append(Metric(f"  {name} p50 with {label[size]} stored",
                                  figures[size][kind][50], "ms"))
            metrics.append(Metric(f"  {name} p99 with {label[size]} stored",
                                  figures[size][kind][99], "ms"))
        metrics.append(Metric(f"  {name} p50 ratio 100k / 1k", ratio(kind, 50), "×",
                              GROWTH_RATIO_MAX))
        metrics.append(Metric(f"  {name} p99 ratio 100k / 1k", ratio(kind, 99), "×"))
    metrics.append(Metric("  growth calls answered wrongly", errors, "count", 0))
    return metrics
