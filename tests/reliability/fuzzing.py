"""The machinery of the API fuzz tests (``test_fuzz_api.py``; a helper module, not collected):
the app's own ``/_mock/openapi.json`` for Schemathesis 4 (fetched from a fresh app and loaded
with ``schemathesis.openapi.from_dict`` so the copy can be patched, see ``fuzzable``), its
operations grouped by path, the seeded app each operation runs against, the shaping of a
generated case (real identifiers, credentials, signatures) and the call with its checks.

Checks on every response: no 5xx (``not_a_server_error``), the body conforms to the schema the
document gives for that status (``response_schema_conformance``; undocumented statuses fall to
``default``, the error envelope) and the status is documented (``status_code_conformance``).
On top of that every JSON response is validated against ``schemas/`` by ``tests.conftest``'s
response checker, as in the rest of the suite.

Every operation runs against its own fresh, seeded, in-memory app (creating one takes ~30 ms),
so nothing an operation does — ``POST /_mock/reset``, a moved clock, injected faults (which only
touch ``/api/*``, never called in those apps), a PATCHed partner — leaks into another, and all
of them can run. Nothing leaves the machine: the seeded payments have no webhook URL (their
deliveries are SKIPPED), the demo product has no User Info or Summary URL, and the webhook
dispatcher is stopped, so a generated URL (a refund's ``refundWebhookUrl``) is never called.

Generation is derandomized (no example database, ``FUZZ``), so a run is reproducible in CI.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict
from schemathesis import Case, GenerationMode
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core import NotSet
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.result import Ok

from pay1st_mock.app import create_app, services
from pay1st_mock.config import MEMORY, Settings
from pay1st_mock.signing import sign_request
from tests.conftest import install_response_checker
from tests.harness import ClientPartner
from tests.support import SANDBOX, basic

AnyCase = Case[Any]
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
DEMO_PRODUCT_AUTH = basic("apiuser", "apipassword")  # the demo product's Basic pair (README)
LEGACY_METHODS = "/api/shop/payments/channels/hosted/external-groupings"
REFUND = "application/vnd.carry1st.payments.refund+json"
CREDENTIAL_HEADERS = ("accesstoken", "authorization", "x-timestamp", "x-signature")
# Error codes that would mean the fuzzer never got past authentication or signing.
AUTH_ERRORS = frozenset({"MISSING_CREDENTIALS", "INVALID_CREDENTIALS", "MISSING_ACCESS_TOKEN",
                         "INVALID_ACCESS_TOKEN", "EXPIRED_ACCESS_TOKEN", "MISSING_SIGNATURE",
                         "INVALID_SIGNATURE", "INVALID_TIMESTAMP", "TIMESTAMP_OUT_OF_WINDOW"})

FUZZ = settings(derandomize=True, database=None, deadline=None, print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])
# (positive, negative) examples per operation. The operations doubled (refunds, chargebacks, the
# checklist, the event feed) while the suite's budget did not: ~70% of the first figures keeps
# the fuzzing's wall time near 1.5 min on 2 cores. Generation is derandomized, so every case
# that found a bug earlier is still generated.
EXAMPLES = {
    "gateway_signed": (50, 35),
    "gateway_anonymous": (20, 20),
    "control": (28, 20),
    "pages": (16, 12),
}


# -- the document -------------------------------------------------------------------------------


def served_document() -> dict[str, Any]:
    """``GET /_mock/openapi.json`` of a fresh app (closed again at once)."""
    app = create_app(Settings(data=MEMORY))
    try:
        response = app.test_client().get("/_mock/openapi.json")
        assert response.status_code == 200, response.get_data(as_text=True)
        document: dict[str, Any] = response.get_json()
        return document
    finally:
        services(app).close()


def fuzzable(document: dict[str, Any]) -> dict[str, Any]:
    """The document with the known-bug patches of the module doc (a copy)."""
    patched: dict[str, Any] = json.loads(json.dumps(document))
    return patched


DOCUMENT = served_document()
SCHEMA = schemathesis.openapi.from_dict(fuzzable(DOCUMENT))
OPERATIONS = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations()
                                      if isinstance(result, Ok))}


def _negatable(label: str) -> bool:
    """Whether negative mode has anything to break (a body, a query or header parameter, a
    constrained path parameter); else Hypothesis finds no example at all."""
    operation = OPERATIONS[label]
    return bool(list(operation.body)) or any(
        parameter.location is not ParameterLocation.PATH
        or parameter.definition.get("schema") != {"type": "string"}
        for parameter in operation.iter_parameters())


def runs(*prefixes: str) -> list[Any]:
    """pytest params (label, mode) of every operation whose path starts with a prefix (the
    dashboard, under /_mock/ui, is a page, not the control API)."""
    def group_of(path: str) -> tuple[str, ...]:
        return PAGES if path.startswith(PAGES) else CONTROL if path.startswith(CONTROL) else \
            GATEWAY if path.startswith(GATEWAY) else ()
    labels = sorted(label for label in OPERATIONS
                    if group_of(label.split(" ", 1)[1]) == prefixes)
    return [pytest.param(label, mode, id=f"{label}-{mode.value}")
            for label in labels for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            if mode is GenerationMode.POSITIVE or _negatable(label)]


GATEWAY = ("/api/",)
CONTROL = ("/_mock/",)
PAGES = ("/checkout", "/shop", "/payment", "/_mock/ui")


# -- the app under test -------------------------------------------------------------------------


@dataclass
class Seeded:
    """A fresh app with something to find: a paid and a new payment, a Shop purchase, their
    (SKIPPED) deliveries, and the sandbox partner logged in."""

    app: Flask
    client: FlaskClient
    access_token: str
    paid: str  # SUCCESSFUL, with a partial refund
    fresh: str  # NEW, still at the checkout's first step
    external_reference: str
    delivery_id: int
    refund_reference: str  # of the paid payment
    chargeback_reference: str  # of a third payment, charged back

    def now(self) -> str:
        """The emulator's time as an ISO-8601 ``X-TIMESTAMP``."""
        moment = datetime.fromtimestamp(services(self.app).clock.now(), tz=UTC)
        return moment.isoformat().replace("+00:00", "Z")

    def refresh_token(self) -> str:
        """A refresh token never used yet (each refresh revokes the one it used)."""
        token: str = ClientPartner(self.client).token_response().get_json()["refreshToken"]
        return token


