"""The hosted checkout's pages as a customer reads them (Flask's test client): drawn method and
card-brand marks, every field's error at once, "Change method", outcome pages with a headline
instead of a bare status, texts that fit the outcome, developer hints apart from the customer's
part (issue 19, point 2). The same flows in a real browser: tests/browser/test_checkout.py."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from pay1st_mock.domain import outcome_table as table
from pay1st_mock.web.display import CARD_BRANDS
from tests.harness import ClientPartner

NG_CARD, NG_PALMPAY, MA_CARD = 2, 58, 401


@pytest.fixture
def partner(client: FlaskClient) -> ClientPartner:
    return ClientPartner(client).login()


def token(partner: ClientPartner) -> str:
    assert partner.access_token is not None
    return partner.access_token


def link(partner: ClientPartner, reference: str, **extra: str) -> str:
    return "/checkout?" + urlencode({"reference": reference, "accessToken": token(partner),
                                     **extra})


def page_of(response: TestResponse, status: int = 200) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:400]
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def text_of(page: str, testid: str) -> list[str]:
    found = re.findall(rf'<(\w+)[^>]*data-testid="{testid}"[^>]*>(.*?)</\1>', page, re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split()) for _, body in found]


def submit(client: FlaskClient, partner: ClientPartner, reference: str, step: str,
           **fields: str) -> TestResponse:
    return client.post("/checkout/submit", data={"reference": reference,
                                                 "accessToken": token(partner), "step": step,
                                                 **fields})


def at_card(client: FlaskClient, partner: ClientPartner, **overrides: str) -> str:
    reference = partner.create_reference(**overrides)
    page_of(client.get(link(partner, reference, channelId=str(NG_CARD))))
    return reference


def test_methods_carry_drawn_marks(client: FlaskClient, partner: ClientPartner) -> None:
    page = page_of(client.get(link(partner, partner.create_reference())))
    buttons = re.findall(r'data-testid="channel-(\d+)">(.*?)</button>', page, re.S)
    marks = {channel: re.findall(r'<svg class="mark"[^>]*aria-label="([^"]+)"', body)
             for channel, body in buttons}
    assert marks == {"2": ["Visa", "Mastercard"], "3": ["Verve"], "56": ["Kuda Bank"],
                     "57": ["Paga"], "58": ["Palmpay"], "59": ["Opay QR"]}
    assert "<img" not in page  # drawn in the page: nothing to load


def test_every_card_field_error_is_shown_at_once(client: FlaskClient,
                                                 partner: ClientPartner) -> None:
    reference = at_card(client, partner)
    refused = submit(client, partner, reference, "card", holder="Ada", cardNumber="1234",
                     expiry="13/30", cvv="")
    page = page_of(refused, 400)
    assert text_of(page, "field-error-cardNumber") == [
        "Enter a valid card number (12 to 19 digits)."]
    assert text_of(page, "field-error-expiry") == ["Enter the expiry as MM/YY, e.g. 12/30."]
    assert text_of(page, "field-error-cvv") == ["Enter the 3 or 4 digit security code."]
    for field in ("cardNumber", "expiry", "cvv"):
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true" aria-describedby='
                         rf'"{field}-error"', page), field
    summary = text_of(page, "form-error")[0]
    assert summary.startswith("Check 3 fields: Enter a valid card number")
    assert re.findall(r'<li><a href="#(\w+)">', page) == ["cardNumber", "expiry", "cvv"]
    # The test card is a developer's hint, set apart from what the customer is told.
    assert text_of(page, "form-hint") == [
        f"Test card that succeeds: {table.SUCCESS_CARD}, with any expiry and security code."]
    assert 'class="dev" data-testid="form-hint"' in page
    assert 'novalidate' in page  # the browser lets the server name every field at once
    moved = client.get(f"/_mock/payments/{reference}").get_json()
    assert (moved["status"], moved["step"]) == ("NEW", "card")


def test_one_wrong_field_is_the_only_error(client: FlaskClient, partner: ClientPartner) -> None:
    reference = at_card(client, partner)
    page = page_of(submit(client, partner, reference, "card", cardNumber=table.SUCCESS_CARD,
                          expiry="12/30", cvv="12"), 400)
    assert text_of(page, "form-error") == ["Enter the 3 or 4 digit security code."]
    assert re.findall(r'data-testid="field-error-(\w+)"', page) == ["cvv"]
    assert 'data-testid="form-hint"' not in page  # the card number was fine


@pytest.mark.parametrize(("typed", "shown", "brand"), [
    ("4084084084084081", "4084 0840 8408 4081", "visa"),
    ("5555555555554444", "5555 5555 5555 4444", "mastercard"),
    ("5060 9905 8000 0217 499", "5060 9905 8000 0217 499", "verve"),
    ("1234", "1234", ""),
])
def test_a_card_number_comes_back_grouped_with_its_brand(
        client: FlaskClient, partner: ClientPartner, typed: str, shown: str, brand: str) -> None:
    reference = at_card(client, partner)
    page = page_of(submit(client, partner, reference, "card", cardNumber=typed, expiry="",
                          cvv="123"), 400)
    assert f'value="{shown}" data-testid="card-number"' in page
    assert f'data-testid="card-brand" data-brand="{brand}"' in page


def test_the_card_script_uses_the_servers_brand_table(client: FlaskClient,
                                                      partner: ClientPartner) -> None:
    reference = partner.create_reference()
    answer = client.get(link(partner, reference, channelId=str(NG_CARD)))
    page = page_of(answer)
    nonce = re.search(r"script-src 'nonce-([\w-]+)'", answer.headers["Content-Security-Policy"])
    assert nonce is not None
    scripts = re.findall(r'<script nonce="([\w-]+)">(.*?)</script>', page, re.S)
    assert [n for n, _ in scripts] == [nonce.group(1)]  # the one script, allowed by the policy
    table_text = re.search(r"var BRANDS = (\[.*?\]);", scripts[0][1], re.S)
    assert table_text is not None and json.loads(table_text.group(1)) == list(CARD_BRANDS)


def test_change_method_goes_back_to_the_list(client: FlaskClient,
                                             partner: ClientPartner) -> None:
    reference = at_card(client, partner)
    card = page_of(client.get(link(partner, reference)))
    assert text_of(card, "change-method") == ["‹ Change method"]
    back = client.post("/checkout/change", data={"reference": reference,
                                                 "accessToken": token(partner)})
    assert back.status_code == 303 and back.location == link(partner, reference)
    listed = page_of(client.get(back.location))
    assert 'data-testid="methods"' in listed and 'data-testid="change-method"' not in listed
    chosen = client.post("/checkout/choose", data={"reference": reference,
                                                   "accessToken": token(partner),
                                                   "channelId": str(NG_PALMPAY)})
    assert chosen.status_code == 303
    phone = page_of(client.get(chosen.location))
    assert "Pay with Palmpay" in phone and 'data-testid="change-method"' in phone
    payment = client.get(f"/_mock/payments/{reference}").get_json()
    assert (payment["status"], payment["channelId"]) == ("NEW", NG_PALMPAY)
    assert [h["status"] for h in payment["history"]] == ["NEW"]  # no webhook, nothing sent


def test_change_method_after_the_result_changes_nothing(client: FlaskClient,
                                                        partner: ClientPartner) -> None:
    reference = at_card(client, partner)
    assert submit(client, partner, reference, "card", cardNumber=table.SUCCESS_CARD,
                  expiry="12/30", cvv="123").status_code == 303
    late = client.post("/checkout/change", data={"reference": reference,
                                                 "accessToken": token(partner)})
    assert late.status_code == 303 and late.location.startswith("/checkout/result?")
    assert client.get(f"/_mock/payments/{reference}").get_json()["status"] == "SUCCESSFUL"


def test_a_country_with_one_method_offers_no_change(client: FlaskClient,
                                                    partner: ClientPartner) -> None:
    reference = partner.create_reference(countryCode="MA", currencyCode="MAD", products=[
        {"title": "Gems", "sku": "G", "price": 100, "quantity": 1}])
    page = page_of(client.get(link(partner, reference, channelId=str(MA_CARD))))
    assert 'data-testid="card-form"' in page and 'data-testid="change-method"' not in page


def finish(client: FlaskClient, partner: ClientPartner, outcome: str) -> str:
    reference = partner.create_reference()
    done = client.post(f"/_mock/payments/{reference}/complete",
                       json={"outcome": outcome, **({"channelId": NG_CARD}
                                                    if outcome not in ("abandon",) else {})})
    assert done.status_code == 200, done.get_data(as_text=True)
    return page_of(client.get("/checkout/result?" + urlencode(
        {"reference": reference, "accessToken": token(partner)})))


@pytest.mark.parametrize(("outcome", "headline", "kind", "said", "method", "field"), [
    ("success", "Payment successful", "ok", "Thank you! Sandbox Games has your payment.",
     "Paid with", "callbackSuccessUrl"),
    ("declined", "Payment failed", "bad", "The card was declined by its issuer.", "Method",
     "callbackFailureUrl"),
    ("cancel", "Payment cancelled", "off", "You cancelled the payment. Nothing was charged.",
     None, "callbackCancelUrl"),  # cancelled before choosing a method
    ("abandon", "Payment expired", "bad",
     "The payment was not finished in time. Nothing was charged.", None,
     "callbackFailureUrl"),
])
def test_outcome_pages_say_what_happened(client: FlaskClient, partner: ClientPartner,
                                         outcome: str, headline: str, kind: str, said: str,
                                         method: str | None, field: str) -> None:
    page = finish(client, partner, outcome)
    assert text_of(page, "headline") == [headline]
    assert f'data-testid="outcome" data-kind="{kind}"' in page
    assert '<svg class="icon"' in page
    assert said in page
    if method is None:
        assert 'data-testid="method"' not in page
    else:
        assert f"<dt>{method}</dt><dd data-testid=\"method\">Visa / Mastercard</dd>" in page
    assert "Paid with" not in page or outcome == "success"
    hint = text_of(page, "callback-hint")[0]
    assert f"set {field} in Create Payment" in hint
    assert [f for f in ("callbackSuccessUrl", "callbackFailureUrl", "callbackCancelUrl")
            if f in hint] == [field]
    assert 'class="dev" data-testid="callback-hint"' in page  # apart from the customer's part


@pytest.mark.parametrize(("bad", "message"), [
    ("unknown", "The access token is not one this emulator issued (or it was reset); get one "
                "from POST /api/pay1st/auth/token. Then build a new checkout link with it."),
    ("refresh", "That is a refresh token; send the accessToken field of the token response in "
                "the AccessToken header. Then build a new checkout link with it."),
])
def test_a_bad_token_page_reads_as_sentences(client: FlaskClient, partner: ClientPartner,
                                             bad: str, message: str) -> None:
    reference = partner.create_reference()
    tokens = partner.token_response().get_json()
    wrong = "x" + token(partner)[1:] if bad == "unknown" else tokens["refreshToken"]
    page = page_of(client.get("/checkout?" + urlencode({"reference": reference,
                                                        "accessToken": wrong})), 401)
    assert text_of(page, "error-message") == [message]
    assert "This payment link cannot be used." in page  # the customer's part
    assert '<aside class="dev" data-testid="error-message">' in page


def test_developer_hints_are_apart_on_every_step(client: FlaskClient,
                                                 partner: ClientPartner) -> None:
    reference = partner.create_reference()
    page = page_of(client.get(link(partner, reference, channelId=str(NG_PALMPAY))))
    assert re.search(r'</section>\s*<form method="post" action="/checkout/cancel">.*?</form>\s*'
                     r'<aside class="dev" data-testid="test-values">', page, re.S)
    assert text_of(page, "test-values")[0].startswith("Test phones:")
