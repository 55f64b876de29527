"""The hosted checkout in a real browser (Debian's Chromium driven by Playwright).

Every test goes the way a customer does: open the checkout link, pick a method, type the test
values of ``outcome_table`` and submit. Each one then checks the three things a partner sees:
the payment's final status (control API), where the browser ended (the partner's callback URL,
served by a ``WebhookListener``) and the signed Payment Webhook Event the partner's backend
received.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from pay1st_mock import verify_request
from pay1st_mock.domain import outcome_table as table
from pay1st_mock.listener import WebhookListener
from tests.support import SANDBOX, GatewayClient

SIGNING_KEY = SANDBOX["signing_key"]
CARD_CHANNEL = 2  # NG Visa / Mastercard
PALMPAY_CHANNEL = 58  # NG Palmpay, flow phone_otp
VOUCHER_CHANNEL = 103  # ZA 1ForYou voucher
CALLBACK_KINDS = ("success", "failure", "pending", "cancel")
# The partner's own query on its callback URLs: the redirect must keep it.
SHOP_QUERY = "shop=demo"
ZA_PRODUCTS = [{"title": "50 Gems", "sku": "gems-50", "price": 250, "quantity": 1,
                "currencyCode": "ZAR"}]


# -- the partner's side -------------------------------------------------------------------------


def create_payment(partner: GatewayClient, listener: WebhookListener, *, callbacks: bool = True,
                   **overrides: Any) -> dict[str, Any]:
    """Create a payment whose webhook (and, unless told not to, callbacks) go to ``listener``."""
    urls: dict[str, str] = {"webhookUrl": f"{listener.url}/webhook"}
    if callbacks:
        urls.update({f"callback{kind.title()}Url": f"{listener.url}/{kind}?{SHOP_QUERY}"
                     for kind in CALLBACK_KINDS})
    response = partner.create(**urls, **overrides)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def checkout_link(live_url: str, reference: str, token: str, channel_id: int | None = None,
                  *, escape: bool = True) -> str:
    """The link a partner sends its customer to; ``escape=False`` is the classic mistake."""
    link = (f"{live_url}/checkout?reference={reference}"
            f"&accessToken={quote(token, safe='') if escape else token}")
    return link if channel_id is None else f"{link}&channelId={channel_id}"


def open_checkout(page: Page, live_url: str, partner: GatewayClient, created: dict[str, Any],
                  channel_id: int | None = None) -> None:
    assert partner.access_token is not None
    response = page.goto(checkout_link(live_url, created["reference"], partner.access_token,
                                       channel_id))
    assert response is not None and response.status == 200


def control_payment(live_url: str, reference: str) -> dict[str, Any]:
    response = requests.get(f"{live_url}/_mock/payments/{reference}", timeout=10)
    assert response.status_code == 200, response.text
    payment: dict[str, Any] = response.json()
    return payment


def outbox(live_url: str, reference: str) -> list[dict[str, Any]]:
    """Every webhook the emulator queued for ``reference``, oldest first."""
    response = requests.get(f"{live_url}/_mock/deliveries", params={"reference": reference},
                            timeout=10)
    assert response.status_code == 200, response.text
    return sorted(response.json()["deliveries"], key=lambda delivery: delivery["id"])


def statuses(payment: dict[str, Any]) -> list[str]:
    return [entry["status"] for entry in payment["history"]]


def signed_webhooks(listener: WebhookListener, count: int) -> list[dict[str, Any]]:
    """Wait for ``count`` webhooks; check each is a POST signed with the partner's key."""
    received = listener.wait_for(count, path="/webhook")
    assert len(received) == count, f"expected {count} webhook(s), got {len(received)}"
    events = []
    for request in received:
        headers = {name.lower(): value for name, value in request.headers.items()}
        assert request.method == "POST"
        assert verify_request(SIGNING_KEY, headers["x-timestamp"], request.body,
                              headers["x-signature"]), f"bad webhook signature: {headers}"
        events.append(json.loads(request.body))
    return events


def assert_webhooks(listener: WebhookListener, created: dict[str, Any], *expected: str) -> None:
    """The partner got exactly these statuses, in this order, each about this payment."""
    events = signed_webhooks(listener, len(expected))
    assert [event["status"] for event in events] == list(expected)
    for event in events:
        assert event["reference"] == created["reference"]
        assert event["partnerReference"] == created["partnerReference"]
        assert event["partnerCode"] == "SANDBOX"


