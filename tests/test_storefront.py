"""The Shop storefront's pages as a customer reads them (Flask's test client; the partner's
User Info Webhook is a real listener): product cards with pictures and the countries by name,
bundles as tiles priced in the customer's currency and named once, the User Info verdict
beside the player ID, a receipt (design.md §2; issue 19, point 1)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from pay1st_mock.config import MEMORY, settings_from_mapping
from pay1st_mock.listener import Received, WebhookListener
from tests.conftest import checked_app

GAME, UNCHECKED = 10, 20


class UserInfo:
    """The partner's User Info Webhook on a real port; ``answer`` is (status, body)."""

    def __init__(self) -> None:
        self.answer: tuple[int, Any] = (200, {"userId": "U-77"})
        self.listener = WebhookListener().start()
        self.listener.answer_with(self._answer)

    def _answer(self, received: Received) -> tuple[int, bytes]:
        status, body = self.answer
        return status, json.dumps(body).encode()


@pytest.fixture
def user_info() -> Iterator[UserInfo]:
    partner = UserInfo()
    yield partner
    partner.listener.stop()


@pytest.fixture
def shop(user_info: UserInfo) -> Iterator[FlaskClient]:
    """Gem Quest (checked by the listener; NG and ZA) and Coin Quest (no User Info URL)."""
    products = [
        {"id": GAME, "name": "Gem Quest", "countries": ["ZA", "NG"],
         "digital_currency": {"name": "Gems", "code": "GEM"},
         "user_info_url": f"{user_info.listener.url}/user-info",
         "bundles": [
             {"id": 101, "sku": "G-100", "name": "100 Gems", "tokens": 100,
              "prices": {"ZA": 9.5, "NG": 800}},
             {"id": 102, "sku": "G-1200", "name": "Mega chest", "tokens": 1200,
              "prices": {"ZA": 299.99, "NG": 25000}},
             {"id": 103, "sku": "G-OLD", "name": "Old Gems", "tokens": 5, "active": False,
              "prices": {"ZA": 1, "NG": 100}}]},
        {"id": UNCHECKED, "name": "Coin Quest", "countries": ["KE"],
         "bundles": [{"id": 201, "sku": "C-1", "name": "50 Credits", "tokens": 50,
                      "prices": {"KE": 1500}}]}]
    settings = settings_from_mapping({"version": 1, "products": products}).with_overrides(
        data=MEMORY, seed=11, user_info_timeout_seconds=2.0)
    with checked_app(settings) as app:
        yield app.test_client()


def text_of(page: str, testid: str) -> list[str]:
    """The text of every element with ``data-testid``, tags removed, unescaped, squeezed."""
    found = re.findall(rf'<(\w+)[^>]*data-testid="{testid}"[^>]*>(.*?)</\1>', page, re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split()) for _, body in found]


def get(shop: FlaskClient, path: str, status: int = 200) -> str:
    answer = shop.get(path)
    assert answer.status_code == status and answer.mimetype == "text/html", path
    return answer.get_data(as_text=True)


def test_the_storefront_shows_product_cards(shop: FlaskClient) -> None:
    page = get(shop, "/shop")
    assert re.findall(r'<a class="product" href="(/shop/\d+)"', page) == ["/shop/10", "/shop/20"]
    assert re.findall(r'<img src="([^"]+)"[^>]*data-testid="product-image"', page) == [
        "/shop/10/image", "/shop/20/image"]
    assert text_of(page, "product-name") == ["Gem Quest", "Coin Quest"]
    # The countries by name (drawn flags, labelled), never a grey list of codes.
    assert re.findall(r'<span title="([^"]+)"><svg class="flag"', page) == [
        "South Africa", "Nigeria", "Kenya"]
    assert "2 bundles" in page  # the inactive one is not on sale


def test_the_product_page_offers_countries_and_previews_prices(shop: FlaskClient) -> None:
    page = get(shop, "/shop/10")
    assert re.findall(r'name="countryCode" value="(\w\w)" data-testid="country-\1"( checked)?',
                      page) == [("ZA", " checked"), ("NG", "")]
    assert text_of(page, "preview-country") == ["South Africa"]
    assert text_of(page, "bundle-label") == ["100 Gems", "Mega chest · 1,200 Gems"]
    assert text_of(page, "bundle-price") == ["ZAR 9.50", "ZAR 299.99"]
    prices = re.findall(r'data-prices="([^"]+)"', page)
    assert json.loads(html.unescape(prices[1])) == {"ZA": "ZAR 299.99", "NG": "NGN 25,000.00"}
    # "Change" on the next page comes back here with the player and the country filled in.
    again = get(shop, "/shop/10?playerId=P%3Cb%3E&countryCode=ng")
    assert 'value="P&lt;b&gt;" data-testid="player-id"' in again
    assert 'value="NG" data-testid="country-NG" checked' in again


