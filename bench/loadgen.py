"""A closed-loop load generator: N connections, each one thread sending back-to-back requests.

``run_load_in_subprocess`` runs it in a separate (spawned) process so the client's GIL and CPU
do not share an interpreter with the caller; on 2 cores the server gets one, the load the other.
Two clients: ``raw`` (``rawhttp.RawConnection``, cheap) and ``requests`` (a ``requests.Session``
per thread, what a Python partner would use; measurably dearer per call).
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import harness
from rawhttp import RawConnection, build_request


@dataclass
class RequestSpec:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class LoadSpec:
    host: str
    port: int
    requests: list[RequestSpec]  # thread i sends i, i + N, i + 2N, ... (N connections), cycling
    expected_status: int = 200
    connections: int = 16
    duration: float = 5.0
    warmup: float = 0.5
    client: str = "raw"  # or "requests"
    server_pid: int | None = None


def run_load(spec: LoadSpec) -> dict[str, Any]:
    """Run the load in this process; return counts, rate, latency and CPU shares."""
    senders = [_sender(spec) for _ in range(spec.connections)]
    go = threading.Event()
    window: dict[str, float] = {}
    results: list[dict[str, Any]] = [{} for _ in senders]

    def worker(index: int) -> None:
        send, close = senders[index]
        latencies: list[float] = []
        errors: Counter[str] = Counter()
        count = total = 0
        position = index
        go.wait()
        start, end = window["start"], window["end"]
        perf = time.perf_counter
        n = len(spec.requests)
        try:
            while True:
                t0 = perf()
                if t0 >= end:
                    break
                try:
                    status = send(position % n)
                except Exception as exc:
                    if perf() >= start:
                        errors[type(exc).__name__] += 1
                    continue
                finally:
                    position += spec.connections
                t1 = perf()
                total += 1
                if start <= t1 <= end:
                    if status == spec.expected_status:
                        count += 1
                        latencies.append(t1 - t0)
                    else:
                        errors[f"HTTP {status}"] += 1
        finally:
            close()
        results[index] = {"count": count, "total": total, "latencies": latencies,
                          "errors": errors}

    threads = [threading.Thread(target=worker, args=(i,), daemon=True)
               for i in range(spec.connections)]
    for thread in threads:
        thread.start()
    window["start"] = time.perf_counter() + spec.warmup
    window["end"] = window["start"] + spec.duration
    go.set()
    _sleep_until(window["start"])
    cpu0 = (_own_cpu(), harness.process_cpu_seconds(spec.server_pid) if spec.server_pid else None)
    threads0 = harness.thread_cpu_seconds(spec.server_pid) if spec.server_pid else {}
    t0 = time.perf_counter()
    _sleep_until(window["end"])
    cpu1 = (_own_cpu(), harness.process_cpu_seconds(spec.server_pid) if spec.server_pid else None)
    threads1 = harness.thread_cpu_seconds(spec.server_pid) if spec.server_pid else {}
    elapsed = time.perf_counter() - t0
    for thread in threads:
        thread.join(30)

    count = sum(r.get("count", 0) for r in results)
    latencies = [x for r in results for x in r.get("latencies", [])]
    errors: Counter[str] = Counter()
    for r in results:
        errors.update(r.get("errors", {}))
    server_cpu = (None if cpu0[1] is None or cpu1[1] is None
                  else 100.0 * (cpu1[1] - cpu0[1]) / elapsed)
    return {
        "client": spec.client,
        "connections": spec.connections,
        "window_s": round(elapsed, 3),
        "requests": count,
        "responses_including_warmup": sum(r.get("total", 0) for r in results),
        "requests_per_s": count / elapsed,
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "latency_ms": {p: harness.percentile(latencies, p) * 1000 for p in (50, 90, 99)},
        "client_cpu_pct_of_one_core": 100.0 * (cpu1[0] - cpu0[0]) / elapsed,
        "server_cpu_pct_of_one_core": server_cpu,
        "server_main_thread_cpu_pct": _thread_share(threads0, threads1, elapsed,
                                                    lambda tid: tid == spec.server_pid),
        "server_other_threads_cpu_pct": _thread_share(threads0, threads1, elapsed,
                                                      lambda tid: tid != spec.server_pid),
        "spec": {k: v for k, v in asdict(spec).items() if k != "requests"},
    }


def _thread_share(before: dict[int, float], after: dict[int, float], elapsed: float,
                  which: Any) -> float | None:
    if not after:
        return None
    used = sum(after[t] - before.get(t, 0.0) for t in after if which(t))
    return 100.0 * used / elapsed


def _sleep_until(moment: float) -> None:
    while (left := moment - time.perf_counter()) > 0:
        time.sleep(min(left, 0.05))


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def _sender(spec: LoadSpec) -> tuple[Any, Any]:
    """A ``send(i) -> status`` and a ``close()`` for one connection of the chosen client."""
    if spec.client == "raw":
        host = f"{spec.host}:{spec.port}"
        raws = [build_request(r.method, r.path, host, r.headers, r.body) for r in spec.requests]
        conn = RawConnection(spec.host, spec.port)

        def send_raw(i: int) -> int:
            try:
                return conn.request(raws[i])[0]
            except BaseException:
                conn.close()  # unknown state: the next request reconnects
                raise

        return send_raw, conn.close
    if spec.client == "requests":
        import requests

        session = requests.Session()
        base = f"http://{spec.host}:{spec.port}"
        prepared = [(r.method, base + r.path, r.headers, r.body or None) for r in spec.requests]

        def send_requests(i: int) -> int:
            method, url, headers, body = prepared[i]
            response = session.request(method, url, headers=headers, data=body, timeout=10)
            return response.status_code

        return send_requests, session.close
    raise ValueError(f"unknown client {spec.client!r}")


def run_load_in_subprocess(spec: LoadSpec) -> dict[str, Any]:
    """``run_load`` in a freshly spawned process (its own interpreter and GIL)."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        future = pool.submit(run_load, spec)
        return future.result(timeout=spec.warmup + spec.duration + 60)