def assert_returned_to(page: Page, listener: WebhookListener, kind: str, created: dict[str, Any],
                       status: str) -> None:
    """The browser ended on the partner's ``kind`` callback with the result appended."""
    expect(page).to_have_url(re.compile("^" + re.escape(f"{listener.url}/{kind}?")))
    assert parse_qs(urlsplit(page.url).query, strict_parsing=True) == {
        "shop": ["demo"], "reference": [created["reference"]],
        "partnerReference": [created["partnerReference"]], "status": [status]}
    visit = listener.wait_for(1, path=f"/{kind}")[0]
    assert visit.method == "GET"
    expect(page.locator("body")).to_have_text("ok")  # what the partner's page answered


def assert_untouched(live_url: str, reference: str) -> None:
    """Still NEW, never moved, no webhook queued."""
    payment = control_payment(live_url, reference)
    assert (payment["status"], statuses(payment)) == ("NEW", ["NEW"])
    assert outbox(live_url, reference) == []


# -- the customer's side ------------------------------------------------------------------------


def fill_card(page: Page, number: str, expiry: str = "12/30", cvv: str = "123") -> None:
    """Type a card into the card form, finding each field by its visible label."""
    page.get_by_label("Name on card").fill("Ada Obi")
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry (MM/YY)").fill(expiry)
    page.get_by_label("Security code").fill(cvv)


def pay_by_card(page: Page, number: str) -> None:
    expect(page.get_by_test_id("card-form")).to_be_visible()
    fill_card(page, number)
    page.get_by_test_id("pay").click()


# -- tests --------------------------------------------------------------------------------------


def test_card_success_returns_to_success_url(live_url: str, partner: GatewayClient,
                                             listener: WebhookListener, page: Page,
                                             artifacts: Path) -> None:
    created = create_payment(partner, listener)
    open_checkout(page, live_url, partner, created)

    expect(page.get_by_role("heading", name="Choose how to pay")).to_be_visible()
    expect(page.get_by_test_id("amount")).to_have_text("NGN 100.00")
    expect(page.get_by_test_id("reference")).to_have_text(created["reference"])
    expect(page.get_by_test_id("products")).to_contain_text("1 × 10 Credits")
    page.get_by_test_id(f"channel-{CARD_CHANNEL}").click()

    expect(page.get_by_role("heading", name="Pay with Visa / Mastercard")).to_be_visible()
    expect(page.get_by_test_id("test-values")).to_contain_text(table.SUCCESS_CARD)
    fill_card(page, table.SUCCESS_CARD)
    page.screenshot(path=str(artifacts / "checkout-card.png"), full_page=True)
    expect(page.get_by_test_id("pay")).to_have_text("Pay NGN 100.00")
    page.get_by_test_id("pay").click()

    assert_returned_to(page, listener, "success", created, "SUCCESSFUL")
    payment = control_payment(live_url, created["reference"])
    assert (payment["status"], payment["channelId"]) == ("SUCCESSFUL", CARD_CHANNEL)
    assert statuses(payment) == ["NEW", "SUCCESSFUL"]
    assert_webhooks(listener, created, "SUCCESSFUL")


def test_declined_card_returns_to_failure_url(live_url: str, partner: GatewayClient,
                                              listener: WebhookListener, page: Page) -> None:
    created = create_payment(partner, listener)
    open_checkout(page, live_url, partner, created, CARD_CHANNEL)
    pay_by_card(page, table.DECLINED_CARD)

    assert_returned_to(page, listener, "failure", created, "FAILED")
    payment = control_payment(live_url, created["reference"])
    assert payment["status"] == "FAILED"
    assert payment["stepData"]["reason"] == "The card was declined by its issuer."
    assert_webhooks(listener, created, "FAILED")


def test_cancel_returns_to_cancel_url(live_url: str, partner: GatewayClient,
                                      listener: WebhookListener, page: Page) -> None:
    created = create_payment(partner, listener)
    open_checkout(page, live_url, partner, created)
    page.get_by_role("button", name="Cancel payment").click()

    assert_returned_to(page, listener, "cancel", created, "CANCELLED")
    assert control_payment(live_url, created["reference"])["status"] == "CANCELLED"
    assert_webhooks(listener, created, "CANCELLED")


