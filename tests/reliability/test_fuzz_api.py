"""Property-based fuzzing of every operation in the app's own ``/_mock/openapi.json``
(Schemathesis 4 on Hypothesis, in process through the WSGI app: the document is fetched from a
fresh app and loaded with ``schemathesis.openapi.from_dict`` so the copy can be patched, see
below; every call goes to the operation's own app with ``case.call(app=...)``).

Checks on every response: no 5xx (``not_a_server_error``), the body conforms to the schema the
document gives for that status (``response_schema_conformance``; undocumented statuses fall to
``default``, the error envelope) and the status is documented (``status_code_conformance``).
On top of that every JSON response is validated against ``schemas/`` by ``tests.conftest``'s
response checker, as in the rest of the suite.

* Gateway without credentials (garbage or no ``AccessToken`` / Basic): always a clean 4xx
  envelope, never a success.
* Gateway with credentials: a valid access token (Basic sandbox key and secret on the token
  calls, the demo product's Basic pair on the legacy status query) and every request signed by
  ``authorise_and_sign`` — ``X-TIMESTAMP`` = the emulator's now, ``X-SIGNATURE`` over the exact
  bytes then sent — so the fuzzer gets past authentication into the validation code (asserted:
  never an auth or signature error). A drawn switch swaps in real references, refresh tokens and
  a served country, so the deeper paths (create, query, fulfil, refresh, legacy status) are
  reached too.
* Control API and the HTML pages (checkout, Shop, legacy link), likewise with real references,
  delivery ids, partner ids and access tokens drawn in now and then.

Every operation runs against its own fresh, seeded, in-memory app (creating one takes ~30 ms),
so nothing an operation does — ``POST /_mock/reset``, a moved clock, injected faults (which only
touch ``/api/*``, never called in those apps), a PATCHed partner — leaks into another, and all
of them can run. Nothing leaves the machine: the seeded payments have no webhook URL (their
deliveries are SKIPPED) and the demo product has no User Info or Summary URL.

Generation is derandomized (no example database), so a run is reproducible in CI. Both
Schemathesis modes run: positive (schema-valid requests) and negative (schema-breaking ones),
the latter only where an operation has something to break. The file takes 30–40 s on 2 cores.

The bugs the fuzzer found — ids beyond SQLite's 64-bit range, a clock moved past year 9999,
the 201 of ``POST /_mock/faults`` missing from the document, a routing miss under ``/shop``
answered as JSON, deeply nested JSON, huge exponents — are fixed; the tests at the end of this
file pin each one. The one open point is pinned by a strict xfail: an integral float (``1.0``)
is refused where the schema wants an integer.
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
from hypothesis import HealthCheck, assume, given, settings
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
from pay1st_mock.config import MEMORY, Settings, settings_from_mapping
from pay1st_mock.signing import sign_request
from pay1st_mock.web.gateway import PAYMENT_MEDIA_TYPE
from tests.conftest import install_response_checker
from tests.harness import ClientPartner
from tests.listener import Listener
from tests.support import SANDBOX, basic

AnyCase = Case[Any]
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
SQLITE_INTEGER = (-(2**63), 2**63 - 1)
TEN_YEARS = 10 * 365 * 86400
CLOCK_LIMIT = 1e10  # ~300 years: still short of year 9999
DEMO_PRODUCT_AUTH = basic("apiuser", "apipassword")  # the demo product's Basic pair (README)
CREDENTIAL_HEADERS = ("accesstoken", "authorization", "x-timestamp", "x-signature")
# Error codes that would mean the fuzzer never got past authentication or signing.
AUTH_ERRORS = frozenset({"MISSING_CREDENTIALS", "INVALID_CREDENTIALS", "MISSING_ACCESS_TOKEN",
                         "INVALID_ACCESS_TOKEN", "EXPIRED_ACCESS_TOKEN", "MISSING_SIGNATURE",
                         "INVALID_SIGNATURE", "INVALID_TIMESTAMP", "TIMESTAMP_OUT_OF_WINDOW"})

FUZZ = settings(derandomize=True, database=None, deadline=None, print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])
EXAMPLES = {  # (positive, negative) examples per operation
    "gateway_signed": (70, 50),
    "gateway_anonymous": (30, 30),
    "control": (40, 30),
    "pages": (25, 20),
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
    paid: str  # SUCCESSFUL
    fresh: str  # NEW, still at the checkout's first step
    external_reference: str
    delivery_id: int

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
        yield Seeded(app, client, partner.access_token, paid, fresh, "FUZZ-EXT-1",
                     deliveries[-1]["id"])
    finally:
        services(app).close()
    assert not problems, "responses broke their schemas:\n" + "\n".join(problems)


def within_known_bugs(case: AnyCase) -> bool:
    """Whether ``case`` would only rediscover a known, still-open bug (none today: the ones the
    fuzzer found are fixed and their tests below pass). Kept as the one place to add such a
    filter, with a strict xfail test pinning the bug."""
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
    elif case.path == "/api/fulfilments/status":
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


# -- the fuzz tests -----------------------------------------------------------------------------


@pytest.mark.parametrize(("label", "mode"), runs(*GATEWAY))
def test_gateway_signed(label: str, mode: GenerationMode) -> None:
    """Authenticated and signed: past the door, every answer is a documented one."""
    with seeded_app() as seeded:

        @examples("gateway_signed", mode)
        @given(case=OPERATIONS[label].as_strategy(generation_mode=mode), pick=PICKS,
               ascii_only=st.booleans())
        def fuzz(case: AnyCase, pick: str | None, ascii_only: bool) -> None:
            assume(not within_known_bugs(case))
            substitute(case, seeded, pick)
            body = authorise_and_sign(case, seeded, ascii_only)
            response = send(case, seeded, body)
            if response.status_code >= 400:
                code = envelope_of(response)["errorCode"]
                assert code not in AUTH_ERRORS, \
                    f"credentials or signature refused: {response.text[:400]}"

        fuzz()


@pytest.mark.parametrize(("label", "mode"), runs(*GATEWAY))
def test_gateway_without_credentials(label: str, mode: GenerationMode) -> None:
    """No (or garbage) credentials and signatures: a clean 4xx envelope, never a success."""
    with seeded_app() as seeded:

        @examples("gateway_anonymous", mode)
        @given(case=OPERATIONS[label].as_strategy(generation_mode=mode), strip=st.booleans())
        def fuzz(case: AnyCase, strip: bool) -> None:
            assume(not within_known_bugs(case))
            if strip:
                case.headers = credentials_dropped(case)
            response = send(case, seeded)
            assert 400 <= response.status_code < 500, \
                f"{response.status_code} without credentials: {response.text[:400]}"
            envelope_of(response)

        fuzz()


@pytest.mark.parametrize(("label", "mode"), runs(*CONTROL))
def test_control_api(label: str, mode: GenerationMode) -> None:
    """The control API answers every request with a documented, schema-valid answer."""
    with seeded_app() as seeded:

        @examples("control", mode)
        @given(case=OPERATIONS[label].as_strategy(generation_mode=mode), pick=PICKS)
        def fuzz(case: AnyCase, pick: str | None) -> None:
            assume(not within_known_bugs(case))
            substitute(case, seeded, pick)
            response = send(case, seeded)
            if response.status_code >= 400:
                envelope_of(response)

        fuzz()


@pytest.mark.parametrize(("label", "mode"), runs(*PAGES))
def test_pages(label: str, mode: GenerationMode) -> None:
    """Checkout, Shop and legacy-link pages: no 5xx, whatever the link, form or product."""
    with seeded_app() as seeded:

        @examples("pages", mode)
        @given(case=OPERATIONS[label].as_strategy(generation_mode=mode), pick=PICKS)
        def fuzz(case: AnyCase, pick: str | None) -> None:
            assume(not within_known_bugs(case))
            substitute(case, seeded, pick)
            send(case, seeded)

        fuzz()


def test_every_operation_is_fuzzed() -> None:
    """The groups above cover the whole document (a new route cannot slip past the fuzzer)."""
    covered = {label for label in OPERATIONS
               if label.split(" ", 1)[1].startswith((*GATEWAY, *CONTROL, *PAGES))}
    assert set(OPERATIONS) - covered == {"GET /"}  # the index page: no input to fuzz
    assert len(OPERATIONS) >= 40


# -- the bugs the fuzzer found (kept out of the generator above) --------------------------------

BIG = 2**63  # one more than SQLite's largest INTEGER


@pytest.mark.parametrize(("method", "path", "body"), [
    pytest.param("GET", f"/_mock/partners/{BIG}", None),
    pytest.param("PATCH", f"/_mock/partners/{BIG}", {"webhookUrl": None}),
    pytest.param("GET", f"/_mock/deliveries/{BIG}", None),
    pytest.param("POST", f"/_mock/deliveries/{BIG}/resend", None),
    pytest.param("GET", f"/_mock/deliveries?partnerId={BIG}", None),
    pytest.param("GET", f"/_mock/payments?partnerId={BIG}", None),
    pytest.param("GET", f"/_mock/journal?partnerId={BIG}", None),
    pytest.param("POST", "/_mock/reset", {"partnerId": BIG}),
])
def test_integers_beyond_sqlite_range_are_client_errors(
        client: FlaskClient, method: str, path: str, body: dict[str, Any] | None) -> None:
    """An id or ``partnerId`` too large for SQLite is simply unknown: a 4xx, never a 500."""
    response = client.open(path, method=method, json=body)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)


def test_clock_advance_past_year_9999_is_refused(client: FlaskClient) -> None:
    response = client.post("/_mock/clock/advance", json={"seconds": 1e12})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert client.get("/_mock/health").status_code == 200


def test_clock_advance_by_ten_years_works(client: FlaskClient) -> None:
    """The bound the fuzzer keeps to is itself fine (so the xfail above is about the edge)."""
    response = client.post("/_mock/clock/advance", json={"seconds": TEN_YEARS})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert client.get("/_mock/health").status_code == 200


def test_openapi_documents_201_for_add_fault(client: FlaskClient) -> None:
    created = client.post("/_mock/faults", json={"action": {"latencyMs": 1}})
    document = client.get("/_mock/openapi.json").get_json()
    assert str(created.status_code) in document["paths"]["/_mock/faults"]["post"]["responses"]


def test_openapi_describes_the_signature_as_hex() -> None:
    parameters = DOCUMENT["paths"]["/api/pay1st/payments/create"]["post"]["parameters"]
    signature = next(p for p in parameters if p["name"] == "X-SIGNATURE")
    assert "Base64" not in signature["description"]
    assert "hex" in signature["description"]


@pytest.mark.xfail(strict=True, reason=(
    "pay1st_mock/jsontext.py:35 parses 1.0 as Decimal and the schema validator "
    "(pay1st_mock/schemas.py SchemaSet.validator, jsonschema's default type checker) does not "
    "count a Decimal as an integer, so quantity 1.0 → 400 VALIDATION_ERROR 'expected an "
    "integer, got the number 1.0', although JSON Schema 2020-12 — the dialect of the published "
    "schema — counts 1.0 as an integer (found by Schemathesis' positive generation)"))
def test_integral_float_is_an_integer(client: FlaskClient) -> None:
    partner = ClientPartner(client).login()
    product = {"title": "Gem pack", "sku": "GEM-1", "price": 100, "quantity": 1.0}
    response = partner.create(products=[product])
    assert response.status_code == 201, response.get_data(as_text=True)


def test_routing_miss_under_shop_is_a_page() -> None:
    app = create_app(Settings(data=MEMORY))
    try:
        client = app.test_client()
        known = client.get("/shop/999")
        assert known.status_code == 404 and known.mimetype == "text/html"
        miss = client.get("/shop/abc")
        assert miss.status_code == 404
        assert miss.mimetype == "text/html", miss.get_data(as_text=True)
    finally:
        services(app).close()


# -- bodies Schemathesis cannot generate (its JSON comes from Python values) --------------------

NESTED = b"[" * 5000 + b"]" * 5000  # 10 KB, far under the 64 KB body limit


def signed_raw(client: FlaskClient, token: str, body: bytes, good: bool = True) -> Any:
    timestamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    signature = sign_request(SANDBOX["signing_key"], timestamp, body) if good else "0" * 64
    return client.post("/api/pay1st/payments/create", data=body, headers={
        "AccessToken": f"Bearer {token}", "Content-Type": PAYMENT_MEDIA_TYPE,
        "X-TIMESTAMP": timestamp, "X-SIGNATURE": signature})


def create_body(number: str) -> bytes:
    """A Create Payment body whose amount and price are the JSON number text ``number``."""
    return ('{"countryCode":"NG","currencyCode":"NGN","amount":' + number
            + ',"partnerReference":"edge","products":[{"title":"t","sku":"s","price":' + number
            + ',"quantity":1}]}').encode()


@pytest.mark.parametrize(("body", "good_signature"), [
    pytest.param(NESTED, True, id="nested-signed"),
    pytest.param(NESTED, False, id="nested-wrong-signature"),
    pytest.param(create_body("1e999999999999"), True, id="exponent-overflow"),
    pytest.param(create_body("1e5000"), True, id="exponent-huge"),
    pytest.param(create_body("1e400"), True, id="exponent-large"),  # 400: over the maximum
    pytest.param(create_body("1" * 5000), True, id="integer-5000-digits"),  # 400 MALFORMED_JSON
])
def test_extreme_json_is_never_a_server_error(client: FlaskClient, body: bytes,
                                              good_signature: bool) -> None:
    token = ClientPartner(client).login().access_token
    assert token is not None
    response = signed_raw(client, token, body, good_signature)
    assert response.status_code < 500, response.get_data(as_text=True)


def test_nested_json_on_the_control_api_is_a_client_error(client: FlaskClient) -> None:
    response = client.post("/_mock/partners", data=NESTED, content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)


def test_nested_user_info_answer_is_a_partner_fault() -> None:
    partner_backend = Listener()
    partner_backend.answer = lambda _: (200, NESTED)
    product = {"id": 10, "partner_id": 1, "name": "Deep Game", "countries": ["NG"],
               "basic_auth": {"username": "deep", "password": "pw"},
               "user_info_url": f"{partner_backend.url}/user-info",
               "bundles": [{"id": 101, "sku": "D-1", "name": "1 Deep", "tokens": 1,
                            "prices": {"NG": 100}}]}
    settings_ = settings_from_mapping({"version": 1, "products": [product]}).with_overrides(
        data=MEMORY, user_info_timeout_seconds=2.0)
    app = create_app(settings_)
    try:
        response = app.test_client().post("/_mock/shop/purchases", json={
            "productBundleId": 101, "countryCode": "NG", "playerId": "p-1"})
        assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    finally:
        services(app).close()
        partner_backend.close()
