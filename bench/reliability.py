"""Reliability benchmarks: soak under load, crash safety, growth (issue "Reliability and
security", points 1, 2 and 6).

Everything runs against real ``pay1st-mock serve --data DIR --seed N --port 0`` subprocesses on
127.0.0.1, with real partner listeners: one raw-socket HTTP/1.1 server (keep-alive, a thread per
connection) per partner, in this process.

* ``soak``: 16 partners, each created with ``POST /_mock/partners`` and its own ``webhookUrl``
  (its own listener), run full gateway flows concurrently for 60 s (quick 10 s): token → create
  (signed) → ``POST /_mock/payments/REF/complete`` with an outcome drawn from success / declined /
  cancel → fulfilment (signed) when SUCCESSFUL. The listeners answer 500 to 30 % of deliveries,
  so the emulator retries. At the end the remaining retries are driven by advancing the emulator
  clock until no delivery is PENDING (time limit); the listeners fail for the first rounds of
  that too, then stop (see ``drain``). Then every count is checked against the emulator's own
  view (``GET /_mock/payments``, deliveries) and against what the clients and listeners saw.
  The server's RSS is sampled every second.
* ``crash_safety``: the same load, with a SIGKILL of the server in the middle; ``PRAGMA
  integrity_check`` on the SQLite file, a restart on the same data (new port; partners keep their
  credentials, listeners keep running), clients retry what the kill cut, then the same accounting.
* ``growth``: create and query latency with 1,000 and with 100,000 stored payments (filled through
  the store layer in a child process before the server opens the data), and the 100k / 1k ratio.

``python bench/run.py --only reliability`` prints the rows; ``--strict`` makes a missed target
(any loss, duplicate, 5xx, ...) exit 1. ``python bench/reliability.py [--quick] [--only NAME]``
runs them alone and exits 1 on any missed target.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import json
import math
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:  # run as a script or as the --fill child
    sys.path.insert(0, str(BENCH_DIR))

import harness  # noqa: E402
import requests  # noqa: E402
from harness import Context, Metric, percentile  # noqa: E402
from rawhttp import RawConnection, build_request  # noqa: E402

# --------------------------------------------------------------------------- settings

PARTNERS = 16
FAIL_PROBABILITY = 0.30  # share of deliveries each listener answers 500 while the load runs
SEED = 20240611
SOAK_SECONDS, SOAK_SECONDS_QUICK = 60.0, 10.0
CRASH_SECONDS, CRASH_SECONDS_QUICK = 20.0, 8.0
FAILING_DRAIN_ROUNDS = 3  # clock-drive rounds during which the listeners still fail
KILL_AT = 0.4  # the SIGKILL comes after this share of the crash run
RETRY_WINDOW_S = 20.0  # a client retries a call cut by the kill for this long
DRAIN_LIMIT_S, DRAIN_LIMIT_S_QUICK = 120.0, 60.0
CALL_TIMEOUT_S = 30.0
GROWTH_SIZES = (1_000, 100_000)
GROWTH_CALLS, GROWTH_CALLS_QUICK = 300, 100  # timed creates and queries per size
GROWTH_WARMUP = 30

# Targets.
GROWTH_RATIO_MAX = 1.5
RSS_SLOPE_MAX_MB_PER_MIN = 1.0  # full run only: 10 s of --quick is mostly warm-up
JOURNAL_MAX_ENTRIES = 10_000  # Settings.journal_max_entries
JOURNAL_BATCH = 100  # store/journal.py: entries buffered before a write

# The gateway.
TOKEN_PATH = "/api/pay1st/auth/token"
CREATE_PATH = "/api/pay1st/payments/create"
FULFIL_PATH = "/api/pay1st/payments/fulfilments"
QUERY_PATH = "/api/pay1st/payments?reference="
AUTH_MEDIA_TYPE = "application/vnd.carry1st.payments.partnerauthentication+json"
PAYMENT_MEDIA_TYPE = "application/vnd.carry1st.payments.payment+json"
TOKEN_BODY = json.dumps({"role": "API_USER"}).encode()
SANDBOX = ("sandbox-api-key", "sandbox-api-secret", "hCyO_Flnu6aid-bhFYTYOowkxXRzoZkgzO32rB6Ik8Y")
SKU = "SOAK-1"
# Every country's first channel is a card, which the headless complete uses by default.
COUNTRIES = (("NG", "NGN"), ("ZA", "ZAR"), ("KE", "KES"), ("EG", "EGP"), ("MA", "MAD"),
             ("GH", "GHS"))
OUTCOMES = {"success": "SUCCESSFUL", "declined": "FAILED", "cancel": "CANCELLED"}
# README "Payment Webhook Events": the statuses whose change sends a webhook.
WEBHOOK_STATUSES = frozenset({"PENDING", "SUCCESSFUL", "FAILED", "CANCELLED", "ABANDONED"})
ALL_STATUSES = ("NEW", "PENDING", "SUCCESSFUL", "FAILED", "CANCELLED", "ABANDONED")
DB_FILE = "pay1st-mock.sqlite3"  # README "Storage": DIR/pay1st-mock.sqlite3
REFERENCE_RE = re.compile(r"C-\d{15}-P")


# --------------------------------------------------------------------------- small helpers


def timestamp_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def sign(key: str, timestamp: str, body: bytes) -> str:
    return hmac.new(key.encode(), timestamp.encode() + body, hashlib.sha256).hexdigest()


def basic(api_key: str, api_secret: str) -> str:
    return "Basic " + base64.b64encode(f"{api_key}:{api_secret}".encode()).decode()


def parse_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def rss_kb(pid: int) -> int | None:
    """VmRSS of a process in kB (Linux /proc), None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, per minute; NaN for < 3 points."""
    if len(points) < 3:
        return math.nan
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return math.nan
    return 60 * sum((t - mean_t) * (v - mean_v) for t, v in points) / var


def _ms(values: list[float], p: float) -> float:
    return percentile(values, p) * 1000


def _fails(seed: int, partner: int, reference: str, status: str, nth: int) -> bool:
    """Whether a listener answers 500 to the ``nth`` arrival of (reference, status).

    Seeded and decided per event, so the same emulator behaviour meets the same failures
    whatever the thread interleaving.
    """
    digest = hashlib.sha256(f"{seed}:{partner}:{reference}:{status}:{nth}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64 < FAIL_PROBABILITY


# --------------------------------------------------------------------------- partner listeners


@dataclass
class Reception:
    """One webhook as a listener got it and what it answered."""

    reference: str | None
    status: str | None
    partner_id: Any
    timestamp: str  # X-TIMESTAMP: matches the emulator's logged attempt
    signature_ok: bool
    answered: int
    answer_sent: bool  # False when the emulator's socket was gone (e.g. killed) before it
    at: float  # time.monotonic()


_OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
_FAIL = (b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n"
         b"Content-Length: 23\r\n\r\npartner down (scripted)")


class FlakyListener:
    """A partner's webhook endpoint on 127.0.0.1:<free port> that fails a seeded share.

    Decides before answering: while ``failing`` is set, the n-th arrival of an event is
    answered 500 when ``_fails(seed, index, reference, status, n)``; otherwise 200. Every
    arrival is recorded with its ``X-TIMESTAMP`` and the answer given.
    """

    def __init__(self, index: int, seed: int) -> None:
        self.index = index
        self.seed = seed
        self.signing_key = ""
        self.partner_id: int | None = None
        self.failing = True
        self.receptions: list[Reception] = []
        self.connections = 0
        self._seen: Counter[tuple[str | None, str | None]] = Counter()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._closed = False
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(128)
        self._thread = threading.Thread(target=self._accept, name=f"soak-listener-{index}",
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/pay1st/events/{self.index}"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                if self._closed:
                    conn.close()
                    return
                self._open.add(conn)
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buf = b""
        try:
            while True:
                end = buf.find(b"\r\n\r\n")
                while end < 0:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                    end = buf.find(b"\r\n\r\n")
                head, rest = buf[:end], buf[end + 4:]
                headers = _headers(head)
                length = int(headers.get("content-length", "0") or 0)
                while len(rest) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    rest += chunk
                body, buf = rest[:length], rest[length:]
                reception = self._judge(headers, body)
                try:
                    conn.sendall(_OK if reception.answered == 200 else _FAIL)
                except OSError:
                    reception.answer_sent = False
                    return
                if headers.get("connection", "").lower() == "close":
                    return
        except OSError:
            return
        finally:
            with self._lock:
                self._open.discard(conn)
            conn.close()

    def _judge(self, headers: dict[str, str], body: bytes) -> Reception:
        stamp = headers.get("x-timestamp", "")
        signature_ok = hmac.compare_digest(sign(self.signing_key, stamp, body),
                                           headers.get("x-signature", ""))
        reference = status = partner_id = None
        with contextlib.suppress(ValueError, AttributeError):
            event = json.loads(body)
            reference, status, partner_id = (event.get("reference"), event.get("status"),
                                             event.get("partnerId"))
        with self._lock:
            nth = self._seen[(reference, status)]
            self._seen[(reference, status)] += 1
            fail = self.failing and _fails(self.seed, self.index, str(reference), str(status), nth)
            reception = Reception(reference, status, partner_id, stamp, signature_ok,
                                  500 if fail else 200, True, time.monotonic())
            self.receptions.append(reception)
        return reception

    def snapshot(self) -> list[Reception]:
        with self._lock:
            return list(self.receptions)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            still_open = list(self._open)
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        for conn in still_open:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._thread.join(2.0)


def _headers(head: bytes) -> dict[str, str]:
    out = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        out[name.strip().lower()] = value.strip()
    return out


# --------------------------------------------------------------------------- the server


def serve_command(data: Path, seed: int) -> list[str]:
    return [sys.executable, "-m", "pay1st_mock", "serve", "--host", "127.0.0.1", "--port", "0",
            "--data", str(data), "--seed", str(seed)]


def start_server(data: Path, seed: int) -> harness.ServerProcess:
    server = harness.ServerProcess.start(serve_command(data, seed))
    server.wait_healthy(timeout=30)
    return server


def kill_server(server: harness.ServerProcess) -> None:
    """SIGKILL: no shutdown code runs, as in a crash or an OOM kill."""
    with contextlib.suppress(ProcessLookupError):
        server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(10)
    server.stop()  # releases the reader thread and the stderr file


class RssSampler:
    """VmRSS of a process every ``interval`` s, in a thread: (seconds since start, MB)."""

    def __init__(self, pid: int, interval: float = 1.0) -> None:
        self.pid = pid
        self.interval = interval
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="soak-rss", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            kb = rss_kb(self.pid)
            if kb is not None:
                self.samples.append((time.monotonic() - self._t0, kb / 1024))
            if self._stop.wait(self.interval):
                return

    def since(self, start: float, end: float) -> list[tuple[float, float]]:
        return [(t, mb) for t, mb in self.samples if start <= t <= end]

    def now(self) -> float:
        return time.monotonic() - self._t0

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2.0)


class Control:
    """The control API over one ``requests.Session``; counts its answers by status."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.trust_env = False  # 127.0.0.1 only, never through a proxy
        self.statuses: Counter[int] = Counter()

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
        response = self.http.request(method, self.base + path, json=body, params=params or None,
                                     timeout=CALL_TIMEOUT_S)
        self.statuses[response.status_code] += 1
        return response

    def get(self, path: str, **params: Any) -> Any:
        response = self.call("GET", path, **params)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: Any) -> Any:
        response = self.call("POST", path, body)
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        self.http.close()


