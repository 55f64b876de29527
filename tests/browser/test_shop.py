"""The Carry1st Shop emulation in a real browser (Debian's Chromium driven by Playwright).

The partner is a ``WebhookListener`` on a real port: its User Info Webhook (``/user-info``)
answers from a per-test script, its Summary Webhook (``/summary``) and callbacks (``/success``
...) answer 200. Every test goes the way a customer (or the partner's app, for the legacy link)
does, then checks what the partner saw: the User Info query, the signed Summary Webhook, the
legacy status query, and the control API's purchases, payments and exchanges.

pay1st-api.md §5.2, §7, §8; design.md §3 (Shop rows).
"""

from __future__ import annotations

import base64
import html
import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from flask import Flask, Response, request
from flask.testing import FlaskClient
from playwright.sync_api import Page, expect

from pay1st_mock import verify_summary
from pay1st_mock.app import create_app, services
from pay1st_mock.clock import Clock
from pay1st_mock.config import Settings, settings_from_mapping
from pay1st_mock.domain import outcome_table as table
from pay1st_mock.listener import Received, WebhookListener
from pay1st_mock.signing import summary_key
from tests.conftest import install_response_checker

PRODUCT = 10  # sold in ZA and NG; User Info and Summary on the listener
OFFLINE_PRODUCT = 20  # its User Info Webhook is a closed port
GEMS_100, GEMS_550, RETIRED = 11, 12, 13  # bundles of PRODUCT; RETIRED is inactive
OFFLINE_BUNDLE = 21
USERNAME = "gemquest"
PASSWORD = "pa:ss/word+1"  # a ':' in the password: only the first ':' splits Basic credentials
ZA_CARD_CHANNEL = 101  # ZA Visa / Mastercard
NG_CARD_CHANNEL = 2  # NG Visa / Mastercard
CARD_NAME = "Visa / Mastercard"
USER_INFO, SUMMARY, SUCCESS = "/user-info", "/summary", "/success"
PARTNER_QUERY = "game=gem"  # the partner's own query on its URLs: must be kept


# -- the partner and the emulator ---------------------------------------------------------------


def json_answer(status: int, body: dict[str, Any]) -> tuple[int, bytes]:
    return status, json.dumps(body).encode()


class Partner:
    """The partner's scripted answers: ``user_info`` for /user-info, 200 "ok" for the rest."""

    def __init__(self, listener: WebhookListener) -> None:
        self.user_info: Callable[[Received], tuple[int, bytes]] = (
            lambda received: json_answer(200, {"userId": received.query["playerId"][0]}))
        listener.answer_with(self._answer)

    def _answer(self, received: Received) -> tuple[int, bytes]:
        if received.path == USER_INFO:
            return self.user_info(received)
        return 200, b"ok"


@pytest.fixture(scope="module")
def partner_backend() -> Iterator[WebhookListener]:
    """One listener for the module, emptied before each test."""
    backend = WebhookListener().start()
    yield backend
    backend.stop()


@pytest.fixture
def listener(partner_backend: WebhookListener) -> WebhookListener:
    """The module's listener, emptied: no requests, default answers."""
    partner_backend.reset()
    return partner_backend


@pytest.fixture
def partner(listener: WebhookListener) -> Partner:
    return Partner(listener)


@pytest.fixture
def closed_port() -> int:
    """A port of 127.0.0.1 nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def user_info_timeout() -> float:
    """The emulator's User Info Webhook timeout; a test parametrizes it to make one small."""
    return 5.0


