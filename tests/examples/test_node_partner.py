"""The Node.js reference partner (``examples/node_partner``) against the real emulator.

The partner runs as ``node main.js --port 0`` and prints the URL it got; the emulator runs in this
process. The conformance pack grades it exactly as it grades the Python reference partner, and
its signature code is checked against the documented vectors. Skipped only where ``node`` is not
installed.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import queue
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import pytest
import requests

from pay1st_mock.config import Settings, settings_from_mapping
from pay1st_mock.runner.engine import Engine
from pay1st_mock.runner.events import PASSED
from pay1st_mock.runner.model import load_scenarios
from pay1st_mock.runner.reporters.console import ConsoleReporter
from pay1st_mock.runner.session import run_scenarios
from pay1st_mock.runner.target import build_target, with_partner_url
from pay1st_mock.server import MockServer
from pay1st_mock.signing import sign_request, sign_summary, summary_key
from tests import vectors as v

pytestmark = pytest.mark.slow  # every test here starts a node process

ROOT = Path(__file__).resolve().parents[2]
PARTNER_DIR = ROOT / "examples" / "node_partner"
PACK = ROOT / "scenarios"
URL_PREFIX = "NODE_PARTNER_URL="
START_TIMEOUT = 15.0
# The Python partner's grading limits (tests/runner/conftest.py): a 1 s webhook and User Info
# timeout, so a partner that answers late fails at once; banned-1 is the suspended player.
LIMITS: dict[str, Any] = {"version": 1, "server": {"data": ":memory:"},
                          "webhooks": {"timeout_seconds": 1, "retry_delays_seconds": [60]},
                          "shop": {"user_info_timeout_seconds": 1},
                          "run": {"suspended_player_id": "banned-1"}}
ORDERS = "/pay1st-test/orders"
CREATE, FULFIL = "/api/pay1st/payments/create", "/api/pay1st/payments/fulfilments"
TOKEN, REFRESH = "/api/pay1st/auth/token", "/api/pay1st/auth/refresh"
REFUND = "/api/pay1st/transactions/refunds/create"


@pytest.fixture(scope="module")
def node() -> str:
    """The ``node`` executable; the module is skipped without one."""
    found = shutil.which("node")
    if found is None:
        pytest.skip("node is not installed: the Node.js reference partner (examples/node_partner) "
                    "needs Node.js 20 or newer on PATH")
    version = subprocess.run([found, "--version"], capture_output=True, text=True, check=True)
    major = int(version.stdout.strip().lstrip("v").split(".")[0])
    assert major >= 20, f"examples/node_partner needs Node.js >= 20; {found} is {version.stdout}"
    return found


class NodePartner:
    """``node main.js`` on a free port, its stdout drained by a thread, its stderr in a file."""

    def __init__(self, node: str, pay1st_url: str, *flags: str) -> None:
        # Closed by stop(): the log outlives this method, for the failure messages.
        self._log: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self.process = subprocess.Popen(
            [node, "main.js", "--host", "127.0.0.1", "--port", "0", "--pay1st-url", pay1st_url,
             *flags], cwd=PARTNER_DIR, stdout=subprocess.PIPE, stderr=self._log, text=True,
            encoding="utf-8")
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._pumping = threading.Thread(target=self._pump, daemon=True)
        self._pumping.start()
        self.http = requests.Session()
        self.http.trust_env = False  # proxy variables must not capture loopback traffic
        try:
            self.url = self._wait_for_url()
        except AssertionError:
            self.stop(check=False)
            raise

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                break
            if line is None:
                self.process.wait(5)
                raise AssertionError(f"node exited ({self.process.returncode}) before printing "
                                     f"its URL:\n{self.log()}")
            if line.startswith(URL_PREFIX):
                return line.removeprefix(URL_PREFIX)
        raise AssertionError(f"no {URL_PREFIX} line within {START_TIMEOUT} s:\n{self.log()}")

    def log(self) -> str:
        """What the partner wrote on stderr: a line per request, and its notes."""
        self._log.seek(0)
        return self._log.read()

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(method, self.url + path, timeout=10, **kwargs)

    def order(self, **fields: Any) -> dict[str, Any]:
        response = self.call("POST", ORDERS, json={"playerId": "player-1", "sku": "CRE-11",
                                                   **fields})
        assert response.status_code == 201, f"{response.text}\n{self.log()}"
        return dict(response.json())

    def balance(self, player_id: str = "player-1") -> tuple[int, int]:
        account = self.call("GET", f"/pay1st-test/players/{player_id}").json()
        return account["balance"], account["credits"]

    def stop(self, check: bool = True) -> None:
        """SIGTERM, as a service manager would: the partner stops cleanly, exit code 0."""
        try:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    code = self.process.wait(5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(5)
                    raise AssertionError(f"node did not stop on SIGTERM:\n{self.log()}") from None
                assert code == 0 or not check, f"node exited {code} on SIGTERM:\n{self.log()}"
        finally:
            self._pumping.join(5)  # stdout is at its end once node has exited
            assert self.process.stdout is not None
            self.process.stdout.close()
            self.http.close()
            self._log.close()


@contextlib.contextmanager
def node_partner(node: str, pay1st_url: str, *flags: str) -> Iterator[NodePartner]:
    partner = NodePartner(node, pay1st_url, *flags)
    try:
        yield partner
    except BaseException:
        partner.stop(check=False)  # the test's own failure is the one to show
        raise
    partner.stop()


def free_port() -> int:
    with socket.socket() as probe:  # a small race with other processes; acceptable in a test
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def limits(**sections: Any) -> Settings:
    return settings_from_mapping({**LIMITS, **sections}, "<test_node_partner>")


# --- The conformance pack ---------------------------------------------------------------------
def test_the_node_partner_passes_the_whole_pack(node: str) -> None:
    """The partner needs the emulator's URL and the emulator the partner's: the emulator's port is
    picked first, the partner started with it, then the emulator built with the partner's URL."""
    port = free_port()
    with node_partner(node, f"http://127.0.0.1:{port}") as partner:
        settings = with_partner_url(limits(), partner.url)
        scenarios = load_scenarios([PACK])
        report = io.StringIO()
        with MockServer(settings, port=port) as mock:
            engine = Engine(build_target(settings), mock.url, seed=7)
            result = run_scenarios(engine, scenarios, [ConsoleReporter(report)])
            journal = partner.http.get(f"{mock.url}/_mock/journal",
                                       params={"limit": 1000}).json()["entries"]
        failed = [r.scenario.file for r in result.results if r.outcome != PASSED]
        assert failed == [], (f"{len(failed)} scenario(s) failed:\n{report.getvalue()}\n"
                              f"the partner's log:\n{partner.log()}")
    assert (result.passed, result.failed) == (len(list(PACK.rglob("*.json"))), 0)
    # Nothing the emulator noticed about the partner's own calls: no warning on what it accepted,
    # no refusal but a 401 (a token that expired, which the partner renews).
    assert [(e["path"], e["status"], e["findings"]) for e in journal
            if (e["status"] < 400 and e["findings"]) or e["status"] not in (200, 201, 401)] == []
    # (The refunds are the runner's: refund_payment creates them with the partner's credentials.)
    assert {CREATE, FULFIL} <= {e["path"] for e in journal} <= {TOKEN, REFRESH, CREATE, FULFIL,
                                                                 REFUND}


