"""Bad gateway requests over a real socket: one table, one check.

Every row says how to build the request, the status and ``errorCode`` expected, the words the
``errorMessage`` must contain (the field or header at fault and what was expected), and what must
be left unchanged. The check sends the request to the live server and asserts all of it, plus a
``sessionId`` in the envelope and that no payment, status or fulfilment changed.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import pytest
import requests

from pay1st_mock.signing import sign_request
from tests.support import AUTH, CHANNEL, PAYMENT, SANDBOX, basic, now_timestamp, payment_body

TOKEN_PATH = "/api/pay1st/auth/token"
REFRESH_PATH = "/api/pay1st/auth/refresh"
METHODS_PATH = "/api/pay1st/payments/methods"
CREATE_PATH = "/api/pay1st/payments/create"
QUERY_PATH = "/api/pay1st/payments"
FULFIL_PATH = "/api/pay1st/payments/fulfilments"
ROLE = json.dumps({"role": "API_USER"}).encode()
UNKNOWN_REFERENCE = "C-000000000000000-P"
# The NEW payment's products; the SUCCESSFUL payment's are PAID_PRODUCTS.
PAID_PRODUCTS = [
    {"title": "Gold", "sku": "GOLD-10", "price": 30, "quantity": 2, "currencyCode": "NGN"},
    {"title": "Gems", "sku": "GEM-5", "price": 40, "quantity": 1, "currencyCode": "NGN"},
]


@dataclass(frozen=True)
class Request:
    """One HTTP request as it goes on the wire."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    params: dict[str, str] = field(default_factory=dict)


class World:
    """The live server with a logged-in sandbox partner, a NEW and a SUCCESSFUL payment."""

    def __init__(self, url: str, http: requests.Session) -> None:
        self.url = url
        self.http = http
        tokens = self.login(SANDBOX["api_key"], SANDBOX["api_secret"])
        self.access_token, self.refresh_token = tokens["accessToken"], tokens["refreshToken"]
        self.new_partner_reference = str(uuid.uuid4())
        self.new_reference = self.create(partnerReference=self.new_partner_reference)
        self.paid_reference = self.create(amount=100, products=PAID_PRODUCTS)
        completed = self.http.post(f"{url}/_mock/payments/{self.paid_reference}/complete",
                                   json={"status": "SUCCESSFUL"})
        assert completed.status_code == 200, completed.text

    def login(self, api_key: str, api_secret: str) -> dict[str, str]:
        response = self.http.post(self.url + TOKEN_PATH, data=ROLE, headers={
            "Authorization": basic(api_key, api_secret), "Content-Type": AUTH})
        assert response.status_code == 200, response.text
        tokens: dict[str, str] = response.json()
        return tokens

    def create(self, **overrides: Any) -> str:
        raw = json.dumps(payment_body(**overrides)).encode()
        response = self.send(signed(self, CREATE_PATH, raw))
        assert response.status_code == 201, response.text
        reference: str = response.json()["reference"]
        return reference

    @cached_property
    def other(self) -> dict[str, str]:
        """A second partner (created through the control API), logged in."""
        created = self.http.post(f"{self.url}/_mock/partners", json={"code": "OTHER"})
        assert created.status_code == 201, created.text
        partner: dict[str, str] = created.json()
        return {**partner, **self.login(partner["apiKey"], partner["apiSecret"])}

    def advance_clock(self, seconds: float) -> None:
        response = self.http.post(f"{self.url}/_mock/clock/advance", json={"seconds": seconds})
        assert response.status_code == 200, response.text

    def send(self, req: Request) -> requests.Response:
        return self.http.request(req.method, self.url + req.path, headers=req.headers,
                                 data=req.body, params=req.params, allow_redirects=False)

    def payments(self) -> list[dict[str, Any]]:
        """Every stored payment with its status, history and fulfilments (control API)."""
        response = self.http.get(f"{self.url}/_mock/payments")
        assert response.status_code == 200, response.text
        listed: list[dict[str, Any]] = response.json()["payments"]
        return listed