def product_config(listener: WebhookListener, closed_port: int) -> list[dict[str, Any]]:
    partner_url = listener.url
    return [
        {"id": PRODUCT, "name": "Gem Quest", "countries": ["ZA", "NG"],
         "digital_currency": {"name": "Gems", "code": "GEM"},
         "basic_auth": {"username": USERNAME, "password": PASSWORD},
         "user_info_url": f"{partner_url}{USER_INFO}?{PARTNER_QUERY}",
         "summary_url": f"{partner_url}{SUMMARY}",
         "callbacks": {kind: f"{partner_url}/{kind}?{PARTNER_QUERY}"
                       for kind in ("success", "failure", "pending")},
         "bundles": [
             {"id": GEMS_100, "sku": "GEM-100", "name": "100 Gems", "tokens": 100,
              "prices": {"ZA": 9.5, "NG": 800}},
             {"id": GEMS_550, "sku": "GEM-550", "name": "550 Gems", "tokens": 550,
              "prices": {"ZA": 19.99, "NG": 1500}},
             {"id": RETIRED, "sku": "GEM-OLD", "name": "Retired Gems", "tokens": 5,
              "active": False, "prices": {"ZA": 1, "NG": 100}}]},
        {"id": OFFLINE_PRODUCT, "name": "Offline Quest", "countries": ["KE"],
         "basic_auth": {"username": "offline", "password": "offline-pw"},
         "user_info_url": f"http://127.0.0.1:{closed_port}{USER_INFO}",
         "summary_url": f"{partner_url}{SUMMARY}",
         "bundles": [{"id": OFFLINE_BUNDLE, "sku": "OFF-1", "name": "1 Coin", "tokens": 1,
                      "prices": {"KE": 100}}]},
    ]


@pytest.fixture
def settings(listener: WebhookListener, closed_port: int, user_info_timeout: float) -> Settings:
    """The two products above, in memory, seeded."""
    return settings_from_mapping(
        {"version": 1, "products": product_config(listener, closed_port)}
    ).with_overrides(data=":memory:", seed=4321, user_info_timeout_seconds=user_info_timeout)


# The Shop and the legacy link answer a bad request with an HTML page, as pages must; every
# JSON response (control API, legacy status) is still held to its schema.
_HTML_PAGE = re.compile(r"^(GET|POST) (/checkout(/[a-z]+)?|/shop(/.*)?|/payment): "
                        r"body is not JSON$")


class _PageProblems(list[str]):
    def append(self, problem: str) -> None:
        if not _HTML_PAGE.match(problem):
            super().append(problem)


@pytest.fixture
def app(settings: Settings, clock: Clock) -> Iterator[Flask]:
    application = create_app(settings, clock)
    problems = _PageProblems()
    install_response_checker(application, problems)

    @application.after_request
    def _pages_are_html(response: Response) -> Response:
        # Pages are HTML; the pictures (/shop/.../image) are images.
        expected = "image/" if request.path.endswith("/image") else "text/html"
        if (re.match(r"^/(shop|payment)\b", request.path)
                and not response.mimetype.startswith(expected)):
            problems.append(f"{request.method} {request.path}: {response.mimetype} on a page")
        return response

    yield application
    services(application).close()
    assert not problems, "responses broke their schemas:\n" + "\n".join(problems)


# -- helpers ------------------------------------------------------------------------------------