# --------------------------------------------------------------------------- partner clients


class TransportError(Exception):
    """No HTTP answer: the connection was refused, reset or closed (e.g. the server was killed)."""


class Target:
    """Where the clients send; moved to the new port after a restart."""

    def __init__(self, url: str) -> None:
        self.address = ("", 0)
        self.point(url)

    def point(self, url: str) -> None:
        host, _, port = url.removeprefix("http://").rpartition(":")
        if host != "127.0.0.1":
            raise RuntimeError(f"server listens on {url}, not 127.0.0.1")
        self.address = (host, int(port))


@dataclass
class ClientStats:
    """What the clients saw: every answer by (call, status), transport errors, surprises."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    transport: Counter[str] = field(default_factory=Counter)
    unexpected: Counter[str] = field(default_factory=Counter)  # "create 400", "fulfil gave up"
    samples: list[str] = field(default_factory=list)  # a few unexpected answers, verbatim

    def merge(self, other: ClientStats) -> None:
        self.statuses.update(other.statuses)
        self.transport.update(other.transport)
        self.unexpected.update(other.unexpected)
        self.samples.extend(other.samples[: max(0, 10 - len(self.samples))])

    def five_xx(self) -> int:
        return sum(n for (_, status), n in self.statuses.items() if status >= 500)


@dataclass
class Flow:
    """One partner flow as the client knows it."""

    partner: int  # the partner's index
    partner_reference: str
    outcome: str
    reference: str | None = None
    create: str = ""  # "201", "found" (a retry after a cut call met DUPLICATE_PARTNER_REFERENCE)
    completed: bool = False
    fulfilled: bool = False
    retried: list[str] = field(default_factory=list)  # steps re-sent after a transport error


@dataclass
class Partner:
    index: int
    partner_id: int
    api_key: str
    api_secret: str
    signing_key: str
    listener: FlakyListener


class Worker:
    """One partner's backend: back-to-back flows over one keep-alive raw-socket connection."""

    def __init__(self, partner: Partner, target: Target, seed: int, retry_window: float) -> None:
        self.partner = partner
        self.target = target
        self.rng = random.Random(seed * 1000 + partner.index)
        self.retry_window = retry_window
        self.stats = ClientStats()
        self.flows: list[Flow] = []
        self._conn: RawConnection | None = None
        self._token_headers = {"Authorization": basic(partner.api_key, partner.api_secret),
                               "Content-Type": AUTH_MEDIA_TYPE}

    # -- one call ---------------------------------------------------------------------------

    def _call(self, label: str, method: str, path: str, headers: dict[str, str],
              body: bytes) -> tuple[int, bytes]:
        host, port = self.target.address
        try:
            if self._conn is None or self._conn.address != (host, port):
                self.close()
                self._conn = RawConnection(host, port, timeout=CALL_TIMEOUT_S)
            status, answer = self._conn.request(build_request(method, path, f"{host}:{port}",
                                                              headers, body))
        except (OSError, ValueError) as exc:
            self.close()
            self.stats.transport[label] += 1
            raise TransportError(str(exc)) from exc
        self.stats.statuses[(label, status)] += 1
        return status, answer

    def _step(self, label: str, build: Callable[[], tuple[str, str, dict[str, str], bytes]],
              flow: Flow) -> tuple[int, bytes, bool] | None:
        """Send ``build()`` (rebuilt per try: fresh timestamp and signature) until it is
        answered; a transport error is retried for ``retry_window`` s. None: gave up."""
        first_failure: float | None = None
        while True:
            try:
                status, answer = self._call(label, *build())
                return status, answer, first_failure is not None
            except TransportError:
                now = time.monotonic()
                if first_failure is None:
                    first_failure = now
                    flow.retried.append(label)
                if now - first_failure > self.retry_window:
                    self._surprise(f"{label} gave up", "no answer within the retry window")
                    return None
                time.sleep(0.05)

    def _surprise(self, what: str, detail: bytes | str) -> None:
        self.stats.unexpected[what] += 1
        if len(self.stats.samples) < 10:
            text = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else detail
            self.stats.samples.append(f"partner {self.partner.index}: {what}: {text[:300]}")

    def _signed(self, path: str, token: str, body: bytes) -> tuple[str, str, dict[str, str],
                                                                   bytes]:
        stamp = timestamp_now()
        return "POST", path, {"AccessToken": f"Bearer {token}",
                              "Content-Type": PAYMENT_MEDIA_TYPE, "X-TIMESTAMP": stamp,
                              "X-SIGNATURE": sign(self.partner.signing_key, stamp, body)}, body

    # -- one flow ---------------------------------------------------------------------------

    def flow(self) -> Flow:
        """token → create → complete → fulfilment (SUCCESSFUL only); stops at the first surprise."""
        flow = Flow(self.partner.index, str(uuid.uuid4()), self.rng.choice(list(OUTCOMES)))
        country, currency = self.rng.choice(COUNTRIES)
        self.flows.append(flow)
        got = self._step("token", lambda: ("POST", TOKEN_PATH, self._token_headers, TOKEN_BODY),
                         flow)
        if got is None:
            return flow
        if got[0] != 200:
            self._surprise(f"token {got[0]}", got[1])
            return flow
        token = json.loads(got[1])["accessToken"]

        create = json.dumps({
            "countryCode": country, "currencyCode": currency, "amount": 100,
            "partnerReference": flow.partner_reference,
            "products": [{"title": "Soak credits", "sku": SKU, "price": 100, "quantity": 1,
                          "currencyCode": currency}],
            "metadata": [{"key": "customerId", "value": f"soak-{self.partner.index}"}],
        }).encode()
        got = self._step("create", lambda: self._signed(CREATE_PATH, token, create), flow)
        if got is None:
            flow.create = "unknown"
            return flow
        status, answer, retried = got
        if status == 201:
            flow.reference, flow.create = json.loads(answer)["reference"], "201"
        elif retried and status == 400 and b"DUPLICATE_PARTNER_REFERENCE" in answer:
            # The cut attempt was committed: the error names the earlier payment.
            found = REFERENCE_RE.search(json.loads(answer).get("errorMessage", ""))
            if found is None:
                self._surprise("create duplicate without a reference", answer)
                return flow
            flow.reference, flow.create = found.group(0), "found"
        else:
            flow.create = f"answered {status}"
            self._surprise(f"create {status}", answer)
            return flow

        reference = flow.reference
        complete = json.dumps({"outcome": flow.outcome}).encode()
        got = self._step("complete", lambda: ("POST", f"/_mock/payments/{reference}/complete",
                                              {"Content-Type": "application/json"}, complete),
                         flow)
        if got is None:
            return flow
        status, answer, retried = got
        if not (status == 200 or (retried and status == 409)):  # 409: the cut one went through
            self._surprise(f"complete {status}", answer)
            return flow
        flow.completed = True
        if flow.outcome != "success":
            return flow

        fulfil = json.dumps({"reference": reference, "products": [
            {"sku": SKU, "fulfilmentStatus": "FULFILLED", "quantity": 1}]}).encode()
        got = self._step("fulfil", lambda: self._signed(FULFIL_PATH, token, fulfil), flow)
        if got is None:
            return flow
        status, answer, retried = got
        if status == 200 or (retried and status == 400
                             and b"FULFILMENT_QUANTITY_EXCEEDED" in answer):
            flow.fulfilled = True
        else:
            self._surprise(f"fulfil {status}", answer)
        return flow

    def run(self, deadline: float) -> None:
        try:
            while time.monotonic() < deadline:
                self.flow()
        except Exception as exc:  # reported, never silently lost
            self._surprise(f"worker crashed: {type(exc).__name__}", str(exc))
        finally:
            self.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def create_partners(control: Control, listeners: list[FlakyListener]) -> list[Partner]:
    partners = []
    for listener in listeners:
        created = control.post("/_mock/partners", {
            "code": f"SOAK_{listener.index:02d}", "name": f"Soak partner {listener.index}",
            "webhookUrl": listener.url})
        listener.signing_key = created["signingKey"]
        listener.partner_id = created["partnerId"]
        partners.append(Partner(listener.index, created["partnerId"], created["apiKey"],
                                created["apiSecret"], created["signingKey"], listener))
    return partners


