"""Partner- and customer-supplied text is escaped on every HTML page (checkout, Shop, legacy
link, their error pages): the raw markup never appears, its escaped form does.

Hostile strings go in everywhere a partner or customer can put text: product titles,
partnerReference and metadata of a payment, a partner's name, the checkout's form fields, the
checkout link's query values and path; a Shop product's, bundle's and digital currency's names
(config ``[[products]]``), the User Info Webhook's ``userId`` and ``errorMessage`` (a real HTTP
listener, ``pay1st_mock.listener``), the player ID, and the legacy payment link's parameters.
Pages are fetched with Flask's test client; every response is also checked by
``tests.conftest``'s response checker (``checked_app``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from werkzeug.test import TestResponse

from pay1st_mock.config import MEMORY, settings_from_mapping
from pay1st_mock.listener import Received, WebhookListener
from tests.conftest import checked_app
from tests.harness import ClientPartner

SCRIPT = "<script>alert(1)</script>"
IMAGE = "<img src=x onerror=alert(2)>"
BREAKOUT = '"><script>alert(3)</script>'  # leaves a value="..." attribute if unescaped
RAW_MARKERS = ("<script", "<img")  # no page of ours contains these tags but its own:
# the script the page carries (with this response's nonce) and the Shop's pictures.
OWN_TAGS = re.compile(r'<script nonce="[\w-]+">|<img src="/shop/\d+(/bundles/\d+)?/image"')
NG_CARD = 2  # NG Visa / Mastercard
SUCCESS_CARD = "4084084084084081"


def page_text(response: TestResponse) -> str:
    assert response.mimetype == "text/html", (response.status_code, response.mimetype)
    return response.get_data(as_text=True)


def assert_no_raw_markup(html: str, *hostile: str) -> None:
    lowered = OWN_TAGS.sub("", html).lower()
    for marker in RAW_MARKERS:
        assert marker not in lowered, f"raw {marker!r} in the page:\n{html}"
    for text in hostile:
        assert text not in html, f"raw {text!r} in the page"


def assert_escaped(html: str, *hostile: str) -> None:
    """No raw markup, and each hostile string present in its escaped form."""
    assert_no_raw_markup(html, *hostile)
    for text in hostile:
        assert str(escape(text)) in html, f"{str(escape(text))!r} not in the page:\n{html}"


def checkout_url(reference: str, token: str, **extra: str) -> str:
    return "/checkout?" + urlencode({"reference": reference, "accessToken": token, **extra})


def token_of(partner: ClientPartner) -> str:
    assert partner.access_token is not None
    return partner.access_token


# -- the hosted checkout ------------------------------------------------------------------------


@pytest.fixture
def partner(client: FlaskClient) -> ClientPartner:
    return ClientPartner(client).login()


def hostile_payment(partner: ClientPartner, **overrides: Any) -> str:
    """A payment whose partner-supplied text is all markup."""
    return partner.create_reference(
        partnerReference=f"ref-{SCRIPT}",
        products=[{"title": SCRIPT, "sku": "S-1", "price": 60, "quantity": 1},
                  {"title": IMAGE, "sku": f"S-2{SCRIPT}", "price": 40, "quantity": 1}],
        metadata=[{"key": f"k{SCRIPT}", "value": IMAGE}, {"key": "customerId", "value": SCRIPT}],
        **overrides)


def test_checkout_pages_escape_the_payments_text(client: FlaskClient,
                                                 partner: ClientPartner) -> None:
    """Product titles show escaped on every step; partnerReference and metadata never raw."""
    reference = hostile_payment(partner)
    token = token_of(partner)

    choose = client.get(checkout_url(reference, token))
    assert choose.status_code == 200
    html = page_text(choose)
    assert_escaped(html, SCRIPT, IMAGE)
    assert_no_raw_markup(html, f"ref-{SCRIPT}", f"k{SCRIPT}", f"S-2{SCRIPT}")

    chosen = client.post("/checkout/choose", data={"reference": reference, "accessToken": token,
                                                   "channelId": str(NG_CARD)})
    assert chosen.status_code == 303
    card = client.get(chosen.headers["Location"])
    assert card.status_code == 200
    assert 'data-testid="card-form"' in page_text(card)
    assert_escaped(page_text(card), SCRIPT, IMAGE)

    paid = client.post("/checkout/submit", data={
        "reference": reference, "accessToken": token, "step": "card", "holder": "Ada",
        "cardNumber": SUCCESS_CARD, "expiry": "12/30", "cvv": "123"})
    assert paid.status_code == 303
    result = client.get(paid.headers["Location"])  # no callback URL: the result page
    assert result.status_code == 200
    html = page_text(result)
    assert 'data-testid="status">SUCCESSFUL' in html
    assert_escaped(html, SCRIPT, IMAGE)
    assert_no_raw_markup(html, f"ref-{SCRIPT}", f"k{SCRIPT}")


def test_partner_reference_reaches_the_callback_url_encoded(client: FlaskClient,
                                                            partner: ClientPartner) -> None:
    reference = hostile_payment(partner, callbackSuccessUrl="http://127.0.0.1:9/paid?shop=1")
    token = token_of(partner)
    client.post("/checkout/choose", data={"reference": reference, "accessToken": token,
                                          "channelId": str(NG_CARD)})
    paid = client.post("/checkout/submit", data={
        "reference": reference, "accessToken": token, "step": "card", "holder": "Ada",
        "cardNumber": SUCCESS_CARD, "expiry": "12/30", "cvv": "123"})
    assert paid.status_code == 303
    location = paid.headers["Location"]
    assert "<" not in location and ">" not in location and " " not in location
    query = parse_qs(urlsplit(location).query)
    assert query["partnerReference"] == [f"ref-{SCRIPT}"]
    assert query["shop"] == ["1"]


def test_partner_name_is_escaped(client: FlaskClient) -> None:
    """A partner's display name (control API) shows on the checkout and result pages."""
    created = client.post("/_mock/partners", json={"code": "HOSTILE", "name": SCRIPT})
    assert created.status_code == 201, created.get_data(as_text=True)
    partner = ClientPartner.from_control(client, created.get_json()).login()
    reference = partner.create_reference()
    html = page_text(client.get(checkout_url(reference, token_of(partner))))
    assert f'data-testid="partner-name">{escape(SCRIPT)}</span>' in html
    assert_escaped(html, SCRIPT)
    completed = client.post(f"/_mock/payments/{reference}/complete", json={"outcome": "cancel"})
    assert completed.status_code == 200, completed.get_data(as_text=True)
    result = client.get("/checkout/result?" + urlencode({"reference": reference,
                                                         "accessToken": token_of(partner)}))
    assert_escaped(page_text(result), SCRIPT)