Signer = Callable[[str, str, bytes], str]


def signed(world: World, path: str, raw: bytes, *, token: str | None = None,
           media_type: str = PAYMENT, timestamp: str | None = None,
           signer: Signer = sign_request, key: str = SANDBOX["signing_key"],
           drop: tuple[str, ...] = (), auth: dict[str, str] | None = None) -> Request:
    """A signed POST as a correct partner sends it, with one thing changed by the arguments."""
    stamp = timestamp if timestamp is not None else now_timestamp()
    headers = {"AccessToken": f"Bearer {token or world.access_token}", "Content-Type": media_type,
               "X-TIMESTAMP": stamp, "X-SIGNATURE": signer(key, stamp, raw)}
    if auth is not None:
        headers = {**{k: v for k, v in headers.items() if k != "AccessToken"}, **auth}
    for name in drop:
        headers.pop(name)
    return Request("POST", path, headers, raw)


def create(world: World, *, token: str | None = None, **overrides: Any) -> Request:
    """A signed Create Payment Request whose body is ``payment_body(**overrides)``."""
    return signed(world, CREATE_PATH, json.dumps(payment_body(**overrides)).encode(),
                  token=token)


def create_raw(raw: bytes, **options: Any) -> Callable[[World], Request]:
    return lambda w: signed(w, CREATE_PATH, raw, **options)


def create_with(**overrides: Any) -> Callable[[World], Request]:
    return lambda w: create(w, **overrides)


def create_without(name: str) -> Callable[[World], Request]:
    def build(world: World) -> Request:
        body = payment_body()
        del body[name]
        return signed(world, CREATE_PATH, json.dumps(body).encode())
    return build


def create_raw_text(old: str, new: str) -> Callable[[World], Request]:
    """A signed create whose JSON text has ``old`` replaced by ``new`` (e.g. a bare NaN)."""
    def build(world: World) -> Request:
        text = json.dumps(payment_body())
        assert old in text
        return signed(world, CREATE_PATH, text.replace(old, new).encode())
    return build


def with_product(**changes: Any) -> Callable[[World], Request]:
    return lambda w: create(w, products=[{**payment_body()["products"][0], **changes}])


def fulfil(world: World, reference: str, *lines: tuple[str, int, str],
           token: str | None = None, key: str = SANDBOX["signing_key"]) -> Request:
    body = {"reference": reference,
            "products": [{"sku": sku, "quantity": quantity, "fulfilmentStatus": status}
                         for sku, quantity, status in lines]}
    return signed(world, FULFIL_PATH, json.dumps(body).encode(), token=token, key=key)


def query(world: World, reference: str, token: str | None = None) -> Request:
    return Request("GET", QUERY_PATH, {"AccessToken": f"Bearer {token or world.access_token}",
                                       "Content-Type": PAYMENT}, params={"reference": reference})


def token_call(authorization: str | None, media_type: str = AUTH) -> Request:
    headers = {"Content-Type": media_type}
    if authorization is not None:
        headers["Authorization"] = authorization
    return Request("POST", TOKEN_PATH, headers, ROLE)


def refresh_call(refresh_token: str, authorization: str | None = None) -> Request:
    headers = {"Content-Type": AUTH, "Accept": AUTH}
    if authorization is not None:
        headers["Authorization"] = authorization
    body = json.dumps({"role": "API_USER", "refreshToken": refresh_token}).encode()
    return Request("POST", REFRESH_PATH, headers, body)


def used_refresh_token(world: World) -> Request:
    """Refresh once (fine), then send the same refresh token again."""
    first = world.send(refresh_call(world.refresh_token))
    assert first.status_code == 200, first.text
    return refresh_call(world.refresh_token)


def expired_token(world: World) -> Request:
    world.advance_clock(3601)
    # Moving the clock past 30 min also abandons the NEW payment, in the background: let that
    # settle first, so the comparison below sees only what the bad request did.
    deadline = time.monotonic() + 5
    while any(p["status"] == "NEW" for p in world.payments()):
        assert time.monotonic() < deadline, "the NEW payment was not abandoned"
        time.sleep(0.01)
    return create(world)