def start_workers(partners: list[Partner], target: Target, seed: int, retry_window: float,
                  deadline: float) -> tuple[list[Worker], list[threading.Thread]]:
    workers = [Worker(p, target, seed, retry_window) for p in partners]
    threads = [threading.Thread(target=w.run, args=(deadline,), name=f"soak-partner-{i}",
                                daemon=True) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    return workers, threads


# --------------------------------------------------------------------------- draining retries


def drain(control: Control, listeners: list[FlakyListener], limit_s: float,
          failing_rounds: int = FAILING_DRAIN_ROUNDS) -> dict[str, Any]:
    """Advance the emulator clock past every pending retry until no delivery is PENDING (or
    ``limit_s`` passes); the listeners keep failing for the first ``failing_rounds`` rounds,
    so the later retry levels (5 min, 30 min, 2 h) are exercised too, then stop failing.

    Each round reads the PENDING deliveries, moves the clock just past the latest
    ``nextAttemptAt`` among them, and waits for the dispatcher to work through them. A
    delivery gets at most one attempt per round, so at most 2 (first try and the real-time 5 s
    retry during the load) + ``failing_rounds`` attempts fail: fewer than the 8 after which it
    would be EXHAUSTED.
    """
    t0 = time.monotonic()
    advanced = 0.0
    rounds = 0
    pending: list[dict[str, Any]] = []
    while True:
        if rounds >= failing_rounds:
            for listener in listeners:
                listener.failing = False
        pending = control.get("/_mock/deliveries", status="PENDING", limit=1000)["deliveries"]
        if not pending or time.monotonic() - t0 > limit_s:
            break
        rounds += 1
        now = parse_time(control.get("/_mock/clock")["now"])
        latest = max((parse_time(d["nextAttemptAt"]) for d in pending if d["nextAttemptAt"]),
                     default=now)
        if latest > now:
            step = math.ceil(latest - now) + 1
            control.post("/_mock/clock/advance", {"seconds": step})
            advanced += step
        wait_until = time.monotonic() + 10.0
        while time.monotonic() < wait_until:  # until every due one has had its attempt
            time.sleep(0.2)
            now = parse_time(control.get("/_mock/clock")["now"])
            left = control.get("/_mock/deliveries", status="PENDING", limit=1000)["deliveries"]
            if all(d["nextAttemptAt"] and parse_time(d["nextAttemptAt"]) > now for d in left):
                break
    for listener in listeners:
        listener.failing = False
    return {"seconds": round(time.monotonic() - t0, 2), "rounds": rounds,
            "clock_advanced_s": advanced, "left_pending": len(pending)}


# --------------------------------------------------------------------------- accounting


def server_payments(control: Control, partners: list[Partner],
                    flows: list[Flow]) -> tuple[dict[str, dict[str, Any]], bool]:
    """Every payment of these partners as ``GET /_mock/payments`` shows it.

    Listed per partner and status (the list holds at most 1,000); a reference a client holds
    that no list showed (a list was full) is looked up one by one.
    """
    found: dict[str, dict[str, Any]] = {}
    truncated = False
    for partner in partners:
        for status in ALL_STATUSES:
            page = control.get("/_mock/payments", partnerId=partner.partner_id, status=status,
                               limit=1000)["payments"]
            truncated |= len(page) >= 1000
            found.update((p["reference"], p) for p in page)
    for flow in flows:
        if flow.reference and flow.reference not in found:
            response = control.call("GET", f"/_mock/payments/{flow.reference}")
            if response.status_code == 200:
                found[flow.reference] = response.json()
    return found, truncated


def account(control: Control, partners: list[Partner], flows: list[Flow],
            killed_at: float | None = None) -> dict[str, Any]:
    """Compare what the clients were told, what the emulator holds and what the listeners got."""
    payments, truncated = server_payments(control, partners, flows)

    # Payments.
    created = [f for f in flows if f.reference]
    missing = [f.reference for f in created if f.reference not in payments]
    wrong_status = [f.reference for f in created if f.reference in payments and f.completed
                    and payments[f.reference]["status"] != OUTCOMES[f.outcome]]
    fulfilment_lost = [f.reference for f in created if f.fulfilled and f.reference in payments
                       and not payments[f.reference]["fulfilments"]]
    by_partner_reference = Counter((p["partnerId"], p["partnerReference"])
                                   for p in payments.values())
    duplicated = sum(1 for n in by_partner_reference.values() if n > 1)
    known = {f.reference for f in created}
    orphans = [r for r in payments if r not in known]  # the emulator has, no client learnt of

    # Webhooks: one per status change to a webhook status, to the partner's listener.
    expected: set[tuple[str, str]] = set()
    for reference, payment in payments.items():
        for change in payment["history"]:
            if change["status"] in WEBHOOK_STATUSES:
                expected.add((reference, change["status"]))
    acknowledged: dict[tuple[str, str], list[Reception]] = {}
    arrivals = failures_answered = bad_signatures = misrouted = 0
    for partner in partners:
        for r in partner.listener.snapshot():
            arrivals += 1
            failures_answered += r.answered != 200
            bad_signatures += not r.signature_ok
            owner = payments.get(str(r.reference), {}).get("partnerId")
            if r.partner_id != partner.partner_id or owner != partner.partner_id:
                misrouted += 1
            if r.answered == 200 and r.reference and r.status:
                acknowledged.setdefault((r.reference, r.status), []).append(r)
    lost = sorted(expected - acknowledged.keys())
    unexpected_events = sorted(acknowledged.keys() - expected)

    # Duplicates: an event acknowledged (2xx) more than once. Each 2xx is matched to the
    # emulator's logged attempt by its X-TIMESTAMP (fresh for every attempt). It is the
    # emulator's fault when it logged two 2xx for one event (outside a resend), or when a 2xx
    # it never logged arrived other than just before a kill. Explained: a 2xx it logged as a
    # failure (it stopped waiting, so it retried, as documented) or one the kill cut off
    # before the log entry (README: "a crash in the instant between your 2xx and our log
    # entry can repeat one delivery").
    by_fault: list[dict[str, Any]] = []
    explained: list[dict[str, Any]] = []
    for (reference, status), got in acknowledged.items():
        if len(got) < 2:
            continue
        log = [d for d in control.get("/_mock/deliveries", reference=reference,
                                      limit=1000)["deliveries"] if d["event"] == status]
        logged: dict[str | None, tuple[bool, bool]] = {}  # X-TIMESTAMP → (2xx, resend)
        for delivery in log:
            for attempt in delivery["attempts"]:
                stamp = {k.lower(): v for k, v in attempt["requestHeaders"].items()}.get(
                    "x-timestamp")
                answered = attempt["responseStatus"]
                logged[stamp] = (answered is not None and 200 <= answered < 300,
                                 delivery["resendOf"] is not None)
        kinds: Counter[str] = Counter()
        for r in got:
            if r.timestamp not in logged:
                kinds["unlogged, just before the kill" if killed_at is not None
                      and r.at <= killed_at else "unlogged"] += 1
            elif not logged[r.timestamp][0]:
                kinds["logged as a failure"] += 1
            elif logged[r.timestamp][1]:
                kinds["logged as delivered by a resend"] += 1
            else:
                kinds["logged as delivered"] += 1
        entry = {"reference": reference, "event": status, "acknowledged": len(got),
                 "how": dict(kinds),
                 "deliveries": [{"id": d["id"], "status": d["status"], "resendOf": d["resendOf"],
                                 "attempts": [(a["number"], a["responseStatus"], a["error"])
                                              for a in d["attempts"]]} for d in log]}
        fault = kinds["logged as delivered"] > 1 or kinds["unlogged"] > 0
        (by_fault if fault else explained).append(entry)

    undelivered = {status: len(control.get("/_mock/deliveries", status=status,
                                           limit=1000)["deliveries"])
                   for status in ("PENDING", "EXHAUSTED", "SKIPPED")}
    return {
        "flows": len(flows),
        "flows_completed": sum(f.completed and (f.outcome != "success" or f.fulfilled)
                               for f in flows),
        "payments_created": len(created),
        "payments_found_on_retry": sum(f.create == "found" for f in flows),
        "creates_unanswered": sum(f.create == "unknown" for f in flows),
        "server_payments": len(payments),
        "list_truncated": truncated,
        "missing": missing,
        "wrong_status": wrong_status,
        "fulfilment_lost": fulfilment_lost,
        "duplicated_partner_references": duplicated,
        "orphans": orphans,
        "by_status": dict(Counter(p["status"] for p in payments.values())),
        "webhooks_expected": len(expected),
        "webhooks_acknowledged": len(expected & acknowledged.keys()),
        "listener_arrivals": arrivals,
        "listener_answered_500": failures_answered,
        "bad_signatures": bad_signatures,
        "misrouted": misrouted,
        "lost": lost,
        "unexpected_events": unexpected_events,
        "duplicates_by_fault": by_fault,
        "duplicates_explained": explained,
        "undelivered": undelivered,
        "partners": {p.index: p.partner_id for p in partners},
    }


def db_counts(path: Path) -> dict[str, Any]:
    """Row counts of the SQLite file (server stopped)."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        counts: dict[str, Any] = {
            table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("payments", "payment_history", "fulfilments", "deliveries",
                          "delivery_attempts", "tokens", "journal")}
        counts["deliveries_by_status"] = dict(db.execute(
            "SELECT status, COUNT(*) FROM deliveries GROUP BY status").fetchall())
        counts["deliveries_by_attempts"] = dict(db.execute(
            "SELECT attempts, COUNT(*) FROM deliveries GROUP BY attempts").fetchall())
    counts["file_mb"] = round(sum(p.stat().st_size for p in path.parent.glob(DB_FILE + "*"))
                              / 2 ** 20, 2)
    return counts


def integrity(path: Path) -> str:
    """``PRAGMA integrity_check`` of the file (opening it replays the WAL, as a restart does)."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def pending_in_file(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return int(db.execute("SELECT COUNT(*) FROM deliveries WHERE status = 'PENDING'")
                   .fetchone()[0])


