"""The dashboard at ``/_mock/ui``: every page renders real data after a payment flow whose
webhook goes to a real listener; filters, search, the timeline, the signature explained, resend,
the clock form, faults, hidden secrets and escaping.

Pages are fetched with Flask's test client of the ``app`` fixture, so every JSON answer (the
errors) is checked by ``tests.conftest``'s response checker too. The dispatcher is the app's
real one, posting to a ``pay1st_mock.listener.WebhookListener``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from pay1st_mock.app import services
from pay1st_mock.config import MEMORY, Settings, settings_from_mapping
from pay1st_mock.listener import WebhookListener
from pay1st_mock.signing import sign_request, sign_summary, summary_key
from tests.conftest import checked_app
from tests.harness import ClientPartner, wait_until

SCRIPT = "<script>alert(1)</script>"
UI = "/_mock/ui"


@pytest.fixture
def settings() -> Settings:
    return Settings(data=MEMORY, seed=4321, webhook_timeout_seconds=2.0)


@pytest.fixture
def listener() -> Iterator[WebhookListener]:
    partner_side = WebhookListener([500]).start()  # the first webhook fails: a retry is due
    yield partner_side
    partner_side.stop()


@dataclass
class Flow:
    """A SUCCESSFUL payment whose webhook failed once (PENDING, retry due in 5 s)."""

    partner: ClientPartner
    reference: str
    partner_reference: str
    delivery_id: int


def page(client: FlaskClient, path: str, **query: Any) -> str:
    response = client.get(path, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def attrs(text: str, name: str, attribute: str) -> list[str]:
    """The ``attribute`` of every element with ``data-testid="name"``, in page order."""
    return re.findall(rf'data-testid="{name}"[^>]*?\s{attribute}="([^"]*)"', text)


def element_text(text: str, name: str) -> list[str]:
    """The unescaped text of every ``<pre>`` or ``<code>`` with ``data-testid="name"``."""
    found = re.findall(rf'<(pre|code)[^>]*data-testid="{name}"[^>]*>(.*?)</\1>', text, re.S)
    return [html.unescape(body) for _, body in found]


def delivery(client: FlaskClient, delivery_id: int) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/_mock/deliveries/{delivery_id}").get_json()
    return body


@pytest.fixture
def flow(client: FlaskClient, listener: WebhookListener) -> Flow:
    partner = ClientPartner(client).login()
    partner_reference = f"order-{SCRIPT}"
    reference = partner.create_reference(webhookUrl=f"{listener.url}/hook",
                                         partnerReference=partner_reference,
                                         callbackSuccessUrl="https://shop.test/paid")
    completed = client.post(f"/_mock/payments/{reference}/complete", json={"status": "SUCCESSFUL"})
    assert completed.status_code == 200
    listener.wait_for(1)
    found = client.get("/_mock/deliveries", query_string={"reference": reference}).get_json()
    delivery_id = found["deliveries"][0]["id"]
    wait_until(lambda: delivery(client, delivery_id)["attempts"], 10, "the first attempt logged")
    return Flow(partner, reference, partner_reference, delivery_id)


def test_every_page_renders_the_flow(client: FlaskClient, flow: Flow) -> None:
    overview = client.get(UI)
    assert overview.status_code == 303 and overview.location == f"{UI}/payments"
    payments = page(client, f"{UI}/payments")
    assert attrs(payments, "payment-row", "data-reference") == [flow.reference]
    assert f'href="{UI}/payments/{flow.reference}"' in payments
    assert 'data-status="SUCCESSFUL"' in payments and "NGN 100.00" in payments  # one format
    detail = page(client, f"{UI}/payments/{flow.reference}")
    assert 'data-testid="payment-status" data-status="SUCCESSFUL"' in detail
    deliveries = page(client, f"{UI}/deliveries")
    assert attrs(deliveries, "delivery-row", "data-delivery-id") == [str(flow.delivery_id)]
    journal = page(client, f"{UI}/journal")
    assert "POST /api/pay1st/payments/create" in journal
    assert f'href="{UI}/payments/{flow.reference}" data-testid="journal-reference"' in journal
    partners = page(client, f"{UI}/partners")
    assert "sandbox-api-key" in partners and "Sandbox Quest" in partners
    assert "CRE-11" in partners and "1,000.00" in partners  # the demo bundle's NG price
    settings_page = page(client, f"{UI}/settings")
    assert 'data-testid="clock-form"' in settings_page
    assert 'data-testid="faults-empty"' in settings_page


def test_the_timeline_tells_the_story_in_time_order(client: FlaskClient, flow: Flow) -> None:
    fulfilled = flow.partner.signed_post("/api/pay1st/payments/fulfilments", {
        "reference": flow.reference,
        "products": [{"sku": "12345", "fulfilmentStatus": "FULFILLED", "quantity": 1}]})
    assert fulfilled.status_code == 200
    text = page(client, f"{UI}/payments/{flow.reference}")
    kinds = attrs(text, "timeline-item", "data-kind")
    assert kinds == ["request", "status", "status", "delivery", "attempt", "request",
                     "fulfilment"]
    times = re.findall(r'data-testid="timeline-item"[^>]*>\s*<span class="when">'
                       r'<time class="moment" datetime="([^"]+)" title="\1">', text)
    assert times == sorted(times) and len(times) == len(kinds)
    assert attrs(text, "status-badge", "data-status")[:2] == ["NEW", "SUCCESSFUL"]
    assert "Create Payment Request" in text
    assert any('"callbackSuccessUrl"' in body for body in element_text(text, "request-body"))
    # The webhook attempt, its request and the partner's scripted answer.
    assert element_text(text, "attempt-response") == ["partner is down (scripted)"]
    assert "X-SIGNATURE: " in element_text(text, "attempt-request-headers")[0]
    assert attrs(text, "callback-url", "data-source") == [
        "payment", "payment", "none", "none", "none"]
    assert element_text(text, "callback-url-success") == ["https://shop.test/paid"]
    assert 'data-testid="fulfilment-status" data-status="FULFILLED"' in text


def test_findings_show_by_kind_and_the_journal_filters(client: FlaskClient, flow: Flow) -> None:
    typo = flow.partner.create(callbackSucessUrl="https://shop.test/typo")  # unknown field
    assert typo.status_code == 201
    bad = client.post("/api/pay1st/payments/create", data=b'{"amount": 1}', headers={
        "AccessToken": f"Bearer {flow.partner.access_token}", "X-SIGNATURE": "0" * 64,
        "Content-Type": "application/vnd.carry1st.payments.payment+json",
        "X-TIMESTAMP": "2030-01-01T00:00:00Z"})
    assert bad.status_code == 400
    text = page(client, f"{UI}/journal")
    assert {"warning", "signature"} <= set(attrs(text, "finding", "data-kind"))
    only = page(client, f"{UI}/journal", kind="signature")
    assert attrs(only, "journal-entry", "data-status") == ["400"]
    assert attrs(page(client, f"{UI}/journal", reference=flow.reference),
               "journal-entry", "data-status") == ["201"]
    detail = page(client, f"{UI}/payments/{typo.get_json()['reference']}")
    assert 'data-testid="finding" data-kind="warning"' in detail
    assert "callbackSucessUrl" in detail
    assert client.get(f"{UI}/journal", query_string={"kind": "nonsense"}).status_code == 400


def test_payments_filter_by_partner_and_status_and_search(client: FlaskClient,
                                                          flow: Flow) -> None:
    other = client.post("/_mock/partners", json={"code": "ACME"}).get_json()
    acme = ClientPartner.from_control(client, other).login()
    fresh = acme.create_reference(partnerReference="acme-order-77")

    def rows(**query: Any) -> list[str]:
        return attrs(page(client, f"{UI}/payments", **query), "payment-row", "data-reference")

    assert rows() == [fresh, flow.reference]
    assert rows(partnerId=other["partnerId"]) == [fresh]
    assert rows(status="successful") == [flow.reference]
    assert rows(status="NEW", partnerId=1) == []
    assert rows(q="ORDER-77") == [fresh]  # part of a partnerReference, any case
    assert rows(q=flow.reference[2:10]) == [flow.reference]
    assert rows(q=flow.reference, status="NEW") == []
    assert 'data-testid="payments-empty"' in page(client, f"{UI}/payments", q="nothing-like-it")
    assert client.get(f"{UI}/payments", query_string={"partnerId": 999}).status_code == 404
    assert client.get(f"{UI}/payments", query_string={"status": "PAID"}).status_code == 400
    missing = client.get(f"{UI}/payments/C-000000000000000-P")
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert "C-000000000000000-P" in missing.get_data(as_text=True)


def test_live_flag_follows_what_is_in_flight(client: FlaskClient) -> None:
    partner = ClientPartner(client).login()
    reference = partner.create_reference()  # no webhook URL: its event will be SKIPPED

    def live(path: str) -> list[str]:
        return attrs(page(client, path), "live-region", "data-live")

    assert live(f"{UI}/payments/{reference}") == ["true"]
    assert live(f"{UI}/payments") == ["true"]
    client.post(f"/_mock/payments/{reference}/complete", json={"status": "FAILED"})
    assert live(f"{UI}/payments/{reference}") == ["false"]
    assert live(f"{UI}/payments") == ["false"]
    assert live(f"{UI}/deliveries") == ["false"]
    skipped = page(client, f"{UI}/deliveries", status="SKIPPED")
    assert 'data-testid="resend-unavailable"' in page(
        client, f"{UI}/deliveries/{attrs(skipped, 'delivery-row', 'data-delivery-id')[0]}")


def test_deliveries_list_shows_retry_state_and_filters(client: FlaskClient, flow: Flow) -> None:
    text = page(client, f"{UI}/deliveries", status="pending", partnerId=1)
    assert attrs(text, "delivery-row", "data-status") == ["PENDING"]
    assert attrs(text, "live-region", "data-live") == ["true"]
    assert re.search(r'data-testid="attempt-count">1<', text)
    due = delivery(client, flow.delivery_id)["nextAttemptAt"]
    assert re.search(rf'data-testid="next-attempt"[^>]*>.*?<time class="moment" '
                     rf'datetime="{re.escape(due)}" title="{re.escape(due)}">', text)
    assert attrs(page(client, f"{UI}/deliveries", status="DELIVERED"), "delivery-row",
               "data-status") == []
    assert attrs(page(client, f"{UI}/deliveries", kind="summary"), "delivery-row",
               "data-kind") == []


def test_clock_form_moves_the_clock_and_the_retry_goes_out(client: FlaskClient, flow: Flow,
                                                           listener: WebhookListener) -> None:
    moved = client.post(f"{UI}/settings/clock", data={"amount": "10", "unit": "seconds"})
    assert moved.status_code == 303 and moved.location == f"{UI}/settings"
    assert client.get("/_mock/clock").get_json()["offsetSeconds"] == 10
    listener.wait_for(2)  # the retry fell due and went out at once
    wait_until(lambda: delivery(client, flow.delivery_id)["status"] == "DELIVERED", 10,
               "the retried delivery")
    assert 'data-seconds="10.0"' in page(client, f"{UI}/settings")
    client.post(f"{UI}/settings/clock", data={"amount": "1.5", "unit": "hours"})
    assert client.get("/_mock/clock").get_json()["offsetSeconds"] == 5410
    for bad in ({"amount": "-1"}, {"amount": "soon"}, {"amount": "1", "unit": "weeks"},
                {"amount": "40000"}):  # days by default below: over 100 years
        refused = client.post(f"{UI}/settings/clock", data={"unit": "days", **bad})
        assert refused.status_code == 400 and refused.mimetype == "text/html", bad
        assert 'data-testid="error-message"' in refused.get_data(as_text=True)
    assert client.get("/_mock/clock").get_json()["offsetSeconds"] == 5410


def test_delivery_page_explains_the_signature_and_resends(client: FlaskClient, flow: Flow,
                                                          listener: WebhookListener) -> None:
    text = page(client, f"{UI}/deliveries/{flow.delivery_id}")
    sent = listener.requests[0]
    signed = element_text(text, "signed-string")
    assert signed == [sent.headers["X-TIMESTAMP"] + sent.body.decode()]
    assert element_text(text, "signature-header") == [sent.headers["X-SIGNATURE"]]
    assert sign_request(flow.partner.signing_key, sent.headers["X-TIMESTAMP"],
                        sent.body) == sent.headers["X-SIGNATURE"]
    assert attrs(text, "signature-match", "data-matches") == ["true"]
    assert element_text(text, "secret-value") == [flow.partner.signing_key]
    assert "signing key" in text and "X-TIMESTAMP header text immediately followed" in text
    assert attrs(text, "attempt", "data-number") == ["1"]

    resent = client.post(f"{UI}/deliveries/{flow.delivery_id}/resend")
    assert resent.status_code == 303
    new_id = int(resent.location.rsplit("/", 1)[1])
    assert resent.location == f"{UI}/deliveries/{new_id}" and new_id != flow.delivery_id
    assert delivery(client, new_id)["resendOf"] == flow.delivery_id
    assert f'href="{UI}/deliveries/{flow.delivery_id}" data-testid="resend-of"' in page(
        client, resent.location)
    client.post(f"{UI}/settings/clock", data={"amount": "10"})  # the original's retry is due
    wait_until(lambda: delivery(client, new_id)["status"] == "DELIVERED", 10, "the resend")
    original = page(client, f"{UI}/deliveries/{flow.delivery_id}")
    assert f'data-testid="resent-as">delivery {new_id}<' in original
    assert client.post(f"{UI}/deliveries/99999/resend").status_code == 404


def test_faults_are_listed_and_cleared(client: FlaskClient) -> None:
    for path in ("/api/pay1st/payments/create", "/api/pay1st/auth/token"):
        added = client.post("/_mock/faults", json={"path": path, "action": {"latencyMs": 1}})
        assert added.status_code == 201
    text = page(client, f"{UI}/settings")
    assert attrs(text, "fault-row", "data-fault-id") == ["1", "2"]
    assert "/api/pay1st/auth/token" in text and 'data-testid="faults-clear"' in text
    cleared = client.post(f"{UI}/settings/faults/clear")
    assert cleared.status_code == 303 and cleared.location == f"{UI}/settings"
    assert client.get("/_mock/faults").get_json() == {"faults": []}
    assert 'data-testid="faults-empty"' in page(client, f"{UI}/settings")


def test_secrets_are_behind_a_click(client: FlaskClient) -> None:
    created = client.post("/_mock/partners", json={"code": "HIDE"}).get_json()
    text = page(client, f"{UI}/partners")
    hidden = re.findall(r'<details class="secret" data-testid="([\w-]+)"><summary>[^<]*</summary>'
                        r'<code data-testid="secret-value">([^<]*)</code></details>', text)
    for secret in (created["apiSecret"], created["signingKey"], "sandbox-api-secret"):
        assert text.count(secret) == 1, secret
        assert any(value == secret for _, value in hidden), secret
    assert {name for name, _ in hidden} == {"api-secret", "signing-key", "product-password"}
    assert created["apiKey"] in element_text(text, "api-key")  # the key itself is not secret


def assert_escaped(text: str, hostile: str = SCRIPT) -> None:
    assert hostile not in text
    assert html.escape(hostile, quote=False) in text
    assert text.lower().count("<script") == 1  # only the page's own live-update script
    assert "<img" not in text.lower()


def test_partner_text_is_escaped_everywhere(client: FlaskClient, flow: Flow) -> None:
    image = "<img src=x onerror=alert(2)>"
    hostile = client.post("/_mock/partners", json={"name": SCRIPT}).get_json()
    partner = ClientPartner.from_control(client, hostile).login()
    product = {"title": SCRIPT, "sku": image, "price": 100, "quantity": 1}
    reference = partner.create_reference(products=[product], partnerReference=image,
                                         metadata=[{"key": SCRIPT, "value": image}])
    bad = partner.signed_post("/api/pay1st/payments/create", {"note": SCRIPT})
    assert bad.status_code == 400
    for path in (f"{UI}/payments", f"{UI}/payments/{reference}", f"{UI}/journal",
                 f"{UI}/partners", f"{UI}/deliveries", f"{UI}/deliveries/{flow.delivery_id}",
                 f"{UI}/payments/{flow.reference}"):
        assert_escaped(page(client, path))
    assert html.escape(image, quote=False) in page(client, f"{UI}/payments/{reference}")
    assert html.escape(image, quote=False) in page(client, f"{UI}/payments")


def test_summary_webhook_signature_and_hostile_shop_text(listener: WebhookListener) -> None:
    listener.answer_with(None)
    product = {"id": 10, "partner_id": 1, "name": SCRIPT, "countries": ["NG"],
               "basic_auth": {"username": "galaxy", "password": "s3cret"},
               "summary_url": f"{listener.url}/summary",
               "bundles": [{"id": 101, "sku": "GEM-100", "name": SCRIPT, "tokens": 100,
                            "prices": {"NG": 1500}}]}
    settings_ = settings_from_mapping({"version": 1, "products": [product]}).with_overrides(
        data=MEMORY)
    with checked_app(settings_) as app:
        client = app.test_client()
        bought = client.post("/_mock/shop/purchases", json={
            "productBundleId": 101, "countryCode": "NG", "playerId": SCRIPT})
        assert bought.status_code == 201, bought.get_data(as_text=True)
        sent = listener.wait_for(1)[0]
        delivery_id = bought.get_json()["summary"]["id"]
        wait_until(lambda: delivery(client, delivery_id)["attempts"], 10, "the Summary logged")
        text = page(client, f"{UI}/deliveries/{delivery_id}")
        assert element_text(text, "signed-string") == [sent.body.decode().strip()]
        key = summary_key("galaxy", "s3cret")
        assert element_text(text, "secret-value") == [key]
        assert element_text(text, "signature-header") == [sign_summary(key, sent.body)]
        assert attrs(text, "signature-match", "data-matches") == ["true"]
        assert "trimmed" in text and "X-TIMESTAMP" not in element_text(text, "signed-string")[0]
        assert attrs(page(client, f"{UI}/deliveries", kind="summary"), "delivery-row",
                   "data-kind") == ["summary"]
        assert_escaped(page(client, f"{UI}/partners"))
        assert_escaped(page(client, f"{UI}/deliveries/{delivery_id}"))
        shop_payment = page(client, f"{UI}/payments/{bought.get_json()['purchase']['reference']}")
        assert 'data-testid="purchase"' in shop_payment
        assert_escaped(shop_payment)
        assert services(app).errors == []


def test_pages_send_no_store(client: FlaskClient) -> None:
    response: TestResponse = client.get(f"{UI}/payments")
    assert response.headers["Cache-Control"] == "no-store"


def test_partner_urls_are_set_and_cleared_with_a_form(client: FlaskClient) -> None:
    """The Partners page sets a partner's webhook and callback URLs (as PATCH does); a bad URL
    comes back with its error beside it, every one at once, and nothing changes."""
    form = {"webhookUrl": "https://shop.test/hook", "callbacks.success": "https://shop.test/ok",
            "callbacks.failure": "", "callbacks.pending": "", "callbacks.cancel": ""}
    saved = client.post(f"{UI}/partners/1/urls", data=form)
    assert saved.status_code == 303 and saved.location == f"{UI}/partners?saved=1#partner-1"
    stored = client.get("/_mock/partners/1").get_json()
    assert stored["webhookUrl"] == "https://shop.test/hook"
    assert stored["callbacks"] == {"success": "https://shop.test/ok", "failure": None,
                                   "pending": None, "cancel": None}
    text = page(client, f"{UI}/partners", saved=1)
    assert 'data-testid="urls-saved"' in text
    assert attrs(text, "webhook-url", "value") == ["https://shop.test/hook"]
    assert "PATCH /_mock/partners/{id}</code>;" not in text  # no longer the only way

    refused = client.post(f"{UI}/partners/1/urls", data={
        **form, "webhookUrl": f"ftp://{SCRIPT}", "callbacks.cancel": "not a url"})
    assert refused.status_code == 400 and refused.mimetype == "text/html"
    html_text = refused.get_data(as_text=True)
    assert attrs(html_text, "url-error", "data-field") == ["webhookUrl", "callbacks.cancel"]
    assert "expected an http:// or https:// URL" in html_text
    assert attrs(html_text, "callback-cancel", "value") == ["not a url"]  # typed text kept
    assert SCRIPT not in html_text and html.escape(SCRIPT) in html_text
    assert client.get("/_mock/partners/1").get_json()["webhookUrl"] == "https://shop.test/hook"

    cleared = client.post(f"{UI}/partners/1/urls", data={})
    assert cleared.status_code == 303
    assert client.get("/_mock/partners/1").get_json()["webhookUrl"] is None
    assert client.post(f"{UI}/partners/99/urls", data=form).status_code == 404


def test_one_money_format_readable_times_and_names(client: FlaskClient, flow: Flow) -> None:
    """Amounts read NGN 100.00 everywhere; a time shows readable with its ISO value on hover;
    a Shop purchase names its product and bundle."""
    detail = page(client, f"{UI}/payments/{flow.reference}")
    assert re.search(r'data-testid="amount">NGN 100\.00<', detail)
    assert re.search(r'<td class="num money">NGN 100\.00</td>', detail)  # the product line
    moments = re.findall(r'<time class="moment" datetime="([^"]+)" title="\1">(\d{1,2} '
                         r'[A-Z][a-z]{2} \d{4}, \d\d:\d\d:\d\d)</time>', detail)
    assert moments and all(iso.endswith("Z") for iso, _ in moments)
    assert "Nigeria" in detail  # the country by name
    bought = client.post("/_mock/shop/purchases", json={
        "productBundleId": 2, "countryCode": "ZA", "playerId": "P-7", "quantity": 3})
    assert bought.status_code == 201, bought.get_data(as_text=True)
    shop = page(client, f"{UI}/payments/{bought.get_json()['purchase']['reference']}")
    assert re.search(r'data-testid="purchase-product">Sandbox Quest <', shop)
    assert re.search(r'data-testid="purchase-bundle">3 × 60 Credits <', shop)
    partners = page(client, f"{UI}/partners")
    assert "ZAR 50.00" in partners and "NGN 5,000.00" in partners
    assert not re.search(r"\d \w{3}</td>", partners + detail)  # never "2,500.00 NGN"