def control(server: str | FlaskClient, path: str) -> Any:
    """GET a control API resource from the live server (its URL) or through the test client."""
    if isinstance(server, FlaskClient):
        answer = server.get(f"/_mock/{path}")
        assert answer.status_code == 200, answer.text
        return answer.json
    response = requests.get(f"{server}/_mock/{path}", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def assert_nothing_charged(server: str | FlaskClient, listener: WebhookListener) -> None:
    assert control(server, "shop/purchases") == {"purchases": []}
    assert control(server, "payments") == {"payments": []}
    assert [r for r in listener.requests if r.path == SUMMARY] == []


def user_info_calls(listener: WebhookListener) -> list[Received]:
    return [r for r in listener.requests if r.path == USER_INFO]


def single(query: dict[str, list[str]]) -> dict[str, str]:
    assert all(len(values) == 1 for values in query.values()), query
    return {name: values[0] for name, values in query.items()}


def signed_summary(listener: WebhookListener) -> tuple[dict[str, Any], Received]:
    """Wait for the one Summary Webhook; check it is a POST signed as §5.2 documents."""
    received = listener.wait_for(1, path=SUMMARY)
    assert len(received) == 1, f"expected one Summary Webhook, got {len(received)}"
    summary = received[0]
    headers = {name.lower(): value for name, value in summary.headers.items()}
    assert summary.method == "POST"
    assert headers["content-type"].startswith("application/json")
    # The documented algorithm, spelled out: key = the Base64 *text* of username:password.
    key = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode("ascii")
    assert key == summary_key(USERNAME, PASSWORD)
    assert verify_summary(key, summary.body, headers["x-signature"]), (
        f"bad Summary signature {headers['x-signature']!r} for {summary.body!r}")
    assert re.fullmatch(r"[0-9a-f]{64}", headers["x-signature"])
    body: dict[str, Any] = json.loads(summary.body)
    return body, summary


def legacy_link(live_url: str, **overrides: Any) -> str:
    query: dict[str, Any] = {
        "username": "12345", "platform": "WEB", "productBundleId": GEMS_550,
        "countryCode": "NG", "externalReference": "EXT-1", "quantity": 1, "headless": "true",
        "isPay1st": "true", "channelId": NG_CARD_CHANNEL}
    query.update(overrides)
    return f"{live_url}/payment?" + urlencode({k: v for k, v in query.items() if v is not None})


def legacy_status(live_url: str, external: str, auth: tuple[str, str] | None = (USERNAME,
                                                                                PASSWORD)
                  ) -> requests.Response:
    return requests.get(f"{live_url}/api/fulfilments/status",
                        params={"externalReference": external}, auth=auth, timeout=10)


def assert_envelope(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"errorMessage", "errorCode", "sessionId"}, body
    assert body["errorCode"] == code and body["errorMessage"], body
    return body


def pay_by_card(page: Page, amount_text: str) -> None:
    expect(page.get_by_test_id("card-form")).to_be_visible()
    page.get_by_test_id("card-holder").fill("Ada Obi")
    page.get_by_test_id("card-number").fill(table.SUCCESS_CARD)
    page.get_by_test_id("card-expiry").fill("06/29")
    page.get_by_test_id("card-cvv").fill("408")
    expect(page.get_by_test_id("pay")).to_have_text(f"Pay {amount_text}")
    page.get_by_test_id("pay").click()


def enter_player(page: Page, live_url: str, product: int, player: str, country: str) -> None:
    page.goto(f"{live_url}/shop")
    page.get_by_test_id(f"product-{product}").click()
    expect(page).to_have_url(f"{live_url}/shop/{product}")
    page.get_by_test_id("player-id").fill(player)
    page.get_by_test_id(f"country-{country}").check()
    page.get_by_test_id("check-player").click()


# -- 1. the storefront, end to end --------------------------------------------------------------


def test_storefront_purchase_sends_signed_summary(live_url: str, listener: WebhookListener,
                                                  partner: Partner, page: Page) -> None:
    partner.user_info = lambda received: json_answer(200, {"userId": "TEST123"})
    enter_player(page, live_url, PRODUCT, "TEST123", "ZA")

    # The partner was asked about the player, with the documented query, and said yes.
    expect(page.get_by_test_id("player-verdict")).to_contain_text("Player TEST123 found")
    calls = listener.wait_for(1, path=USER_INFO)
    assert [c.method for c in calls] == ["GET"]
    assert single(calls[0].query) == {"game": "gem", "playerId": "TEST123", "countryCode": "ZA"}

    page.get_by_test_id(f"bundle-{GEMS_550}").check()
    page.get_by_test_id("quantity").fill("2")
    page.get_by_test_id("buy").click()

    expect(page.get_by_role("heading", name="Choose how to pay")).to_be_visible()
    page.get_by_test_id(f"channel-{ZA_CARD_CHANNEL}").click()
    pay_by_card(page, "ZAR 39.98")

    expect(page).to_have_url(re.compile(re.escape(f"{live_url}/shop/receipts/")))
    reference = urlsplit(page.url).path.rsplit("/", 1)[1]
    expect(page.get_by_test_id("status")).to_have_text("SUCCESSFUL")
    expect(page.get_by_test_id("receipt-player")).to_have_text("TEST123")
    # The page refreshes itself until the delivery has a result.
    expect(page.get_by_test_id("summary-status")).to_have_text(re.compile(r"^\s*DELIVERED"))

    body, _ = signed_summary(listener)
    assert body == {
        "reference": reference, "playerId": "TEST123", "productBundleId": GEMS_550,
        "amount": 3998,  # 19.99 × 2 in cents
        "currency": "ZAR", "tokensPurchased": 1100,
        "digitalCurrency": {"name": "Gems", "code": "GEM"}, "status": "SUCCESSFUL",
        "externalReference": None, "productBundleExternalId": "GEM-550", "quantity": 2,
        "paymentMethod": CARD_NAME}
    assert isinstance(body["amount"], int)
    # Choosing the bundle asked again, now with the bundle, amount and quantity (§7.2).
    _, second = user_info_calls(listener)
    assert single(second.query)["playerId"] == "TEST123"
    assert {"productBundleId", "productBundleExternalId", "amount", "currencyCode",
            "quantity"} <= set(second.query)
    assert single(second.query)["quantity"] == "2"

    purchases = control(live_url, "shop/purchases")["purchases"]
    assert [(p["reference"], p["status"], p["playerId"], p["userId"], p["quantity"])
            for p in purchases] == [(reference, "SUCCESSFUL", "TEST123", "TEST123", 2)]


# -- 2. the partner says no ---------------------------------------------------------------------


def test_unknown_player_is_refused_and_nothing_charged(live_url: str, listener: WebhookListener,
                                                       partner: Partner, page: Page) -> None:
    partner.user_info = lambda received: json_answer(
        400, {"errorMessage": "Player not found", "errorCode": "NOT_FOUND"})

    enter_player(page, live_url, PRODUCT, "NOBODY9", "NG")

    error = page.get_by_test_id("player-error")
    expect(error).to_have_text("Player not found")  # the partner's message, not a fault
    expect(page.get_by_test_id("player-id")).to_have_value("NOBODY9")  # kept for correcting
    expect(page.get_by_test_id("bundle-form")).to_have_count(0)
    assert single(listener.wait_for(1, path=USER_INFO)[0].query)["playerId"] == "NOBODY9"
    [exchange] = control(live_url, "exchanges")["exchanges"]
    assert (exchange["verdict"], exchange["responseStatus"]) == ("rejected", 400)
    assert_nothing_charged(live_url, listener)


# -- 3. the partner is broken -------------------------------------------------------------------


FAULTS = {
    "down": (OFFLINE_PRODUCT, "KE", "could not be reached"),
    "slow": (PRODUCT, "ZA", "did not answer within 0.5 s"),
    "bad-body": (PRODUCT, "ZA", "answered 200 with a body that breaks its schema"),
}


@pytest.mark.parametrize(("fault", "user_info_timeout"),
                         [("down", 5.0), ("slow", 0.5), ("bad-body", 5.0)],
                         ids=["down", "slow", "bad-body"])
def test_partner_fault_is_shown_and_logged(fault: str, user_info_timeout: float, live_url: str,
                                           listener: WebhookListener, partner: Partner,
                                           page: Page) -> None:
    product, country, message = FAULTS[fault]
    release = threading.Event()
    if fault == "slow":
        def late(received: Received) -> tuple[int, bytes]:
            release.wait(10)  # held until the test has seen the timeout
            return json_answer(200, {"userId": "TEST123"})
        partner.user_info = late
    elif fault == "bad-body":
        partner.user_info = lambda received: json_answer(200, {"name": "x"})
    try:
        enter_player(page, live_url, product, "TEST123", country)

        error = page.get_by_test_id("player-error")
        expect(error).to_contain_text("Partner fault")
        expect(error).to_contain_text(message)
        expect(page.get_by_test_id("bundle-form")).to_have_count(0)
    finally:
        release.set()

    [exchange] = control(live_url, "exchanges")["exchanges"]
    assert exchange["kind"] == "user_info"
    assert exchange["verdict"] == "partner_fault"
    assert message in exchange["message"]
    assert single(parse_qs(urlsplit(exchange["requestUrl"]).query))["playerId"] == "TEST123"
    if fault == "down":
        assert exchange["responseStatus"] is None
        assert user_info_calls(listener) == []
    elif fault == "slow":
        assert exchange["responseStatus"] is None
        assert exchange["durationMs"] >= 500
    else:
        assert (exchange["responseStatus"], json.loads(exchange["responseBody"])) == (
            200, {"name": "x"})
        assert exchange["findings"], "the schema finding is listed"
    assert_nothing_charged(live_url, listener)


# -- 4. the legacy payment link -----------------------------------------------------------------


@pytest.mark.parametrize("headless", ["headless", "isHeadless"])
def test_legacy_link_pays_and_answers_status(headless: str, live_url: str,
                                             listener: WebhookListener, partner: Partner,
                                             page: Page) -> None:
    link = legacy_link(live_url, **{"headless": None, headless: "true"})
    response = page.goto(link)
    assert response is not None and response.status == 200

    # Straight to the card form of the link's channel: no storefront, no method list.
    expect(page.get_by_role("heading", name=f"Pay with {CARD_NAME}")).to_be_visible()
    expect(page.get_by_test_id("methods")).to_have_count(0)
    [call] = listener.wait_for(1, path=USER_INFO)
    assert single(call.query) == {
        "game": "gem", "playerId": "12345", "countryCode": "NG",
        "productBundleId": str(GEMS_550), "productBundleExternalId": "GEM-550",
        "amount": "1500", "currencyCode": "NGN", "quantity": "1", "externalReference": "EXT-1"}
    pay_by_card(page, "NGN 1,500.00")

    # The browser ends on the product's success callback, on the partner's side.
    expect(page).to_have_url(re.compile("^" + re.escape(f"{listener.url}{SUCCESS}?")))
    callback = single(parse_qs(urlsplit(page.url).query))
    assert (callback["game"], callback["status"]) == ("gem", "SUCCESSFUL")
    expect(page.locator("body")).to_have_text("ok")
    assert listener.wait_for(1, path=SUCCESS)[0].method == "GET"

    body, _ = signed_summary(listener)
    reference = body["reference"]
    assert callback["reference"] == reference
    assert body == {
        "reference": reference, "playerId": "12345", "productBundleId": GEMS_550,
        "amount": 150000, "currency": "NGN", "tokensPurchased": 550,
        "digitalCurrency": {"name": "Gems", "code": "GEM"}, "status": "SUCCESSFUL",
        "externalReference": "EXT-1", "productBundleExternalId": "GEM-550", "quantity": 1,
        "paymentMethod": CARD_NAME}

    status = legacy_status(live_url, "EXT-1")
    assert status.status_code == 200, status.text
    assert status.json() == {
        "reference": reference, "externalReference": "EXT-1", "playerId": "12345",
        "productBundleId": GEMS_550, "amount": 150000, "currency": "NGN",
        "paymentMethod": CARD_NAME, "tokensPurchased": 550,
        "digitalCurrency": {"name": "Gems", "code": "GEM"}, "status": "SUCCESSFUL"}

    assert_envelope(legacy_status(live_url, "EXT-1", (USERNAME, "wrong")), 401,
                    "INVALID_CREDENTIALS")
    assert_envelope(legacy_status(live_url, "EXT-1", ("offline", PASSWORD)), 401,
                    "INVALID_CREDENTIALS")
    assert_envelope(legacy_status(live_url, "EXT-1", None), 401, "MISSING_CREDENTIALS")
    # Another product's credentials do not see this product's purchases.
    assert_envelope(legacy_status(live_url, "EXT-1", ("offline", "offline-pw")), 404,
                    "PURCHASE_NOT_FOUND")
    missing = assert_envelope(legacy_status(live_url, "EXT-404"), 404, "PURCHASE_NOT_FOUND")
    assert "EXT-404" in missing["errorMessage"]


# -- 5. bad input -------------------------------------------------------------------------------


def test_unknown_product_page_is_404(live_url: str, listener: WebhookListener, page: Page) -> None:
    response = page.goto(f"{live_url}/shop/999")
    assert response is not None and response.status == 404
    expect(page.get_by_test_id("error-title")).to_have_text("Unknown product")
    expect(page.get_by_test_id("error-message")).to_contain_text("no product has id 999")
    expect(page.get_by_test_id("error-message")).to_contain_text(f"{PRODUCT} (Gem Quest)")
    assert listener.requests == []


@pytest.mark.parametrize(("player", "message"), [
    ("   ", "enter the player ID (it is empty)"),
    ("P" * 10240, "a player ID is at most 128 characters; this one has 10240"),
], ids=["blank", "10KB"])
def test_bad_player_id_in_the_form(player: str, message: str, live_url: str,
                                   listener: WebhookListener, partner: Partner, page: Page) -> None:
    enter_player(page, live_url, PRODUCT, player, "ZA")
    expect(page.get_by_test_id("player-error")).to_have_text(message)
    expect(page.get_by_test_id("bundle-form")).to_have_count(0)
    assert user_info_calls(listener) == []
    assert_nothing_charged(live_url, listener)


def test_empty_player_id_is_not_submitted(live_url: str, listener: WebhookListener,
                                          page: Page) -> None:
    page.goto(f"{live_url}/shop/{PRODUCT}")
    page.get_by_test_id("check-player").click()
    # The browser refuses the required field; the page stays, nothing is sent.
    player = page.get_by_test_id("player-id")
    assert player.evaluate("element => element.validity.valueMissing") is True
    expect(page).to_have_url(f"{live_url}/shop/{PRODUCT}")
    assert listener.requests == []


STOREFRONT_FORM = {"playerId": "TEST123", "countryCode": "ZA", "bundleId": str(GEMS_100),
                   "quantity": "1", "verdict": "valid", "userId": "TEST123"}

# case: (how, overrides, status, title (None: the player form's error), message)
BAD_INPUT: dict[str, tuple[str, dict[str, Any], int, str | None, str]] = {
    "link-unknown-bundle": ("link", {"productBundleId": 999}, 404, "Unknown bundle",
                            "no bundle has productBundleId 999"),
    "link-inactive-bundle": ("link", {"productBundleId": RETIRED}, 400,
                             "Cannot open this payment link",
                             f"bundle {RETIRED} (Retired Gems) is not active"),
    "link-country-not-sold": ("link", {"countryCode": "KE"}, 400,
                              "Cannot open this payment link",
                              "Gem Quest is not sold in KE; it is sold in ZA, NG"),
    "link-quantity-0": ("link", {"quantity": 0}, 400, "Cannot open this payment link",
                        "quantity must be from 1 to 100; got 0"),
    "link-quantity-1000": ("link", {"quantity": 1000}, 400, "Cannot open this payment link",
                           "quantity must be from 1 to 100; got 1000"),
    "link-quantity-text": ("link", {"quantity": "two"}, 400, "Bad quantity",
                           "quantity must be a whole number; got 'two'"),
    "link-empty-username": ("link", {"username": ""}, 400, "Cannot open this payment link",
                            "enter the player ID (it is empty)"),
    "link-10KB-username": ("link", {"username": "U" * 10240}, 400,
                           "Cannot open this payment link",
                           "a player ID is at most 128 characters; this one has 10240"),
    "player-empty": ("player", {"playerId": ""}, 400, None,
                     "enter the player ID (it is empty)"),
    "player-country-not-sold": ("player", {"countryCode": "KE"}, 400, None,
                                "Gem Quest is not sold in KE; it is sold in ZA, NG"),
    "buy-quantity-0": ("buy", {"quantity": "0"}, 400, "Cannot buy this",
                       "quantity must be from 1 to 100; got 0"),
    "buy-quantity-1000": ("buy", {"quantity": "1000"}, 400, "Cannot buy this",
                          "quantity must be from 1 to 100; got 1000"),
    "buy-inactive-bundle": ("buy", {"bundleId": str(RETIRED)}, 400, "Cannot buy this",
                            f"bundle {RETIRED} (Retired Gems) is not active"),
    "buy-other-products-bundle": ("buy", {"bundleId": str(OFFLINE_BUNDLE)}, 400,
                                  "Cannot buy this",
                                  f"no bundle has productBundleId {OFFLINE_BUNDLE}"),
    "buy-empty-player": ("buy", {"playerId": ""}, 400, "Cannot buy this",
                         "enter the player ID (it is empty)"),
}


def _page_text(page_html: str, test_id: str) -> str | None:
    """The text of the element ``data-testid=test_id`` of an HTML page, unescaped."""
    found = re.search(rf'data-testid="{test_id}"[^>]*>(.*?)</', page_html, re.S)
    return None if found is None else html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_refused_before_the_partner_is_asked(
        case: str, client: FlaskClient, listener: WebhookListener, partner: Partner) -> None:
    """What the pages answer, through Flask's test client (no server to start per case); the
    partner is still the real listener, which must not be asked."""
    how, overrides, status, title, message = BAD_INPUT[case]
    if how == "link":
        response = client.get(legacy_link("", **overrides))
    else:
        form = ({"playerId": "TEST123", "countryCode": "ZA"} if how == "player"
                else dict(STOREFRONT_FORM))
        form.update(overrides)
        response = client.post(f"/shop/{PRODUCT}/{how}", data=form)

    assert response.status_code == status, response.text[:500]
    assert response.mimetype == "text/html"
    if title is None:  # the player form again, with the error above it
        assert _page_text(response.text, "player-error") == message
    else:
        assert _page_text(response.text, "error-title") == title
        shown = _page_text(response.text, "error-message")
        assert shown is not None and message in shown, shown
    assert user_info_calls(listener) == []
    assert_nothing_charged(client, listener)


def test_buy_requires_a_player_the_partner_accepted(live_url: str, listener: WebhookListener,
                                                    partner: Partner) -> None:
    """The buy form carries the player check's verdict in hidden fields; posting it directly
    (or after editing ``playerId``) must not skip the User Info Webhook (design.md §3: only a
    200 valid against the schema accepts the player)."""
    partner.user_info = lambda received: json_answer(
        400, {"errorMessage": "Player not found", "errorCode": "NOT_FOUND"})
    response = requests.post(f"{live_url}/shop/{PRODUCT}/buy",
                             data={**STOREFRONT_FORM, "playerId": "NEVER-CHECKED"},
                             allow_redirects=False, timeout=10)

    assert response.status_code != 303, (
        f"an unverified player reached the checkout: {response.headers.get('Location')}; "
        f"User Info calls: {len(user_info_calls(listener))}")
    assert response.status_code == 400, response.text[:500]
    assert _page_text(response.text, "player-error") == "Player not found"
    assert [single(c.query)["playerId"] for c in user_info_calls(listener)] == ["NEVER-CHECKED"]
    assert_nothing_charged(live_url, listener)


# -- 6. the storefront as a store (issue 19, point 1) -------------------------------------------


def loaded_pictures(page: Page) -> list[str]:
    """The pictures on the page; fails if one did not load."""
    images = page.evaluate("[...document.images].map(i => [i.getAttribute('src'), "
                           "i.complete && i.naturalWidth > 0])")
    assert all(ok for _, ok in images), f"pictures that did not load: {images}"
    return [src for src, _ in images]


def test_the_store_prices_in_the_chosen_country_and_totals_the_order(
        live_url: str, listener: WebhookListener, partner: Partner, page: Page) -> None:
    partner.user_info = lambda received: json_answer(200, {"userId": "TEST-9"})
    page.goto(f"{live_url}/shop")
    assert loaded_pictures(page) == [f"/shop/{PRODUCT}/image", f"/shop/{OFFLINE_PRODUCT}/image"]
    expect(page.get_by_test_id(f"product-{PRODUCT}").locator("svg.flag")).to_have_count(2)
    page.get_by_test_id(f"product-{PRODUCT}").click()

    # Before the player is checked, the bundles show in the chosen country's currency.
    prices = page.get_by_test_id("bundle-price")
    expect(prices).to_have_text(["ZAR 9.50", "ZAR 19.99"])  # ZA is listed first
    page.get_by_test_id("country-NG").check()
    expect(prices).to_have_text(["NGN 800.00", "NGN 1,500.00"])
    expect(page.get_by_test_id("preview-country")).to_have_text("Nigeria")
    assert loaded_pictures(page) == [f"/shop/{PRODUCT}/image",
                                     f"/shop/{PRODUCT}/bundles/{GEMS_100}/image",
                                     f"/shop/{PRODUCT}/bundles/{GEMS_550}/image"]
    page.get_by_test_id("player-id").fill("TEST-9")
    page.get_by_test_id("check-player").click()

    # The verdict sits with the player ID; the tiles are the bundles, priced in naira.
    expect(page.get_by_test_id("verified-player")).to_have_text("TEST-9")
    expect(page.get_by_test_id("player-verdict")).to_have_text("✓ Player TEST-9 found")
    expect(page.get_by_test_id("bundle-label")).to_have_text(["100 Gems", "550 Gems"])
    total = page.get_by_test_id("order-total")
    expect(total).to_have_text("NGN 800.00")
    page.get_by_test_id("bundle-tile").nth(1).click()  # the whole tile chooses the bundle
    expect(page.get_by_test_id(f"bundle-{GEMS_550}")).to_be_checked()
    page.get_by_test_id("quantity").fill("3")
    expect(total).to_have_text("NGN 4,500.00")
    page.get_by_test_id("quantity").fill("0")
    expect(total).to_have_text("—")
    page.get_by_test_id("quantity").fill("2")
    expect(total).to_have_text("NGN 3,000.00")

    page.get_by_test_id("change-player").click()  # back, with the player and country kept
    expect(page.get_by_test_id("player-id")).to_have_value("TEST-9")
    expect(page.get_by_test_id("country-NG")).to_be_checked()
    page.get_by_test_id("check-player").click()
    page.get_by_test_id(f"bundle-{GEMS_550}").check()
    page.get_by_test_id("buy").click()
    page.get_by_test_id(f"channel-{NG_CARD_CHANNEL}").click()
    pay_by_card(page, "NGN 1,500.00")

    expect(page.get_by_test_id("receipt-headline")).to_have_text("Top-up complete")
    expect(page.get_by_test_id("receipt-message")).to_have_text(
        "550 Gems are on their way to your account.")
    expect(page.get_by_test_id("receipt-total")).to_have_text("NGN 1,500.00")
    expect(page.get_by_test_id("summary-status")).to_have_text(re.compile(r"^\s*DELIVERED"))
    assert f"/shop/{PRODUCT}/image" in loaded_pictures(page)
    page.get_by_test_id("buy-again").click()
    expect(page.get_by_test_id("player-id")).to_have_value("TEST-9")


@pytest.mark.context(java_script_enabled=False)
def test_the_store_works_without_javascript(live_url: str, listener: WebhookListener,
                                            partner: Partner, page: Page) -> None:
    enter_player(page, live_url, PRODUCT, "TEST123", "NG")
    expect(page.get_by_test_id("order-total-box")).to_be_hidden()  # needs the script
    page.get_by_test_id("bundle-tile").nth(1).click()
    page.get_by_test_id("quantity").fill("2")
    page.get_by_test_id("buy").click()
    page.get_by_test_id(f"channel-{NG_CARD_CHANNEL}").click()
    pay_by_card(page, "NGN 3,000.00")
    expect(page.get_by_test_id("status")).to_have_text("SUCCESSFUL")
    expect(page.get_by_test_id("receipt-bundle")).to_have_text("2 × 550 Gems")