def merged_stats(workers: list[Worker]) -> ClientStats:
    stats = ClientStats()
    for worker in workers:
        stats.merge(worker.stats)
    return stats


def _json_stats(stats: ClientStats) -> dict[str, Any]:
    return {"statuses": {f"{label} {status}": n for (label, status), n
                         in sorted(stats.statuses.items())},
            "transport_errors": dict(stats.transport), "unexpected": dict(stats.unexpected),
            "unexpected_samples": stats.samples}


def _short(result: dict[str, Any]) -> dict[str, Any]:
    """The accounting for the JSON: counts, and the first few references of each problem."""
    out = {}
    for key, value in result.items():
        if isinstance(value, list):
            out[key] = {"count": len(value), "first": value[:10]}
        else:
            out[key] = value
    return out


def _accounting_metrics(prefix: str, result: dict[str, Any], stats: ClientStats,
                        control_5xx: int) -> list[Metric]:
    undelivered = result["undelivered"]
    return [
        Metric(f"{prefix}payments missing or in a wrong final status",
               len(result["missing"]) + len(result["wrong_status"]), "count", 0),
        Metric(f"{prefix}fulfilments acknowledged but not recorded",
               len(result["fulfilment_lost"]), "count", 0),
        Metric(f"{prefix}partnerReference stored twice", result["duplicated_partner_references"],
               "count", 0),
        Metric(f"{prefix}webhooks expected (status changes)", result["webhooks_expected"],
               "count"),
        Metric(f"{prefix}deliveries the listeners failed (500, retried)",
               result["listener_answered_500"], "count"),
        Metric(f"{prefix}webhooks lost (never acknowledged)", len(result["lost"]), "count", 0),
        Metric(f"{prefix}webhooks duplicated by the emulator's fault",
               len(result["duplicates_by_fault"]), "count", 0),
        Metric(f"{prefix}duplicates its delivery log explains",
               len(result["duplicates_explained"]), "count"),
        Metric(f"{prefix}events not expected / misrouted / badly signed",
               len(result["unexpected_events"]) + result["misrouted"] + result["bad_signatures"],
               "count", 0),
        Metric(f"{prefix}deliveries not DELIVERED after the clock drive",
               undelivered["PENDING"] + undelivered["EXHAUSTED"] + undelivered["SKIPPED"],
               "count", 0),
        Metric(f"{prefix}5xx answers (gateway and control calls)",
               stats.five_xx() + control_5xx, "count", 0),
    ]