@contextmanager
def seeded_app() -> Iterator[Seeded]:
    """A seeded app whose every response is schema-checked (``tests.conftest``'s checker)."""
    settings_ = Settings(data=MEMORY, seed=1234, webhook_timeout_seconds=0.5)
    app = create_app(settings_)
    services(app).dispatcher.stop()  # deliveries stay in the outbox: nothing is sent anywhere
    problems: list[str] = []
    install_response_checker(app, problems)
    try:
        client = app.test_client()
        partner = ClientPartner(client).login()
        assert partner.access_token is not None
        paid = partner.create_reference()
        completed = client.post(f"/_mock/payments/{paid}/complete", json={"status": "SUCCESSFUL"})
        assert completed.status_code == 200, completed.get_data(as_text=True)
        fresh = partner.create_reference()
        bought = client.post("/_mock/shop/purchases", json={
            "productBundleId": 1, "countryCode": "NG", "playerId": "fuzz-player",
            "externalReference": "FUZZ-EXT-1"})
        assert bought.status_code == 201, bought.get_data(as_text=True)
        deliveries = client.get("/_mock/deliveries").get_json()["deliveries"]
        refund = partner.signed_post("/api/pay1st/transactions/refunds/create", {
            "transactionReference": paid.removesuffix("-P") + "-T",
            "partnerRefundReference": "FUZZ-REFUND-1", "amount": 10}, REFUND)
        assert refund.status_code == 201, refund.get_data(as_text=True)
        disputed = partner.create_reference()
        client.post(f"/_mock/payments/{disputed}/complete", json={"status": "SUCCESSFUL"})
        chargeback = client.post(f"/_mock/payments/{disputed}/chargebacks", json={})
        assert chargeback.status_code == 201, chargeback.get_data(as_text=True)
        yield Seeded(app, client, partner.access_token, paid, fresh, "FUZZ-EXT-1",
                     deliveries[-1]["id"], refund.get_json()["refundReference"],
                     chargeback.get_json()["chargeback"]["chargebackReference"])
    finally:
        services(app).close()
    assert not problems, "responses broke their schemas:\n" + "\n".join(problems)


def within_known_bugs(case: AnyCase) -> bool:
    """Whether ``case`` would only rediscover a known, still-open bug (none today: the ones the
    fuzzer found are fixed and their tests in ``test_edge_inputs.py`` pass). Kept as the one
    place to add such a filter, with a strict xfail test pinning the bug."""
    return False