def test_card_form_echo_is_escaped(client: FlaskClient, partner: ClientPartner) -> None:
    """A refused card form comes back with the customer's input in value="..." attributes."""
    reference = partner.create_reference()
    token = token_of(partner)
    client.post("/checkout/choose", data={"reference": reference, "accessToken": token,
                                          "channelId": str(NG_CARD)})
    refused = client.post("/checkout/submit", data={
        "reference": reference, "accessToken": token, "step": "card", "holder": BREAKOUT,
        "cardNumber": IMAGE, "expiry": BREAKOUT, "cvv": SCRIPT})
    assert refused.status_code == 400
    html = page_text(refused)
    assert 'data-testid="form-error"' in html
    assert f'value="{escape(BREAKOUT)}"' in html
    assert f'value="{escape(IMAGE)}"' in html
    assert_escaped(html, BREAKOUT, IMAGE)
    assert SCRIPT not in html and "alert(1)" not in html  # the CVV is never echoed


@pytest.mark.parametrize(("method", "target", "status", "echoed"), [
    ("GET", "/checkout?reference={hostile}&accessToken={token}", 404, True),
    ("GET", "/checkout/result?reference={hostile}&accessToken={token}", 404, True),
    ("GET", "/checkout?reference={hostile}", 400, False),
    # 401 (unknown token), or 400 when it has spaces (an unescaped '+', the page says)
    ("GET", "/checkout?reference={real}&accessToken={hostile}", (400, 401), False),
    ("GET", "/checkout?reference={real}&accessToken={token}&channelId={hostile}", 400, True),
    ("GET", "/checkout/{hostile}", 404, True),
    ("POST", "/checkout/choose?reference={hostile}&accessToken={token}", 404, True),
    ("POST", "/checkout/submit?reference={hostile}&accessToken={token}", 404, True),
    ("POST", "/checkout/cancel?reference={hostile}&accessToken={token}", 404, True),
])
@pytest.mark.parametrize("hostile", [SCRIPT, IMAGE])
def test_checkout_error_pages_escape_the_link(client: FlaskClient, partner: ClientPartner,
                                              method: str, target: str,
                                              status: int | tuple[int, ...], echoed: bool,
                                              hostile: str) -> None:
    """A hostile query value (or path) in a checkout link: an error page, escaped.

    POST targets send the values as form fields (``?...`` is turned into the form)."""
    real = partner.create_reference()
    values = {"hostile": quote(hostile, safe=""), "token": quote(token_of(partner), safe=""),
              "real": real}
    url = target.format(**values)
    if method == "POST":
        path, _, query = url.partition("?")
        form = {name: items[0] for name, items in parse_qs(query).items()}
        response = client.post(path, data=form)
    else:
        response = client.get(url)
    allowed = status if isinstance(status, tuple) else (status,)
    assert response.status_code in allowed, response.get_data(as_text=True)
    html = page_text(response)
    assert 'data-testid="error-message"' in html
    if echoed:
        assert_escaped(html, hostile)
    else:
        assert_no_raw_markup(html, hostile)