# --------------------------------------------------------------------------- soak


def soak(ctx: Context) -> list[Metric]:
    """16 partners × full flows for 60 s, listeners failing 30 %: no loss, duplicate or 5xx."""
    seconds = SOAK_SECONDS_QUICK if ctx.quick else SOAK_SECONDS
    limit = DRAIN_LIMIT_S_QUICK if ctx.quick else DRAIN_LIMIT_S
    listeners = [FlakyListener(i, SEED) for i in range(PARTNERS)]
    with tempfile.TemporaryDirectory(prefix="pay1st-soak-") as tmp:
        data = Path(tmp) / "data"
        server = start_server(data, SEED)
        control = Control(server.wait_url())
        sampler = RssSampler(server.pid)
        try:
            partners = create_partners(control, listeners)
            target = Target(server.wait_url())
            load_start = sampler.now()
            t0 = time.perf_counter()
            cpu0 = server.cpu_seconds() or 0.0
            workers, threads = start_workers(partners, target, SEED, 5.0,
                                             time.monotonic() + seconds)
            for thread in threads:
                thread.join(seconds + 120)
            elapsed = time.perf_counter() - t0
            server_cpu = ((server.cpu_seconds() or 0.0) - cpu0) / elapsed * 100
            load_end = sampler.now()
            pending_at_end = len(control.get("/_mock/deliveries", status="PENDING",
                                             limit=1000)["deliveries"])
            drained = drain(control, listeners, limit)
            flows = [f for w in workers for f in w.flows]
            result = account(control, partners, flows)
            rss_after = rss_kb(server.pid)
        finally:
            sampler.stop()
            control.close()
            server.stop()
            for listener in listeners:
                listener.close()
        counts = db_counts(data / DB_FILE)
        check = integrity(data / DB_FILE)
    stats = merged_stats(workers)

    window = sampler.since(load_start, load_end)
    half = sampler.since(load_start + (load_end - load_start) / 2, load_end)
    rss = [mb for _, mb in window] or [math.nan]
    slope = slope_per_minute(half)
    flows_done = result["flows_completed"]
    payments = max(1, counts["payments"])
    ctx.details["reliability_soak"] = {
        "partners": PARTNERS, "seconds": round(elapsed, 2), "fail_probability": FAIL_PROBABILITY,
        "seed": SEED, "server_cpu_pct_of_one_core": round(server_cpu, 1),
        "pending_when_load_stopped": pending_at_end, "drain": drained,
        "accounting": _short(result), "clients": _json_stats(stats),
        "control_statuses": dict(control.statuses),
        "rss_mb": {"samples": [(round(t, 1), round(mb, 2)) for t, mb in sampler.samples],
                   "load_window_s": [round(load_start, 1), round(load_end, 1)],
                   "after_drain": round((rss_after or 0) / 1024, 2)},
        "tables_after": counts, "integrity_check": check,
        "listener_connections": [listener.connections for listener in listeners],
        "policy": f"listeners fail 30 % while the load runs and for the first "
                  f"{FAILING_DRAIN_ROUNDS} clock-drive rounds (retry levels 5 min, 30 min, 2 h), "
                  "then stop failing: a delivery fails at most 2 + that many attempts, fewer "
                  "than the 8 after which it is EXHAUSTED (a correct outcome, not a loss, that "
                  "failing for ever would make happen with probability 0.3^8 per delivery)",
    }
    control_5xx = sum(n for status, n in control.statuses.items() if status >= 500)
    p = "soak: "
    return [
        Metric(f"soak: full flows, {PARTNERS} partners × {seconds:g} s, 30 % webhook failures",
               flows_done / elapsed, "flows/s", better="higher"),
        Metric("  payments created (201)", result["payments_created"], "count"),
        *_accounting_metrics("  ", result, stats, control_5xx),
        Metric("  other unexpected answers / transport errors",
               sum(stats.unexpected.values()) + sum(stats.transport.values()), "count", 0),
        Metric("  emulator clock advanced to drain the retries", drained["clock_advanced_s"],
               "s"),
        Metric("  most attempts one delivery needed", max(counts["deliveries_by_attempts"],
                                                          default=0), "attempts"),
        Metric("  server RSS at start of load", rss[0], "MB"),
        Metric("  server RSS peak during load", max(rss), "MB"),
        Metric("  server RSS at end of load", rss[-1], "MB"),
        Metric("  server RSS slope over the second half of the load"
               + (" (info: warm-up dominates a quick run)" if ctx.quick else ""), slope,
               "MB/min", None if ctx.quick else RSS_SLOPE_MAX_MB_PER_MIN),
        Metric("  server RSS after the clock drive and the accounting calls",
               (rss_after or 0) / 1024, "MB"),
        Metric("  journal rows after the soak (bounded)", counts["journal"], "rows",
               JOURNAL_MAX_ENTRIES + JOURNAL_BATCH),
        Metric("  deliveries rows per payment (one per event; not pruned)",
               counts["deliveries"] / payments, "rows"),
        Metric("  delivery_attempts rows per payment (not pruned)",
               counts["delivery_attempts"] / payments, "rows"),
        Metric("  tokens rows per payment (2 per token call; not pruned)",
               counts["tokens"] / payments, "rows"),
        Metric(f"{p}integrity_check after a clean stop (1 = ok)", float(check == "ok"), "ok",
               1, better="higher"),
    ]