def test_mobile_money_with_otp(live_url: str, partner: GatewayClient, listener: WebhookListener,
                               page: Page) -> None:
    created = create_payment(partner, listener)
    open_checkout(page, live_url, partner, created, PALMPAY_CHANNEL)  # straight to the method

    page.get_by_label("Phone number of your Palmpay account").fill(table.ANSWERING_PHONE)
    page.get_by_test_id("pay").click()
    expect(page.get_by_role("heading", name="Enter your one-time password (OTP)")).to_be_visible()
    expect(page.get_by_text("We sent a code to")).to_contain_text("678")  # the masked phone
    page.get_by_label("one-time password (OTP)").fill(table.GOOD_CODE)
    page.get_by_test_id("pay").click()

    assert_returned_to(page, listener, "success", created, "SUCCESSFUL")
    payment = control_payment(live_url, created["reference"])
    assert (payment["status"], payment["channelName"]) == ("SUCCESSFUL", "Palmpay")
    assert_webhooks(listener, created, "SUCCESSFUL")


def test_offline_voucher_pending_then_paid(live_url: str, partner: GatewayClient,
                                           listener: WebhookListener, page: Page) -> None:
    created = create_payment(partner, listener, countryCode="ZA", currencyCode="ZAR",
                             amount=250, products=ZA_PRODUCTS)
    open_checkout(page, live_url, partner, created)
    page.get_by_test_id(f"channel-{VOUCHER_CHANNEL}").click()

    expect(page.get_by_role("heading", name="Pay at a shop with 1ForYou voucher")).to_be_visible()
    expect(page.get_by_test_id("voucher-number")).to_have_text(re.compile(r"^\s*\d{12}\s*$"))
    voucher = page.get_by_test_id("voucher-number").inner_text().strip()
    payment = control_payment(live_url, created["reference"])
    assert (payment["status"], payment["stepData"]) == ("PENDING", {"voucherNumber": voucher})
    assert_webhooks(listener, created, "PENDING")
    expect(page.get_by_test_id("cancel")).to_have_count(0)  # a PENDING payment can't be cancelled

    page.get_by_test_id("leave").click()
    assert_returned_to(page, listener, "pending", created, "PENDING")

    paid = requests.post(f"{live_url}/_mock/payments/{created['reference']}/complete",
                         json={"outcome": "success"}, timeout=10)
    assert paid.status_code == 200, paid.text
    payment = control_payment(live_url, created["reference"])
    assert statuses(payment) == ["NEW", "PENDING", "SUCCESSFUL"]
    assert_webhooks(listener, created, "PENDING", "SUCCESSFUL")


def test_card_with_wrong_otp_fails(live_url: str, partner: GatewayClient, listener: WebhookListener,
                                   page: Page) -> None:
    created = create_payment(partner, listener)
    open_checkout(page, live_url, partner, created, CARD_CHANNEL)
    pay_by_card(page, table.OTP_CARD)

    expect(page.get_by_role("heading", name="Enter your one-time password (OTP)")).to_be_visible()
    expect(page.get_by_text("We sent a code to")).to_contain_text("card •••• 3220")
    assert control_payment(live_url, created["reference"])["step"] == "otp"
    page.get_by_label("one-time password (OTP)").fill(table.WRONG_CODE)
    page.get_by_test_id("pay").click()

    assert_returned_to(page, listener, "failure", created, "FAILED")
    payment = control_payment(live_url, created["reference"])
    assert (payment["status"], payment["stepData"]["reason"]) == ("FAILED", "The OTP was wrong.")
    assert_webhooks(listener, created, "FAILED")


def test_invalid_card_number_shows_form_error_and_changes_nothing(
        live_url: str, partner: GatewayClient, listener: WebhookListener, page: Page) -> None:
    created = create_payment(partner, listener)
    open_checkout(page, live_url, partner, created, CARD_CHANNEL)
    pay_by_card(page, "1234")

    error = page.get_by_test_id("form-error")
    expect(error).to_contain_text("Enter a valid card number")
    expect(error).to_contain_text(table.SUCCESS_CARD)  # says what would work
    expect(page.get_by_role("alert")).to_have_text(error.inner_text())  # announced to readers
    expect(page.get_by_label("Card number")).to_have_value("1234")  # typed input is kept
    assert_untouched(live_url, created["reference"])
    assert control_payment(live_url, created["reference"])["step"] == "card"

    # The same page still works: correct the number and pay.
    pay_by_card(page, table.SUCCESS_CARD)
    assert_returned_to(page, listener, "success", created, "SUCCESSFUL")
    assert statuses(control_payment(live_url, created["reference"])) == ["NEW", "SUCCESSFUL"]
    assert_webhooks(listener, created, "SUCCESSFUL")