# -- the Carry1st Shop storefront and the legacy link -------------------------------------------

PRODUCT = 10
BUNDLE, OTHER_BUNDLE = 101, 102
PRODUCT_NAME = f"Quest {SCRIPT}"
BUNDLE_NAME = f"Gems {IMAGE}"
CURRENCY_NAME = "<b>Gems</b>"


class Partner:
    """The listener's answers: the User Info Webhook (``/user-info``) from ``user_info``."""

    def __init__(self, listener: WebhookListener) -> None:
        self.user_info: tuple[int, Any] = (200, {"userId": "U-1"})
        listener.answer_with(self._answer)

    def _answer(self, received: Received) -> tuple[int, bytes]:
        if received.path == "/user-info":
            status, body = self.user_info
            return status, json.dumps(body).encode()
        return 200, b"ok"


@pytest.fixture
def listener() -> Iterator[WebhookListener]:
    backend = WebhookListener().start()
    yield backend
    backend.stop()


@pytest.fixture
def shop_partner(listener: WebhookListener) -> Partner:
    return Partner(listener)


@pytest.fixture
def shop_app(listener: WebhookListener, shop_partner: Partner) -> Iterator[Flask]:
    product = {
        "id": PRODUCT, "partner_id": 1, "name": PRODUCT_NAME, "countries": ["NG", "ZA"],
        "digital_currency": {"name": CURRENCY_NAME, "code": "GEM"},
        "basic_auth": {"username": "quest", "password": "s3cret"},
        "user_info_url": f"{listener.url}/user-info",
        "bundles": [
            {"id": BUNDLE, "sku": "GEM-1", "name": BUNDLE_NAME, "tokens": 100,
             "prices": {"NG": 1500, "ZA": 20}},
            {"id": OTHER_BUNDLE, "sku": "GEM-2", "name": SCRIPT, "tokens": 5,
             "prices": {"NG": 100, "ZA": 2}},
        ]}
    settings = settings_from_mapping({"version": 1, "products": [product]}).with_overrides(
        data=MEMORY, seed=7, user_info_timeout_seconds=2.0)
    with checked_app(settings) as app:
        yield app