def swapped(key: str, timestamp: str, raw: bytes) -> str:
    return sign_request((timestamp.encode() + raw).decode(), key, b"")


def reserialised(key: str, timestamp: str, raw: bytes) -> str:
    return sign_request(key, timestamp, json.dumps(json.loads(raw), indent=2))


def epoch_millis() -> str:
    return str(int(datetime.now(UTC).timestamp() * 1000))


def other_partner_refresh(world: World) -> Request:
    """The other partner's refresh token, with the sandbox partner's Basic credentials."""
    return refresh_call(world.other["refreshToken"],
                        basic(SANDBOX["api_key"], SANDBOX["api_secret"]))


def other_refresh_still_works(world: World) -> None:
    """The failed refresh did not revoke the other partner's refresh token."""
    response = world.send(refresh_call(world.other["refreshToken"]))
    assert response.status_code == 200, response.text


@dataclass(frozen=True)
class Case:
    """One bad request and everything the gateway must answer to it."""

    id: str
    build: Callable[[World], Request]
    status: int
    code: str
    words: tuple[str, ...]
    # Beyond "the stored payments (statuses, histories, fulfilments) are unchanged", which every
    # case checks: a further check that the state the request targeted is intact.
    intact: Callable[[World], None] | None = None


CASES = [
    # --- token endpoint -----------------------------------------------------------------------
    Case("token-no-basic-credentials", lambda w: token_call(None),
         401, "MISSING_CREDENTIALS", ("Authorization: Basic", "API_KEY:API_SECRET")),
    Case("token-wrong-api-key", lambda w: token_call(basic("nobody", SANDBOX["api_secret"])),
         401, "INVALID_CREDENTIALS", ("API key",)),
    Case("token-wrong-api-secret",
         lambda w: token_call(basic(SANDBOX["api_key"], "wrong-secret")),
         401, "INVALID_CREDENTIALS", ("API secret", SANDBOX["api_key"])),
    Case("token-basic-not-base64", lambda w: token_call("Basic not*base64!"),
         401, "INVALID_CREDENTIALS", ("Basic", "Base64", "API_KEY:API_SECRET")),
    Case("token-wrong-content-type",
         lambda w: token_call(basic(SANDBOX["api_key"], SANDBOX["api_secret"]),
                              "application/json"),
         405, "UNSUPPORTED_MEDIA_TYPE", (AUTH, "got application/json")),
    # --- access token -------------------------------------------------------------------------
    Case("token-in-authorization-bearer",
         lambda w: signed(w, CREATE_PATH, json.dumps(payment_body()).encode(),
                          auth={"Authorization": f"Bearer {w.access_token}"}),
         401, "MISSING_ACCESS_TOKEN", ("AccessToken", "Bearer <token>", "Authorization")),
    Case("accesstoken-without-bearer-prefix",
         lambda w: signed(w, CREATE_PATH, json.dumps(payment_body()).encode(),
                          auth={"AccessToken": w.access_token}),
         401, "INVALID_ACCESS_TOKEN", ("AccessToken", "Bearer <token>", "without the Bearer")),
    Case("unknown-access-token", lambda w: create(w, token="bm90LWEtdG9rZW4="),
         401, "INVALID_ACCESS_TOKEN", ("access token", "not one this emulator issued",
                                       "/api/pay1st/auth/token")),
    Case("expired-access-token", expired_token,
         401, "EXPIRED_ACCESS_TOKEN", ("access token expired", "/api/pay1st/auth/refresh")),
    Case("refresh-token-as-access-token", lambda w: create(w, token=w.refresh_token),
         401, "INVALID_ACCESS_TOKEN", ("refresh token", "accessToken", "AccessToken")),
    # --- refresh ------------------------------------------------------------------------------
    Case("refresh-token-used-twice", used_refresh_token,
         401, "INVALID_REFRESH_TOKEN", ("refreshToken", "already used", "newest")),
    Case("refresh-token-of-another-partner", other_partner_refresh,
         401, "INVALID_REFRESH_TOKEN", ("refreshToken", "this partner"),
         intact=other_refresh_still_works),
    # --- create: media type and body ----------------------------------------------------------
    Case("create-content-type-application-json",
         lambda w: signed(w, CREATE_PATH, json.dumps(payment_body()).encode(),
                          media_type="application/json"),
         405, "UNSUPPORTED_MEDIA_TYPE", (f"Content-Type: {PAYMENT}", "POST " + CREATE_PATH,
                                         "got application/json")),
    Case("create-malformed-json", create_raw(b'{"amount": 100,'),
         400, "MALFORMED_JSON", ("not valid JSON",)),
    Case("create-empty-body", create_raw(b""),
         400, "MALFORMED_JSON", ("body is empty", "JSON object")),
    Case("create-json-array", create_raw(b"[]"),
         400, "VALIDATION_ERROR", ("$", "expected a JSON object")),
    Case("create-missing-amount", create_without("amount"),
         400, "VALIDATION_ERROR", ("$.amount", "required field is missing")),
    Case("create-amount-as-string", create_with(amount="100"),
         400, "VALIDATION_ERROR", ("$.amount", "expected a number", 'the string "100"')),
    Case("create-negative-amount", create_with(amount=-5),
         400, "VALIDATION_ERROR", ("$.amount", "expected a number > 0", "-5")),
    Case("create-amount-three-decimals", create_with(amount=10.001),
         400, "INVALID_AMOUNT", ("$.amount", "10.001", "3 decimal places", "NGN", "at most 2")),
    Case("create-price-three-decimals", with_product(price=1.005),
         400, "INVALID_AMOUNT", ("$.products[0].price", "1.005", "NGN", "at most 2")),
    # NaN and Infinity are not JSON (RFC 8259) though Python's json module reads them.
    Case("create-amount-infinity", create_raw_text('"amount": 100', '"amount": Infinity'),
         400, "MALFORMED_JSON", ("not valid JSON", "Infinity")),
    Case("create-amount-nan", create_raw_text('"amount": 100', '"amount": NaN'),
         400, "MALFORMED_JSON", ("not valid JSON", "NaN")),
    Case("create-price-infinity", create_raw_text('"price": 100', '"price": Infinity'),
         400, "MALFORMED_JSON", ("not valid JSON", "Infinity")),
    Case("create-missing-products", create_without("products"),
         400, "VALIDATION_ERROR", ("$.products", "required field is missing")),
    Case("create-empty-products", create_with(products=[]),
         400, "VALIDATION_ERROR", ("$.products", "at least 1 item(s)", "got 0")),
    Case("create-product-quantity-zero", with_product(quantity=0),
         400, "VALIDATION_ERROR", ("$.products[0].quantity", "≥ 1", "got 0")),
    # --- create: domain rules -----------------------------------------------------------------
    Case("create-country-XX", create_with(countryCode="XX", currencyCode="XXX"),
         400, "UNSUPPORTED_COUNTRY", ("countryCode XX", "supported countries", "NG", "ZA", "KE")),
    Case("create-country-US", create_with(countryCode="US", currencyCode="USD"),
         400, "UNSUPPORTED_COUNTRY", ("countryCode US", "supported countries", "NG", "ZA")),
    Case("create-currency-not-the-countrys", create_with(currencyCode="KES"),
         400, "CURRENCY_MISMATCH", ("currencyCode KES", "NG", "send currencyCode NGN")),
    Case("create-duplicate-partner-reference",
         lambda w: create(w, partnerReference=w.new_partner_reference),
         400, "DUPLICATE_PARTNER_REFERENCE", ("partnerReference", "already used", "{new}",
                                              "{new_partner_reference}")),
    # --- create: signature --------------------------------------------------------------------
    Case("create-no-signature-headers",
         lambda w: signed(w, CREATE_PATH, json.dumps(payment_body()).encode(),
                          drop=("X-SIGNATURE", "X-TIMESTAMP")),
         400, "MISSING_SIGNATURE", ("X-TIMESTAMP", "X-SIGNATURE", "both are missing")),
    Case("create-missing-x-signature",
         lambda w: signed(w, CREATE_PATH, json.dumps(payment_body()).encode(),
                          drop=("X-SIGNATURE",)),
         400, "MISSING_SIGNATURE", ("X-TIMESTAMP arrived without X-SIGNATURE",)),
    Case("create-missing-x-timestamp",
         lambda w: signed(w, CREATE_PATH, json.dumps(payment_body()).encode(),
                          drop=("X-TIMESTAMP",)),
         400, "MISSING_SIGNATURE", ("X-SIGNATURE arrived without X-TIMESTAMP",)),
    Case("create-wrong-signature",
         lambda w: signed(w, CREATE_PATH, json.dumps(payment_body()).encode(),
                          signer=lambda k, t, r: "0" * 64),
         400, "INVALID_SIGNATURE", ("X-SIGNATURE does not match", "HMAC-SHA256",
                                    "X-TIMESTAMP immediately followed by the raw body")),
    Case("create-signature-not-ascii",
         lambda w: signed(w, CREATE_PATH, json.dumps(payment_body()).encode(),
                          signer=lambda k, t, r: "\u00e9" * 64),
         400, "INVALID_SIGNATURE", ("X-SIGNATURE must be 64 hex characters",)),
    Case("create-timestamp-ten-minutes-old",
         lambda w: signed(w, CREATE_PATH, json.dumps(payment_body()).encode(),
                          timestamp=now_timestamp(-600)),
         400, "TIMESTAMP_OUT_OF_WINDOW", ("X-TIMESTAMP", "behind", "±300 s")),
    Case("create-timestamp-in-the-future",
         lambda w: signed(w, CREATE_PATH, json.dumps(payment_body()).encode(),
                          timestamp=now_timestamp(400)),
         400, "TIMESTAMP_OUT_OF_WINDOW", ("X-TIMESTAMP", "ahead of", "±300 s")),
    Case("create-timestamp-epoch-millis",
         lambda w: signed(w, CREATE_PATH, json.dumps(payment_body()).encode(),
                          timestamp=epoch_millis()),
         400, "INVALID_TIMESTAMP", ("X-TIMESTAMP", "ISO-8601", "with a zone")),
    Case("create-signed-reserialised-json",
         lambda w: signed(w, CREATE_PATH, json.dumps(payment_body(),
                                                     separators=(",", ":")).encode(),
                          signer=reserialised),
         400, "INVALID_SIGNATURE", ("re-serialised", "exact body bytes")),
    Case("create-key-and-message-swapped",
         lambda w: signed(w, CREATE_PATH, json.dumps(payment_body()).encode(), signer=swapped),
         400, "INVALID_SIGNATURE", ("swapped", "signing key as the HMAC key")),
    Case("create-body-over-size-limit",
         lambda w: create(w, metadata=[{"key": f"k{i}", "value": "v" * 1000}
                                       for i in range(50)],
                          products=[{**payment_body()["products"][0], "title": "t" * 255,
                                     "sku": f"s{i}", "price": 1} for i in range(100)]),
         400, "REQUEST_TOO_LARGE", ("larger than 65536 bytes", "max_body_bytes")),
    # --- query --------------------------------------------------------------------------------
    Case("query-unknown-reference", lambda w: query(w, UNKNOWN_REFERENCE),
         404, "PAYMENT_NOT_FOUND", ("SANDBOX", "no payment with reference", UNKNOWN_REFERENCE)),
    Case("query-with-partner-reference", lambda w: query(w, w.new_partner_reference),
         404, "PAYMENT_NOT_FOUND", ("{new_partner_reference}", "C-<15 digits>-P",
                                    "not your partnerReference")),
    Case("query-another-partners-payment",
         lambda w: query(w, w.new_reference, token=w.other["accessToken"]),
         404, "PAYMENT_NOT_FOUND", ("OTHER", "no payment with reference", "{new}")),
    Case("methods-without-country-code",
         lambda w: Request("GET", METHODS_PATH, {"AccessToken": f"Bearer {w.access_token}",
                                                 "Content-Type": CHANNEL}),
         400, "INVALID_PARAMETER", ("query parameter countryCode is required",)),
    # --- fulfilment ---------------------------------------------------------------------------
    Case("fulfil-another-partners-payment",
         lambda w: fulfil(w, w.paid_reference, ("GOLD-10", 1, "FULFILLED"),
                          token=w.other["accessToken"], key=w.other["signingKey"]),
         404, "PAYMENT_NOT_FOUND", ("OTHER", "no payment with reference", "{paid}")),
    Case("fulfil-unpaid-payment", lambda w: fulfil(w, w.new_reference, ("12345", 1, "FULFILLED")),
         400, "PAYMENT_NOT_SUCCESSFUL", ("{new}", "is NEW", "after it is SUCCESSFUL")),
    Case("fulfil-unknown-sku",
         lambda w: fulfil(w, w.paid_reference, ("GEM-5", 1, "FULFILLED"),
                          ("SILVER", 1, "FULFILLED")),
         400, "UNKNOWN_SKU", ("$.products[1].sku", "'SILVER'", "{paid}",
                              "its SKUs are: GEM-5, GOLD-10")),
    Case("fulfil-more-units-than-bought",
         lambda w: fulfil(w, w.paid_reference, ("GOLD-10", 3, "FULFILLED")),
         400, "FULFILMENT_QUANTITY_EXCEEDED", ("$.products[0]", "3 unit(s)", "'GOLD-10'",
                                               "2 were paid for")),
    Case("fulfil-status-not-allowed",
         lambda w: fulfil(w, w.paid_reference, ("GOLD-10", 1, "DONE")),
         400, "VALIDATION_ERROR", ("$.products[0].fulfilmentStatus", '"FULFILLED", "FAILED"',
                                   'the string "DONE"')),
    # --- routing ------------------------------------------------------------------------------
    Case("unknown-path", lambda w: Request("GET", "/api/pay1st/payment/status"),
         404, "NOT_FOUND", ("no endpoint GET /api/pay1st/payment/status",
                            "/api/pay1st/payments/create")),
    Case("get-on-create", lambda w: Request("GET", CREATE_PATH,
                                            {"AccessToken": f"Bearer {w.access_token}"}),
         405, "METHOD_NOT_ALLOWED", ("GET is not allowed", CREATE_PATH, "use POST")),
]


def _expand(word: str, world: World) -> str:
    """Fill the placeholders that stand for values only known once the world exists."""
    return word.format(new=world.new_reference, paid=world.paid_reference,
                       new_partner_reference=world.new_partner_reference)


@pytest.fixture
def world(live_url: str) -> Any:
    with requests.Session() as http:
        yield World(live_url, http)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_request_is_refused_and_stores_nothing(case: Case, world: World) -> None:
    request = case.build(world)
    before = world.payments()

    response = world.send(request)

    assert response.status_code == case.status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()
    assert set(error) == {"errorMessage", "errorCode", "sessionId"}
    assert error["errorCode"] == case.code, error
    for word in case.words:
        assert _expand(word, world) in error["errorMessage"], (word, error["errorMessage"])
    assert uuid.UUID(error["sessionId"]).version == 4
    assert world.payments() == before
    if case.intact is not None:
        case.intact(world)


def test_the_table_is_wide_enough() -> None:
    assert len(CASES) >= 30
    assert len({case.id for case in CASES}) == len(CASES)


def test_errors_carry_distinct_session_ids(world: World) -> None:
    first, second = (world.send(query(world, UNKNOWN_REFERENCE)).json() for _ in range(2))
    assert first["sessionId"] != second["sessionId"]