# --------------------------------------------------------------------------- crash safety


def crash_safety(ctx: Context) -> list[Metric]:
    """The same load with a SIGKILL mid-run and a restart on the same data: nothing lost."""
    seconds = CRASH_SECONDS_QUICK if ctx.quick else CRASH_SECONDS
    limit = DRAIN_LIMIT_S_QUICK if ctx.quick else DRAIN_LIMIT_S
    listeners = [FlakyListener(i, SEED + 1) for i in range(PARTNERS)]
    restarted: harness.ServerProcess | None = None
    with tempfile.TemporaryDirectory(prefix="pay1st-crash-") as tmp:
        data = Path(tmp) / "data"
        first = start_server(data, SEED + 1)
        control = Control(first.wait_url())
        try:
            partners = create_partners(control, listeners)
            target = Target(first.wait_url())
            deadline = time.monotonic() + seconds
            workers, threads = start_workers(partners, target, SEED + 1, RETRY_WINDOW_S,
                                             deadline)
            time.sleep(seconds * KILL_AT)
            flows_before_kill = sum(len(w.flows) for w in workers)
            kill_server(first)
            killed_at = time.monotonic()
            check_after_kill = integrity(data / DB_FILE)
            pending_at_kill = pending_in_file(data / DB_FILE)
            restart_t0 = time.monotonic()
            restarted = start_server(data, SEED + 1)
            restart_s = time.monotonic() - restart_t0
            target.point(restarted.wait_url())
            control.base = restarted.wait_url()
            for thread in threads:
                thread.join(seconds + RETRY_WINDOW_S + 60)
            after = {p["apiKey"]: p for p in control.get("/_mock/partners")["partners"]}
            partners_lost = sum(1 for p in partners if after.get(p.api_key, {}).get(
                "signingKey") != p.signing_key)
            drained = drain(control, listeners, limit)
            flows = [f for w in workers for f in w.flows]
            result = account(control, partners, flows, killed_at)
        finally:
            control.close()
            first.stop()
            if restarted is not None:
                restarted.stop()
            for listener in listeners:
                listener.close()
        check_at_end = integrity(data / DB_FILE)
        counts = db_counts(data / DB_FILE)
    stats = merged_stats(workers)
    cut = sum(len(f.retried) for f in flows)  # calls without an answer, each re-sent
    retried_flows = sum(1 for f in flows if f.retried)
    ctx.details["reliability_crash"] = {
        "partners": PARTNERS, "seconds": seconds, "kill_after_s": round(seconds * KILL_AT, 2),
        "flows_before_kill": flows_before_kill, "restart_to_healthy_s": round(restart_s, 3),
        "integrity_after_kill": check_after_kill, "integrity_at_end": check_at_end,
        "pending_deliveries_at_kill": pending_at_kill, "partners_lost": partners_lost,
        "drain": drained, "accounting": _short(result), "clients": _json_stats(stats),
        "flows_with_a_retried_step": retried_flows, "control_statuses": dict(control.statuses),
        "tables_after": counts,
    }
    control_5xx = sum(n for status, n in control.statuses.items() if status >= 500)
    return [
        Metric(f"crash: SIGKILL after {seconds * KILL_AT:g} s of {seconds:g} s load, restart "
               "on the same data", result["payments_created"], "payments"),
        Metric("  calls cut by the kill (re-sent by the clients)", cut, "count"),
        Metric("  creates found committed on re-send (DUPLICATE_PARTNER_REFERENCE)",
               result["payments_found_on_retry"], "count"),
        Metric("  restart on the same data until healthy", restart_s * 1000, "ms"),
        Metric("  integrity_check after SIGKILL (1 = ok)", float(check_after_kill == "ok"),
               "ok", 1, better="higher"),
        Metric("  integrity_check at the end (1 = ok)", float(check_at_end == "ok"), "ok", 1,
               better="higher"),
        Metric("  partners whose credentials did not survive", partners_lost, "count", 0),
        Metric("  deliveries PENDING in the file at the kill", pending_at_kill, "count"),
        *_accounting_metrics("  ", result, stats, control_5xx),
        Metric("  other unexpected answers / calls given up",
               sum(stats.unexpected.values()), "count", 0),
    ]