@pytest.fixture
def shop(shop_app: Flask) -> FlaskClient:
    return shop_app.test_client()


def test_storefront_escapes_product_names(shop: FlaskClient) -> None:
    listing = page_text(shop.get("/shop"))
    assert f'data-testid="product-{PRODUCT}"' in listing
    assert_escaped(listing, PRODUCT_NAME, CURRENCY_NAME)
    product = shop.get(f"/shop/{PRODUCT}")
    assert product.status_code == 200
    assert_escaped(page_text(product), PRODUCT_NAME)


def test_refusing_partners_error_message_is_escaped(shop: FlaskClient,
                                                    shop_partner: Partner) -> None:
    """A User Info Webhook answering 400 ``{errorMessage}``: shown to the customer, escaped."""
    message = f"Player banned {SCRIPT} {IMAGE}"
    shop_partner.user_info = (400, {"errorMessage": message})
    refused = shop.post(f"/shop/{PRODUCT}/player", data={"playerId": BREAKOUT,
                                                         "countryCode": "NG"})
    assert refused.status_code == 400
    html = page_text(refused)
    assert f'data-testid="player-error">{escape(message)}</p>' in html
    assert f'value="{escape(BREAKOUT)}"' in html
    assert_escaped(html, message, BREAKOUT, PRODUCT_NAME)


def test_accepted_players_user_id_and_bundle_names_are_escaped(shop: FlaskClient,
                                                              shop_partner: Partner) -> None:
    user_id = f"U-{SCRIPT}"
    shop_partner.user_info = (200, {"userId": user_id})
    bundles = shop.post(f"/shop/{PRODUCT}/player", data={"playerId": BREAKOUT,
                                                         "countryCode": "NG"})
    assert bundles.status_code == 200
    html = page_text(bundles)
    assert f"<strong>{escape(user_id)}</strong>" in html
    assert 'name="playerId" value="' + str(escape(BREAKOUT)) + '"' in html
    assert_escaped(html, user_id, BUNDLE_NAME, PRODUCT_NAME, CURRENCY_NAME, BREAKOUT)


def test_receipt_escapes_every_name(shop: FlaskClient, shop_partner: Partner) -> None:
    shop_partner.user_info = (200, {"userId": "U-1"})
    bought = shop.post(f"/shop/{PRODUCT}/buy", data={
        "playerId": BREAKOUT, "countryCode": "NG", "bundleId": str(BUNDLE), "quantity": "1"})
    assert bought.status_code == 303, bought.get_data(as_text=True)
    reference = parse_qs(urlsplit(bought.headers["Location"]).query)["reference"][0]
    completed = shop.post(f"/_mock/payments/{reference}/complete", json={"status": "SUCCESSFUL"})
    assert completed.status_code == 200, completed.get_data(as_text=True)
    receipt = shop.get(f"/shop/receipts/{reference}")
    assert receipt.status_code == 200
    html = page_text(receipt)
    assert 'data-testid="receipt-player">' + str(escape(BREAKOUT)) in html
    assert_escaped(html, PRODUCT_NAME, BUNDLE_NAME, CURRENCY_NAME, BREAKOUT)