# -- shaping a generated case -------------------------------------------------------------------

# Which real values a case gets: none (as generated), or those of the paid or the new payment.
PICKS = st.sampled_from([None, "paid", "fresh"])


def substitute(case: AnyCase, seeded: Seeded, pick: str | None) -> None:
    """Swap generated identifiers for real ones, where the case has such a field."""
    if pick is None:
        return
    reference = seeded.paid if pick == "paid" else seeded.fresh
    real: dict[str, Callable[[], Any]] = {
        "reference": lambda: reference, "delivery_id": lambda: seeded.delivery_id,
        "partner_id": lambda: 1, "partnerId": lambda: 1,
        "accessToken": lambda: seeded.access_token,
        "externalReference": lambda: seeded.external_reference,
        "refreshToken": seeded.refresh_token,
        "countryCode": lambda: "NG", "currencyCode": lambda: "NGN",
        "transactionReference": lambda: reference.removesuffix("-P") + "-T",
        "refund_reference": lambda: seeded.refund_reference,
        "chargeback_reference": lambda: seeded.chargeback_reference,
        "evidence_id": lambda: 1, "productBundleId": lambda: 1, "platform": lambda: "SHOP",
    }
    # New containers, not edits in place: Schemathesis only notices an assignment.
    for attribute in ("path_parameters", "query", "body"):
        container = getattr(case, attribute)
        if isinstance(container, dict) and any(name in container for name in real):
            setattr(case, attribute, {name: real[name]() if name in real else value
                                      for name, value in container.items()})


def credentials_dropped(case: AnyCase) -> CaseInsensitiveDict[Any]:
    """The case's headers without any credential or signature header the generator made up.

    Assign the result to ``case.headers``: Schemathesis only notices a new container (edited
    in place, negative mode would still leave out the header it chose to leave out)."""
    return CaseInsensitiveDict({name: value for name, value in (case.headers or {}).items()
                                if name.lower() not in CREDENTIAL_HEADERS})


def raw_body(case: AnyCase, ascii_only: bool) -> bytes:
    """The exact bytes to send (and sign) for the generated body."""
    if isinstance(case.body, NotSet):
        return b""
    if isinstance(case.body, bytes):  # negative mode: a raw payload, sent as it is
        return case.body
    text = json.dumps(case.body, ensure_ascii=ascii_only)
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate is invalid UTF-8: fine


def authorise_and_sign(case: AnyCase, seeded: Seeded, ascii_only: bool) -> bytes:
    """Give ``case`` the credentials its operation takes and sign its body; return the body.

    The signature hook of the gateway: ``X-TIMESTAMP`` is the emulator's now and
    ``X-SIGNATURE`` = hex HMAC-SHA256(signing key, timestamp + the bytes that will be sent).
    """
    headers = credentials_dropped(case)
    body = raw_body(case, ascii_only)
    if case.path in ("/api/pay1st/auth/token", "/api/pay1st/auth/refresh"):
        headers["Authorization"] = basic(SANDBOX["api_key"], SANDBOX["api_secret"])
    elif case.path in ("/api/fulfilments/status", LEGACY_METHODS):
        headers["Authorization"] = DEMO_PRODUCT_AUTH
    else:
        timestamp = seeded.now()
        headers.update({"AccessToken": f"Bearer {seeded.access_token}", "X-TIMESTAMP": timestamp,
                        "X-SIGNATURE": sign_request(SANDBOX["signing_key"], timestamp, body)})
    case.headers = headers
    return body


def send(case: AnyCase, seeded: Seeded, body: bytes | None = None) -> Any:
    """Call the app and run the checks; return the Schemathesis response."""
    if body is None or isinstance(case.body, NotSet):
        response = case.call(app=seeded.app)
    else:
        response = case.call(app=seeded.app, data=body)
    case.validate_response(response, checks=CHECKS)
    return response


def examples(group: str, mode: GenerationMode) -> settings:
    positive, negative = EXAMPLES[group]
    return settings(FUZZ, max_examples=positive if mode is GenerationMode.POSITIVE else negative)


def envelope_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"errorMessage", "errorCode", "sessionId"}, \
        f"{response.status_code}: not the Pay1st error envelope: {response.text[:300]}"
    return body