class HeldSubmits:
    """Holds ``POST /checkout/submit`` in the server until two have arrived, then lets them run.

    With the first request held, a second click on Pay starts a second real request (the
    browser abandons the first navigation, the server does not): a customer double-clicking on
    a slow connection. ``together=False`` runs the first to the end before the second (the usual
    case: the page the customer then sees is the answer to a submit that came too late);
    ``together=True`` releases both at once. Gives up waiting after ``timeout`` seconds.
    """

    def __init__(self, app: Flask, *, together: bool, timeout: float = 5.0) -> None:
        self.arrived = self.finished = 0
        self._timeout = timeout
        self._condition = threading.Condition()
        inner = app.wsgi_app

        def held(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if (environ["REQUEST_METHOD"], environ["PATH_INFO"]) != ("POST", "/checkout/submit"):
                return inner(environ, start_response)
            with self._condition:
                self.arrived += 1
                position = self.arrived
                self._condition.notify_all()
                self._condition.wait_for(lambda: self.arrived >= 2, timeout)
                if not together and position == 2:
                    self._condition.wait_for(lambda: self.finished >= 1, timeout)
            try:
                return inner(environ, start_response)  # the view has run when this returns
            finally:
                with self._condition:
                    self.finished += 1
                    self._condition.notify_all()

        app.wsgi_app = held  # type: ignore[method-assign]

    def wait_for_arrivals(self, count: int) -> None:
        with self._condition:
            assert self._condition.wait_for(lambda: self.arrived >= count, self._timeout), (
                f"expected {count} submit(s) at the server; got {self.arrived}")


@pytest.mark.parametrize("together", [False, True], ids=["one-after-the-other", "at-once"])
def test_double_submit_pays_once(together: bool, app: Flask, live_url: str,
                                 partner: GatewayClient, listener: WebhookListener,
                                 page: Page) -> None:
    created = create_payment(partner, listener)
    open_checkout(page, live_url, partner, created, CARD_CHANNEL)
    fill_card(page, table.SUCCESS_CARD)
    held = HeldSubmits(app, together=together)
    box = page.get_by_test_id("pay").bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    page.mouse.click(x, y)  # mouse clicks never wait for the navigation they start
    held.wait_for_arrivals(1)
    page.mouse.click(x, y)
    held.wait_for_arrivals(2)

    assert_returned_to(page, listener, "success", created, "SUCCESSFUL")
    payment = control_payment(live_url, created["reference"])
    assert statuses(payment) == ["NEW", "SUCCESSFUL"]
    assert [d["event"] for d in outbox(live_url, created["reference"])] == ["SUCCESSFUL"]
    assert_webhooks(listener, created, "SUCCESSFUL")


def _plus_token(partner: GatewayClient) -> str:
    """An access token holding a '+', the character an unescaped link turns into a space."""
    for _ in range(50):
        assert partner.access_token is not None
        if "+" in partner.access_token:
            return partner.access_token
        partner.login()
    raise AssertionError("no access token with a '+' in 50 logins")


@pytest.mark.parametrize("problem", ["not-escaped", "unknown", "expired", "other-partner"])
def test_bad_link_shows_error_page(problem: str, live_url: str, partner: GatewayClient,
                                   listener: WebhookListener, page: Page) -> None:
    created = create_payment(partner, listener)
    reference = created["reference"]
    token = _plus_token(partner)
    link = checkout_link(live_url, reference, token)
    if problem == "not-escaped":
        link = checkout_link(live_url, reference, token, escape=False)
        expected = (400, "Access token not URL-escaped", "not URL-escaped, so it arrived as a "
                                                         "space")
    elif problem == "unknown":
        link = checkout_link(live_url, reference, token[::-1])
        expected = (401, "Access token not accepted", "not one this emulator issued")
    elif problem == "expired":
        advanced = requests.post(f"{live_url}/_mock/clock/advance", json={"seconds": 3601},
                                 timeout=10)
        assert advanced.status_code == 200, advanced.text
        expected = (401, "Access token expired", "The access token expired at")
    else:
        made = requests.post(f"{live_url}/_mock/partners", json={"code": "OTHER"}, timeout=10)
        assert made.status_code == 201, made.text
        other = made.json()
        stranger = GatewayClient(live_url, other["apiKey"], other["apiSecret"],
                                 other["signingKey"])
        stranger.login()
        assert stranger.access_token is not None
        link = checkout_link(live_url, reference, stranger.access_token)
        # Answered as an unknown reference: the link must not say that the payment exists.
        expected = (404, "Unknown payment", "Partner OTHER has no payment with reference")
    status, title, message = expected

    response = page.goto(link)

    assert response is not None and response.status == status
    expect(page).to_have_title(re.compile("^" + re.escape(title)))
    expect(page.get_by_test_id("error-title")).to_have_text(title)
    expect(page.get_by_test_id("error-message")).to_contain_text(message)
    expect(page.get_by_test_id("order-summary")).to_have_count(0)  # nothing of the payment
    expect(page.get_by_test_id("cancel")).to_have_count(0)
    assert page.url == link
    if problem == "expired":
        # An hour later the payment was also left NEW past the 30 min limit.
        assert_webhooks(listener, created, "ABANDONED")
        assert control_payment(live_url, reference)["status"] == "ABANDONED"
    else:
        assert_untouched(live_url, reference)


def test_without_callback_urls_shows_result_page(live_url: str, partner: GatewayClient,
                                                 listener: WebhookListener, page: Page) -> None:
    created = create_payment(partner, listener, callbacks=False)
    open_checkout(page, live_url, partner, created, CARD_CHANNEL)
    pay_by_card(page, table.SUCCESS_CARD)

    expect(page).to_have_url(re.compile(re.escape(f"{live_url}/checkout/result?")))
    assert parse_qs(urlsplit(page.url).query)["reference"] == [created["reference"]]
    expect(page.get_by_test_id("status")).to_have_text("SUCCESSFUL")
    expect(page.get_by_role("heading", name="Payment successful")).to_be_visible()
    expect(page).to_have_title(re.compile("^Payment successful"))
    assert control_payment(live_url, created["reference"])["status"] == "SUCCESSFUL"
    assert_webhooks(listener, created, "SUCCESSFUL")
    assert not [r for r in listener.requests if r.path != "/webhook"]  # no callback visited


@pytest.mark.context(java_script_enabled=False)
def test_checkout_works_without_javascript(live_url: str, partner: GatewayClient,
                                           listener: WebhookListener, page: Page) -> None:
    created = create_payment(partner, listener)
    open_checkout(page, live_url, partner, created)
    page.get_by_test_id(f"channel-{CARD_CHANNEL}").click()
    pay_by_card(page, table.SUCCESS_CARD)

    assert_returned_to(page, listener, "success", created, "SUCCESSFUL")
    assert control_payment(live_url, created["reference"])["status"] == "SUCCESSFUL"
    assert_webhooks(listener, created, "SUCCESSFUL")


# -- the checkout's finish (issue 19, point 2) --------------------------------------------------


def test_card_fields_are_formatted_as_typed(live_url: str, partner: GatewayClient,
                                            listener: WebhookListener, page: Page) -> None:
    created = create_payment(partner, listener)
    open_checkout(page, live_url, partner, created, CARD_CHANNEL)
    number, brand = page.get_by_label("Card number"), page.get_by_test_id("card-brand")
    expiry, cvv = page.get_by_label("Expiry (MM/YY)"), page.get_by_label("Security code")
    expect(brand).to_have_attribute("data-brand", "")
    for typed, shown, name in [("5555555555554444", "5555 5555 5555 4444", "mastercard"),
                               ("378282246310005", "3782 822463 10005", "amex"),
                               ("5060990580000217499", "5060 9905 8000 0217 499", "verve"),
                               (table.SUCCESS_CARD, "4084 0840 8408 4081", "visa")]:
        number.fill("")
        number.press_sequentially(typed)
        expect(number).to_have_value(shown)
        expect(brand).to_have_attribute("data-brand", name)
        expect(brand.locator(f"svg.b-{name}")).to_be_visible()
        expect(brand.locator("svg.b-card")).to_be_hidden()
    # Deleting the space before a group takes the digit before it along.
    number.evaluate("field => field.setSelectionRange(5, 5)")
    number.press("Backspace")
    expect(number).to_have_value("4080 8408 4084 081")
    number.fill("")
    number.press_sequentially(table.SUCCESS_CARD)
    expiry.press_sequentially("4")
    expect(expiry).to_have_value("04 / ")
    expiry.press_sequentially("29")
    expect(expiry).to_have_value("04 / 29")
    expiry.press("Backspace")
    expiry.press("Backspace")
    expect(expiry).to_have_value("04")
    expiry.fill("")
    expiry.press_sequentially("1230")
    expect(expiry).to_have_value("12 / 30")
    cvv.press_sequentially("1a2b3c4")
    expect(cvv).to_have_value("123")  # a Visa card's code has three digits
    page.get_by_test_id("pay").click()

    assert_returned_to(page, listener, "success", created, "SUCCESSFUL")
    assert_webhooks(listener, created, "SUCCESSFUL")


def test_every_card_error_shows_at_once(live_url: str, partner: GatewayClient,
                                        listener: WebhookListener, page: Page) -> None:
    created = create_payment(partner, listener)
    open_checkout(page, live_url, partner, created, CARD_CHANNEL)
    page.get_by_label("Card number").press_sequentially("4084084084084082")  # fails Luhn
    page.get_by_label("Expiry (MM/YY)").press_sequentially("13")
    page.get_by_test_id("pay").click()  # no CVV at all: the browser does not stop it

    expect(page.get_by_test_id("form-error")).to_contain_text("Check 3 fields")
    for field, message in [("cardNumber", "Enter a valid card number (12 to 19 digits)."),
                           ("expiry", "Enter the expiry as MM/YY, e.g. 12/30."),
                           ("cvv", "Enter the 3 or 4 digit security code.")]:
        expect(page.get_by_test_id(f"field-error-{field}")).to_have_text(message)
        expect(page.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Card number")).to_have_value("4084 0840 8408 4082")
    expect(page.get_by_test_id("form-hint")).to_contain_text(table.SUCCESS_CARD)
    assert_untouched(live_url, created["reference"])

    page.get_by_label("Card number").fill(table.SUCCESS_CARD)
    page.get_by_label("Expiry (MM/YY)").fill("12/30")
    page.get_by_label("Security code").fill("123")
    page.get_by_test_id("pay").click()
    assert_returned_to(page, listener, "success", created, "SUCCESSFUL")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_change_method_then_pay_another_way(javascript: bool, browser: Browser, live_url: str,
                                            partner: GatewayClient,
                                            listener: WebhookListener) -> None:
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    try:
        created = create_payment(partner, listener)
        open_checkout(page, live_url, partner, created, CARD_CHANNEL)
        page.get_by_test_id("change-method").click()
        expect(page.get_by_role("heading", name="Choose how to pay")).to_be_visible()
        expect(page.get_by_test_id("channel-2").get_by_role("img")).to_have_count(2)
        page.get_by_test_id(f"channel-{PALMPAY_CHANNEL}").click()
        page.get_by_label("Phone number of your Palmpay account").fill(table.ANSWERING_PHONE)
        page.get_by_test_id("pay").click()
        page.get_by_label("one-time password (OTP)").fill(table.GOOD_CODE)
        page.get_by_test_id("pay").click()
        assert_returned_to(page, listener, "success", created, "SUCCESSFUL")
        payment = control_payment(live_url, created["reference"])
        assert (payment["channelName"], statuses(payment)) == ("Palmpay", ["NEW", "SUCCESSFUL"])
    finally:
        context.close()


@pytest.mark.context(java_script_enabled=False)
def test_a_card_typed_with_spaces_pays_without_javascript(
        live_url: str, partner: GatewayClient, listener: WebhookListener, page: Page) -> None:
    created = create_payment(partner, listener)
    open_checkout(page, live_url, partner, created, CARD_CHANNEL)
    fill_card(page, "4084 0840 8408 4081", expiry="12 / 30")
    page.get_by_test_id("pay").click()
    assert_returned_to(page, listener, "success", created, "SUCCESSFUL")


def test_a_failed_payment_page_says_so(live_url: str, partner: GatewayClient,
                                       listener: WebhookListener, page: Page) -> None:
    created = create_payment(partner, listener, callbacks=False)
    open_checkout(page, live_url, partner, created, CARD_CHANNEL)
    pay_by_card(page, table.DECLINED_CARD)

    expect(page.get_by_role("heading", name="Payment failed")).to_be_visible()
    expect(page.locator("svg.icon")).to_be_visible()
    expect(page.get_by_test_id("reason")).to_have_text("The card was declined by its issuer.")
    expect(page.get_by_test_id("method")).to_have_text("Visa / Mastercard")
    expect(page.get_by_text("Paid with")).to_have_count(0)
    expect(page.get_by_test_id("callback-hint")).to_contain_text("callbackFailureUrl")
    expect(page.get_by_test_id("callback-hint")).not_to_contain_text("callbackSuccessUrl")
    expect(page).to_have_title(re.compile("^Payment failed"))
