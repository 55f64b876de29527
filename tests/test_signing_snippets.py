"""The signing snippets partners copy (``examples/signing``): Node.js and Java, each run as a
partner would run it, against Pay1st's two documented test vectors (``tests/vectors.py``) and
against a live emulator — a Create Payment they sign is accepted, and the Payment Webhook Event
and Summary Webhook the emulator sends verify with them (issue 17, point 5).

A snippet is skipped, saying why, only where its toolchain is absent (``scripts/test`` installs
Debian's JDK when ``javac`` is missing; Node.js 20 comes with the machine).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from pay1st_mock.config import MEMORY, Settings
from pay1st_mock.listener import WebhookListener
from pay1st_mock.shop.catalogue import DEMO_PRODUCT
from tests import vectors as v
from tests.support import SANDBOX

pytestmark = pytest.mark.slow  # a node or java process per call

SNIPPETS = Path(__file__).resolve().parent.parent / "examples" / "signing"


@dataclass(frozen=True)
class Snippet:
    """One snippet's command line: ``COMMAND ARGS`` with the body on standard input."""

    name: str
    argv: tuple[str, ...]

    def run(self, *args: str, body: bytes | str = b"") -> subprocess.CompletedProcess[bytes]:
        data = body.encode() if isinstance(body, str) else body
        return subprocess.run([*self.argv, *args], input=data, capture_output=True, timeout=60,
                              check=False)

    def output(self, *args: str, body: bytes | str = b"") -> str:
        done = self.run(*args, body=body)
        assert done.returncode == 0, (self.name, done.stdout, done.stderr)
        return done.stdout.decode().strip()

    def accepts(self, *args: str, body: bytes | str) -> bool:
        done = self.run(*args, body=body)
        assert done.returncode in (0, 1), (self.name, done.stdout, done.stderr)
        return done.returncode == 0