# --------------------------------------------------------------------------- growth


def fill(data: Path, count: int, seed: int) -> dict[str, Any]:
    """Store ``count`` final payments of the sandbox partner through the store layer.

    Runs in a child process before the server opens ``data``: ``create_app`` builds the schema
    and the sandbox partner, then ``PaymentRepository.insert`` (payment + history row) and
    ``DeliveryRepository.enqueue`` (its webhook, SKIPPED: no URL) for each, in one transaction.
    """
    from decimal import Decimal

    from pay1st_mock.app import create_app, services
    from pay1st_mock.config import Callbacks, Settings
    from pay1st_mock.store.deliveries import DeliveryRepository
    from pay1st_mock.store.payments import Payment, PaymentRepository

    t0 = time.perf_counter()
    svc = services(create_app(Settings(data=str(data), seed=seed)))
    svc.dispatcher.stop()
    payments, deliveries = PaymentRepository(svc.db), DeliveryRepository(svc.db)
    rng = random.Random(seed)
    now = svc.clock.now()
    with svc.db.transaction():
        for i in range(count):
            country, currency = COUNTRIES[i % len(COUNTRIES)]
            status = ("SUCCESSFUL", "FAILED", "CANCELLED")[rng.randrange(3)]
            at = now - (count - i)  # one a second, up to now
            payment = Payment(
                reference=svc.randomness.payment_reference(), partner_id=1,
                partner_reference=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                country_code=country, currency_code=currency, amount=Decimal(100),
                status=status, callbacks=Callbacks(), webhook_url=None,
                products=[{"title": "Filled credits", "sku": SKU, "price": 100, "quantity": 1,
                           "currencyCode": currency}],
                metadata=[{"key": "customerId", "value": str(i)}], channel_id=None,
                channel_name=None, created_at=at, updated_at=at)
            if not payments.insert(payment):
                raise RuntimeError("partnerReference collision while filling")
            deliveries.enqueue(partner_id=1, kind="payment_event", reference=payment.reference,
                               event=status, url=None, body="{}", now=at)
    svc.close()
    return {"count": count, "seconds": round(time.perf_counter() - t0, 2)}