def test_a_checked_player_sees_the_verdict_inline_and_tiles(shop: FlaskClient) -> None:
    answer = shop.post("/shop/10/player", data={"playerId": "P-1", "countryCode": "NG"})
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert text_of(page, "verified-player") == ["P-1"]
    assert text_of(page, "player-verdict") == ["✓ Player U-77 found"]
    assert text_of(page, "order-country") == ["Nigeria"]
    assert re.findall(r'href="(/shop/10\?[^"]+)" data-testid="change-player"', page) == [
        "/shop/10?playerId=P-1&amp;countryCode=NG"]
    tiles = re.findall(r'name="bundleId" value="(\d+)"( checked)? data-price="([^"]+)"', page)
    assert tiles == [("101", " checked", "800"), ("102", "", "25000")]
    assert text_of(page, "bundle-price") == ["NGN 800.00", "NGN 25,000.00"]
    assert text_of(page, "bundle-label") == ["100 Gems", "Mega chest · 1,200 Gems"]
    assert 'data-testid="verdict-note"' not in page  # a real verdict needs no developer note


def test_an_unchecked_player_is_marked_with_a_developer_note(shop: FlaskClient) -> None:
    page = shop.post("/shop/20/player", data={"playerId": "P-2", "countryCode": "KE"}
                     ).get_data(as_text=True)
    assert text_of(page, "player-verdict") == ["Not checked (test mode)"]
    assert text_of(page, "verdict-note") == [
        "Coin Quest has no User Info Webhook URL configured, so the player was accepted "
        "without a check."]
    assert text_of(page, "bundle-label") == ["50 Credits"]  # once, not "50 Credits · 50 Credits"


def test_refusals_show_beside_the_player_id(shop: FlaskClient, user_info: UserInfo) -> None:
    user_info.answer = (400, {"errorMessage": "Player is banned"})
    refused = shop.post("/shop/10/player", data={"playerId": "P-3", "countryCode": "ZA"})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert text_of(page, "player-error") == ["Player is banned"]
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="playerId-error playerId-help"' in page
    user_info.answer = (500, {"oops": True})
    fault = shop.post("/shop/10/player", data={"playerId": "P-3", "countryCode": "ZA"})
    assert fault.status_code == 502
    [shown] = text_of(fault.get_data(as_text=True), "player-error")
    assert shown.startswith("We could not check your player ID with Gem Quest just now.")
    assert "Partner fault: the User Info Webhook answered 500" in shown  # the developer's part


def buy(shop: FlaskClient, status: str, quantity: int = 2) -> tuple[str, str]:
    bought = shop.post("/shop/10/buy", data={"playerId": "P-9", "countryCode": "ZA",
                                             "bundleId": "102", "quantity": str(quantity)})
    assert bought.status_code == 303, bought.get_data(as_text=True)
    reference = parse_qs(urlsplit(bought.location).query)["reference"][0]
    if status != "NEW":
        done = shop.post(f"/_mock/payments/{reference}/complete", json={"status": status})
        assert done.status_code == 200, done.get_data(as_text=True)
    return reference, get(shop, f"/shop/receipts/{reference}")


def test_the_receipt(shop: FlaskClient) -> None:
    reference, page = buy(shop, "SUCCESSFUL")
    assert text_of(page, "receipt-headline") == ["Top-up complete"]
    assert text_of(page, "receipt-message") == ["2,400 Gems are on their way to your account."]
    assert text_of(page, "status") == ["SUCCESSFUL"]
    assert text_of(page, "receipt-player") == ["P-9"]
    assert text_of(page, "receipt-bundle") == ["2 × Mega chest"]
    assert text_of(page, "receipt-credited") == ["2,400 Gems"]
    assert text_of(page, "receipt-total") == ["ZAR 599.98"]
    assert text_of(page, "receipt-reference") == [reference]
    assert text_of(page, "receipt-method") == ["Visa / Mastercard"]
    assert re.search(r'<time class="moment" datetime="[^"]+Z" title="[^"]+Z">'
                     r'\d{1,2} \w{3} \d{4}, \d\d:\d\d:\d\d UTC</time>', page)
    assert 'href="/shop/10?playerId=P-9&amp;countryCode=ZA" data-testid="buy-again"' in page
    assert text_of(page, "summary-status")[0].startswith("SKIPPED")  # no Summary URL here


@pytest.mark.parametrize(("status", "headline"), [
    ("FAILED", "Payment failed"), ("CANCELLED", "Payment cancelled"),
    ("NEW", "Waiting for your payment")])
def test_the_receipt_of_an_unpaid_purchase(shop: FlaskClient, status: str,
                                           headline: str) -> None:
    _, page = buy(shop, status)
    assert text_of(page, "receipt-headline") == [headline]
    assert text_of(page, "status") == [status]
    assert text_of(page, "receipt-credited") == ["2,400 Gems"]
    assert "To credit" in page and "Credited" not in page
    assert text_of(page, "summary-status") == ["not sent (payment not successful)"]
    assert ('http-equiv="refresh"' in page) == (status == "NEW")