# --- The signature code against the documented vectors ----------------------------------------
def test_the_node_unit_tests_pass(node: str) -> None:
    """``node --test``: both signature schemes on the vectors, and the event ordering."""
    files = sorted(str(p.relative_to(PARTNER_DIR)) for p in PARTNER_DIR.glob("test/*.test.js"))
    assert len(files) >= 2
    run = subprocess.run([node, "--test", *files], cwd=PARTNER_DIR, capture_output=True,
                         text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "# fail 0" in run.stdout


def node_signatures(node: str, cases: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """Run the partner's signature functions over ``cases`` (``body`` is Base64 bytes)."""
    script = (
        "import { readFileSync } from 'node:fs';"
        "import { gatewaySignature, summaryKey, summarySignature } from './src/signatures.js';"
        "const cases = JSON.parse(readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(cases.map((c) => { const body = Buffer.from(c.body, 'base64');"
        "  return { gateway: gatewaySignature(c.key, c.timestamp, body),"
        "           summaryKey: summaryKey(c.user, c.password),"
        "           summary: summarySignature(summaryKey(c.user, c.password), body) }; })));")
    run = subprocess.run([node, "--input-type=module", "-e", script], cwd=PARTNER_DIR,
                         input=json.dumps(cases), capture_output=True, text=True, timeout=30,
                         check=False)
    assert run.returncode == 0, run.stderr
    return list(json.loads(run.stdout))


BODIES = [v.REQUEST_BODY.encode(), v.SUMMARY_BODY.encode(),
          b'\n  {"title": "caf\xc3\xa9 \\u00e9 \xf0\x9f\x8e\xae", "amount": 1.50}\r\n',
          b"", b"\xff\xfe not even UTF-8"]


def test_node_signatures_match_the_vectors_and_the_emulator(node: str) -> None:
    cases = [{"key": v.REQUEST_KEY, "timestamp": v.REQUEST_TIMESTAMP, "user": v.SUMMARY_USER,
              "password": v.SUMMARY_PASSWORD, "body": _b64(body)} for body in BODIES]
    cases.append({"key": "ключ", "timestamp": "2025-03-17T10:10:52+02:00", "user": "ü",
                  "password": "p:w", "body": _b64(BODIES[2])})
    results = node_signatures(node, cases)
    assert results[0]["gateway"] == v.REQUEST_SIGNATURE  # pay1st-api.md §5.1
    assert results[1]["summary"] == v.SUMMARY_SIGNATURE  # §5.2
    assert results[1]["summaryKey"] == v.SUMMARY_KEY
    for case, result in zip(cases, results, strict=True):
        body = base64.b64decode(case["body"])
        key = summary_key(case["user"], case["password"])
        assert result == {"gateway": sign_request(case["key"], case["timestamp"], body),
                          "summaryKey": key, "summary": sign_summary(key, body)}, case


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --- Beyond today's pack: tokens, odd events, quantities -------------------------------------
class Emulator:
    """The emulator, and a loopback HTTP session to its control API."""

    def __init__(self, mock: MockServer) -> None:
        self.mock, self.url = mock, mock.url
        self.http = requests.Session()
        self.http.trust_env = False

    def journal(self, after: int = 0, reference: str | None = None) -> list[dict[str, Any]]:
        """The gateway calls recorded after entry ``after``, oldest first."""
        params: dict[str, Any] = {"limit": 1000, "reference": reference}
        entries = self.http.get(f"{self.url}/_mock/journal", params=params,
                                timeout=10).json()["entries"]
        return [e for e in reversed(entries) if e["id"] > after]

    def calls(self, after: int, *paths: str) -> list[tuple[str, int]]:
        return [(e["path"], e["status"]) for e in self.journal(after) if e["path"] in paths]

    def last_id(self) -> int:
        return max((e["id"] for e in self.journal()), default=0)

    def complete(self, reference: str, outcome: str) -> None:
        """Pay (or fail) a payment; its webhook is SKIPPED: this emulator knows no partner URL."""
        answer = self.http.post(f"{self.url}/_mock/payments/{reference}/complete",
                                json={"outcome": outcome}, timeout=10)
        assert answer.ok, answer.text


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """An emulator whose access tokens live 2 s, so expiry happens within a test. It sends no
    webhooks (it does not know the partners' URLs): the tests post events themselves."""
    with MockServer(limits(tokens={"access_ttl_seconds": 2})) as mock:
        emulator = Emulator(mock)
        yield emulator
        emulator.http.close()


def test_tokens_are_refreshed_on_expiry_and_before_it(node: str, emulator: Emulator) -> None:
    start = emulator.last_id()
    with node_partner(node, emulator.url) as partner:
        created = partner.order(quantity=2, countryCode="ZA")
        checkout = partner.http.get(created["checkoutUrl"], timeout=10)  # the token still lives
        assert checkout.status_code == 200, checkout.text
        token_text = created["checkoutUrl"].split("accessToken=", 1)[1]
        assert not {"+", "/", "="} & set(token_text), token_text  # URL-escaped
        time.sleep(2.2)  # the access token expires; the partner does not know its lifetime
        partner.order()
    assert emulator.calls(start, TOKEN, REFRESH, CREATE) == [
        (TOKEN, 200), (CREATE, 201), (CREATE, 401), (REFRESH, 200), (CREATE, 201)]

    start = emulator.last_id()
    with node_partner(node, emulator.url, "--token-refresh-seconds", "0.5") as partner:
        partner.order()
        time.sleep(0.6)  # older than --token-refresh-seconds: refreshed before use
        partner.order()
    assert emulator.calls(start, TOKEN, REFRESH, CREATE) == [
        (TOKEN, 200), (CREATE, 201), (REFRESH, 200), (CREATE, 201)]


def _signed(body: bytes, age_seconds: float = 0) -> dict[str, str]:
    """Payment-event headers with a nanosecond X-TIMESTAMP ``age_seconds`` old."""
    moment = time.time() - age_seconds
    nanos = int(moment % 1 * 1e9)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + f".{nanos:09d}Z"
    return {"Content-Type": "application/json", "X-TIMESTAMP": stamp,
            "X-SIGNATURE": sign_request(v.REQUEST_KEY, stamp, body)}


def _event(reference: str, status: str, indent: int | None = None) -> bytes:
    """An event body that re-serialises differently: spaces, escaped non-ASCII, a float."""
    fields = {"partnerId": 1, "partnerCode": "SANDBOX", "reference": reference,
              "orderAmount": 20.0, "currencyCode": "ZAR", "countryCode": "ZA", "status": status,
              "channelName": "Visa / Mastercard — café"}
    return (json.dumps(fields, indent=indent, ensure_ascii=True) + "\n").encode()


def test_events_in_any_order_and_format_are_applied_once(node: str,
                                                         emulator: Emulator) -> None:
    def fulfilments(reference: str) -> list[dict[str, Any]]:
        return [e for e in emulator.journal(reference=reference) if e["path"] == FULFIL]

    with node_partner(node, emulator.url) as partner:
        def post(reference: str, status: str, age: float = 0,
                 indent: int | None = None) -> requests.Response:
            body = _event(reference, status, indent)
            return partner.call("POST", "/pay1st/payment-events", data=body,
                                headers=_signed(body, age))

        paid = partner.order(quantity=2, countryCode="ZA")["reference"]
        emulator.complete(paid, "success")
        assert post(paid, "PENDING", age=120).status_code == 200  # two minutes old: still fresh
        for age in (400, -400):  # a replay, and a clock far ahead
            answer = post(paid, "SUCCESSFUL", age=age)
            assert answer.status_code == 401 and "stale X-TIMESTAMP" in answer.text
        assert "credited 22" in post(paid, "SUCCESSFUL", indent=2).json()["note"]
        _wait_until(lambda: fulfilments(paid), "the fulfilment call")
        for status in ("PENDING", "SUCCESSFUL", "FAILED"):  # late, repeated, contradicting
            assert "ignored" in post(paid, status).json()["note"]

        failed = partner.order()["reference"]
        emulator.complete(failed, "declined")
        for status in ("PENDING", "FAILED", "PENDING"):
            assert post(failed, status).status_code == 200
        time.sleep(0.3)  # time for a (wrong) fulfilment to show
        assert partner.call("GET", f"{ORDERS}/{failed}").json()["status"] == "FAILED"
        shown = partner.call("GET", f"{ORDERS}/{paid}").json()
        assert (shown["reference"], shown["status"], shown["fulfilled"]) == (
            paid, "SUCCESSFUL", True)
        assert partner.balance() == (22, 1)
    [fulfilment] = fulfilments(paid)
    assert fulfilment["status"] == 200 and fulfilment["findings"] == []
    assert [(p["sku"], p["quantity"]) for p in json.loads(fulfilment["requestBody"])["products"]
            ] == [("CRE-11", 2)]
    assert fulfilments(failed) == []


def test_the_shop_side(node: str, emulator: Emulator) -> None:
    key = summary_key("apiuser", "apipassword")
    summary = json.dumps({"reference": "C-500-P", "playerId": "player-2", "productBundleId": 1,
                          "amount": 3000, "currency": "ZAR", "tokensPurchased": 33,
                          "digitalCurrency": {"name": "Credits", "code": "CRE"},
                          "status": "SUCCESSFUL", "externalReference": None,
                          "productBundleExternalId": "CRE-11", "quantity": 3,
                          "paymentMethod": "Visa / Mastercard"}, indent=1)
    padded = f"\n {summary} \r\n".encode()  # signed over the trimmed body, sent padded
    shop = {"Authorization": f"Basic {key}"}  # the product's pair, on both Shop calls
    with node_partner(node, emulator.url) as partner:
        for _ in range(2):
            answer = partner.call("POST", "/pay1st/summary", data=padded,
                                  headers={**shop, "X-SIGNATURE": sign_summary(key, padded)})
            assert answer.status_code == 200, answer.text
        assert partner.balance("player-2") == (33, 1)  # tokensPurchased, once, not × quantity
        forged = partner.call("POST", "/pay1st/summary", data=padded, headers={
            **shop, "X-SIGNATURE": sign_summary("YXBpdXNlcg==", padded)})
        assert forged.status_code == 401
        unauthorised = partner.call("POST", "/pay1st/summary", data=padded,
                                    headers={"X-SIGNATURE": sign_summary(key, padded)})
        assert unauthorised.status_code == 401  # signed, but without the Basic auth
        assert partner.call("GET", "/pay1st/user-info",
                            params={"playerId": "player-1"}).status_code == 401
        for query, status, code in [({"playerId": "banned-1"}, 400, "PLAYER_INACTIVE"),
                                    ({"playerId": "nobody"}, 400, "PLAYER_NOT_FOUND"),
                                    ({}, 400, "MISSING_PLAYER_ID"),
                                    ({"playerId": "player-1", "amount": "ten"}, 400,
                                     "INVALID_AMOUNT")]:
            answer = partner.call("GET", "/pay1st/user-info", params=query, headers=shop)
            assert (answer.status_code, answer.json()["errorCode"]) == (status, code)
        valid = partner.call("GET", "/pay1st/user-info", headers=shop, params={
            "playerId": "player-1", "externalReference": "EXT", "amount": "1000.50",
            "currencyCode": "NGN"}).json()
        assert valid == {"userId": "player-1", "externalReference": "EXT", "amount": 1000.5,
                         "currencyCode": "NGN"}
        refused = partner.call("POST", ORDERS, json={"playerId": "banned-1", "sku": "CRE-11"})
        assert refused.status_code == 400 and "suspended" in refused.json()["error"]


def test_settings_come_from_flags_and_the_environment(node: str) -> None:
    bad = subprocess.run([node, "main.js", "--port", "http"], cwd=PARTNER_DIR,
                         capture_output=True, text=True, timeout=30, check=False)
    assert (bad.returncode, bad.stderr.strip()) == (
        2, 'error: --port must be a port number from 0 to 65535; got "http"')
    shown = subprocess.run([node, "main.js", "--help"], cwd=PARTNER_DIR, capture_output=True,
                           text=True, timeout=30, check=False)
    assert shown.returncode == 0
    for flag in ("--pay1st-url", "NODE_PARTNER_SIGNING_KEY", "--shop-password", "--port"):
        assert flag in shown.stdout
    environ = {**os.environ, "NODE_PARTNER_TOKEN_REFRESH_SECONDS": "0"}
    from_env = subprocess.run([node, "main.js"], cwd=PARTNER_DIR, capture_output=True, text=True,
                              timeout=30, check=False, env=environ)
    assert from_env.returncode == 2
    assert "NODE_PARTNER_TOKEN_REFRESH_SECONDS must be a number of seconds" in from_env.stderr


def _wait_until(predicate: Callable[[], Any], what: str, timeout: float = 5) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.02)
    return value