@pytest.fixture(scope="module", params=["node", "java"])
def snippet(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Snippet:
    if request.param == "node":
        node = shutil.which("node")
        if node is None:
            pytest.skip("node is not installed: the Node.js snippet cannot run here")
        return Snippet("node", (node, str(SNIPPETS / "pay1st-signing.mjs")))
    javac, java = shutil.which("javac"), shutil.which("java")
    if javac is None or java is None:
        pytest.skip("javac/java are not installed: the Java snippet cannot run here "
                    "(scripts/test installs Debian's default-jdk-headless)")
    classes = tmp_path_factory.mktemp("java")
    subprocess.run([javac, "-Xlint:all", "-Werror", "-d", str(classes),
                    str(SNIPPETS / "Pay1stSigning.java")], check=True, timeout=120)
    return Snippet("java", (java, "-cp", str(classes), "Pay1stSigning"))


# -- the documented vectors (pay1st-api.md §5.1, §5.2) ------------------------------------------


def test_gateway_vector(snippet: Snippet) -> None:
    assert snippet.output("sign-request", v.REQUEST_KEY, v.REQUEST_TIMESTAMP,
                          body=v.REQUEST_BODY) == v.REQUEST_SIGNATURE
    assert snippet.accepts("verify-request", v.REQUEST_KEY, v.REQUEST_TIMESTAMP,
                           v.REQUEST_SIGNATURE.upper(), body=v.REQUEST_BODY)
    # One byte more (a newline an editor adds), or the key and message swapped: refused.
    assert not snippet.accepts("verify-request", v.REQUEST_KEY, v.REQUEST_TIMESTAMP,
                               v.REQUEST_SIGNATURE, body=v.REQUEST_BODY + "\n")
    assert not snippet.accepts("verify-request", v.REQUEST_TIMESTAMP, v.REQUEST_KEY,
                               v.REQUEST_SIGNATURE, body=v.REQUEST_BODY)


def test_summary_vector(snippet: Snippet) -> None:
    assert snippet.output("sign-summary", v.SUMMARY_USER, v.SUMMARY_PASSWORD,
                          body=v.SUMMARY_BODY) == v.SUMMARY_SIGNATURE
    # The body is trimmed before signing: surrounding whitespace changes nothing.
    assert snippet.output("sign-summary", v.SUMMARY_USER, v.SUMMARY_PASSWORD,
                          body=f" \r\n\t{v.SUMMARY_BODY}\n") == v.SUMMARY_SIGNATURE
    assert snippet.accepts("verify-summary", v.SUMMARY_USER, v.SUMMARY_PASSWORD,
                           v.SUMMARY_SIGNATURE, body=v.SUMMARY_BODY)
    assert not snippet.accepts("verify-summary", v.SUMMARY_USER, "wrong-password",
                               v.SUMMARY_SIGNATURE, body=v.SUMMARY_BODY)


def test_non_ascii_bodies_are_signed_as_utf8_bytes(snippet: Snippet) -> None:
    from pay1st_mock.signing import sign_request

    body = '{"title":"Gemmes à 100 ₦","note":"  "}'
    assert snippet.output("sign-request", "kéy", "2025-03-17T08:10:52Z", body=body) == \
        sign_request("kéy", "2025-03-17T08:10:52Z", body.encode())


# -- a live emulator ----------------------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[WebhookListener]:
    with WebhookListener() as partner_backend:
        yield partner_backend


@pytest.fixture
def settings(listener: WebhookListener) -> Settings:
    """The emulator of ``live_url``: its demo product sends Summaries to ``listener``."""
    return Settings(data=MEMORY, seed=1234,
                    products=(dict(DEMO_PRODUCT, summary_url=f"{listener.url}/summary"),))


def payment(webhook_url: str) -> dict[str, Any]:
    return {"countryCode": "NG", "currencyCode": "NGN", "amount": 250,
            "partnerReference": str(uuid.uuid4()), "webhookUrl": webhook_url,
            "products": [{"title": "Gems à 250", "sku": "GEMS-250", "price": 250,
                          "quantity": 1}]}


def test_a_payment_signed_by_the_snippet_is_accepted(snippet: Snippet, live_url: str,
                                                     listener: WebhookListener) -> None:
    done = snippet.run("create-payment", live_url, SANDBOX["api_key"], SANDBOX["api_secret"],
                       SANDBOX["signing_key"],
                       body=json.dumps(payment(f"{listener.url}/hook"), ensure_ascii=False))
    assert done.returncode == 0, (done.stdout, done.stderr)
    answer = json.loads(done.stdout)
    assert answer["status"] == 201, answer
    reference = answer["body"]["reference"]
    (entry,) = requests.get(f"{live_url}/_mock/journal",
                            params={"reference": reference}, timeout=5).json()["entries"]
    assert entry["status"] == 201 and entry["findings"] == [], entry

    # The Payment Webhook Event the emulator then sends verifies with the snippet.
    completed = requests.post(f"{live_url}/_mock/payments/{reference}/complete",
                              json={"status": "SUCCESSFUL"}, timeout=10)
    assert completed.status_code == 200
    (event,) = listener.wait_for(1, timeout=10)
    assert snippet.accepts("verify-request", SANDBOX["signing_key"], event.headers["X-TIMESTAMP"],
                           event.headers["X-SIGNATURE"], body=event.body)
    reserialised = json.dumps(json.loads(event.body), indent=1).encode()
    assert not snippet.accepts("verify-request", SANDBOX["signing_key"],
                               event.headers["X-TIMESTAMP"], event.headers["X-SIGNATURE"],
                               body=reserialised), "verify the raw body, not a re-serialisation"


def test_the_summary_webhook_verifies_with_the_snippet(snippet: Snippet, live_url: str,
                                                       listener: WebhookListener) -> None:
    bought = requests.post(f"{live_url}/_mock/shop/purchases", json={
        "productBundleId": 1, "countryCode": "NG", "playerId": "player-1"}, timeout=10)
    assert bought.status_code == 201, bought.text
    (summary,) = listener.wait_for(1, timeout=10)
    assert summary.path == "/summary"
    assert snippet.accepts("verify-summary", v.SUMMARY_USER, v.SUMMARY_PASSWORD,
                           summary.headers["X-SIGNATURE"], body=summary.body)
    assert not snippet.accepts("verify-summary", v.SUMMARY_USER, v.SUMMARY_PASSWORD,
                               summary.headers["X-SIGNATURE"], body=summary.body + b"x")