@pytest.mark.parametrize(("method", "target", "form", "status", "shown"), [
    # platform is upper-cased before it is echoed
    ("GET", "/payment?productBundleId={bundle}&countryCode=NG&username=p&platform={hostile}",
     None, 400, str.upper),
    ("GET", "/payment?productBundleId={bundle}&countryCode=NG&username=p&quantity={hostile}",
     None, 400, str),
    ("GET", "/payment?productBundleId={hostile}&countryCode=NG&username=p", None, 400, str),
    ("POST", "/shop/{product}/buy", {"playerId": "p", "countryCode": "NG",
                                     "bundleId": "{hostile}"}, 400, str),
    ("POST", "/shop/{product}/buy", {"playerId": "p", "countryCode": "NG",
                                     "bundleId": "{bundle}", "quantity": "{hostile}"}, 400, str),
])
@pytest.mark.parametrize("hostile", [SCRIPT, IMAGE])
def test_shop_error_pages_escape_what_they_echo(shop: FlaskClient, method: str, target: str,
                                                form: dict[str, str] | None, status: int,
                                                shown: Any, hostile: str) -> None:
    values = {"hostile": hostile, "bundle": str(BUNDLE), "product": str(PRODUCT)}
    url = target.format(**{**values, "hostile": quote(hostile, safe="")})
    if method == "POST":
        response = shop.post(url, data={k: v.format(**values) for k, v in (form or {}).items()})
    else:
        response = shop.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    html = page_text(response)
    assert 'data-testid="error-message"' in html
    assert_escaped(html, shown(hostile))
    assert_no_raw_markup(html, hostile)


@pytest.mark.parametrize("hostile", [IMAGE, "<script>alert(5)<script>"])  # no '/': one segment
def test_unknown_receipt_page_escapes_the_reference(shop: FlaskClient, hostile: str) -> None:
    response = shop.get(f"/shop/receipts/{quote(hostile, safe='')}")
    assert response.status_code == 404, response.get_data(as_text=True)
    assert_escaped(page_text(response), hostile)


def test_legacy_link_shows_the_refusal_escaped(shop: FlaskClient, shop_partner: Partner) -> None:
    """The legacy payment link with a refused player: the partner's message on an error page."""
    message = f"No such player {SCRIPT}"
    shop_partner.user_info = (400, {"errorMessage": message})
    response = shop.get("/payment?" + urlencode({
        "productBundleId": BUNDLE, "countryCode": "NG", "username": BREAKOUT}))
    assert response.status_code == 400, response.get_data(as_text=True)
    assert_escaped(page_text(response), message)


def test_prefilled_player_and_the_links_back_are_escaped(shop: FlaskClient,
                                                        shop_partner: Partner) -> None:
    """The player ID comes back in the product page's field (its "Change" link), in the
    "Change" and "Buy again" links and in the pictures' alt text: escaped everywhere."""
    prefilled = page_text(shop.get(f"/shop/{PRODUCT}?" + urlencode(
        {"playerId": BREAKOUT, "countryCode": "ng"})))
    assert f'value="{escape(BREAKOUT)}" data-testid="player-id"' in prefilled
    assert f'alt="{escape(PRODUCT_NAME)}"' in prefilled
    assert_escaped(prefilled, BREAKOUT, PRODUCT_NAME, CURRENCY_NAME)
    checked = page_text(shop.post(f"/shop/{PRODUCT}/player", data={
        "playerId": BREAKOUT, "countryCode": "NG"}))
    change = re.search(r'href="([^"]*)" data-testid="change-player"', checked)
    assert change is not None and "%22%3E%3Cscript%3E" in change.group(1)
    assert_no_raw_markup(checked, BREAKOUT)
    bought = shop.post(f"/shop/{PRODUCT}/buy", data={
        "playerId": BREAKOUT, "countryCode": "NG", "bundleId": str(BUNDLE), "quantity": "1"})
    reference = parse_qs(urlsplit(bought.headers["Location"]).query)["reference"][0]
    receipt = page_text(shop.get(f"/shop/receipts/{reference}"))
    again = re.search(r'href="([^"]*)" data-testid="buy-again"', receipt)
    assert again is not None and "%22%3E%3Cscript%3E" in again.group(1)
    assert_escaped(receipt, PRODUCT_NAME, BREAKOUT)