def _fill_in_child(data: Path, count: int, seed: int) -> dict[str, Any]:
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--fill", str(data),
                           str(count), str(seed)], cwd=harness.ROOT, capture_output=True,
                          text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"fill of {count} payments failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


class GrowthClient:
    """The sandbox partner over one raw-socket keep-alive connection to one server."""

    def __init__(self, server: harness.ServerProcess, references: list[str]) -> None:
        self.host, self.port = server.host_port
        self.conn = RawConnection(self.host, self.port)
        self.references = references
        status, body = self.conn.request(self._raw("POST", TOKEN_PATH, {
            "Authorization": basic(SANDBOX[0], SANDBOX[1]), "Content-Type": AUTH_MEDIA_TYPE},
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
                "X-TIMESTAMP": stamp, "X-SIGNATURE": sign(SANDBOX[2], stamp, body)}, body))
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
    servers: dict[int, harness.ServerProcess] = {}
    health_s: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="pay1st-growth-") as tmp:
        try:
            for size in GROWTH_SIZES:
                data = Path(tmp) / f"data-{size}"
                fills[size] = _fill_in_child(data, size, SEED + size)
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
    figures = {size: {"create_ms": {p: _ms(clients[size].create_ms, p) for p in (50, 90, 99)},
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


BENCHMARKS = [soak, crash_safety, growth]


# --------------------------------------------------------------------------- standalone


def _main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--fill"]:  # the growth benchmark's child process
        data, count, seed = Path(args[1]), int(args[2]), int(args[3])
        print(json.dumps(fill(data, count, seed)))
        return 0
    parser = argparse.ArgumentParser(description="Reliability benchmarks: soak, crash, growth.")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", action="append", choices=[f.__name__ for f in BENCHMARKS])
    parsed = parser.parse_args(args)
    ctx = Context(quick=parsed.quick)
    metrics: list[Metric] = []
    for fn in BENCHMARKS:
        if not parsed.only or fn.__name__ in parsed.only:
            print(f"running reliability.{fn.__name__} ...", file=sys.stderr, flush=True)
            metrics += fn(ctx)
    print(harness.format_table(metrics))
    missed = [m.name.strip() for m in metrics if m.ok is False]
    if missed:
        print("missed: " + "; ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(_main())
