"""The dashboard (``/_mock/ui``) in a real browser: Debian's Chromium driven by Playwright, the
emulator on a real port (``live_url``), the partner's webhook endpoint a ``WebhookListener``.

A customer pays in one tab while the dashboard, opened first in others, updates itself; a failed
webhook is resent from its page; a badly signed call shows its finding in the journal; secrets
stay behind a click; a phone shows every page without sideways scrolling. The run also writes the
README's screenshots (``SCREENSHOTS``) when asked: ``scripts/screenshots`` (or
``PAY1ST_MOCK_SCREENSHOTS=1``) writes them into docs/; an ordinary test run takes the same pictures
into test-artifacts/screenshots/, so it leaves the checkout as it found it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Locator, Page, expect

from pay1st_mock.config import MEMORY, Settings
from pay1st_mock.domain import outcome_table as table
from pay1st_mock.listener import WebhookListener
from pay1st_mock.signing import sign_request
from pay1st_mock.web import journal
from tests.browser.test_checkout import CARD_CHANNEL, PALMPAY_CHANNEL, checkout_link, fill_card
from tests.harness import wait_until
from tests.support import PAYMENT, SANDBOX, GatewayClient, now_timestamp, payment_body

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = ROOT / "docs" / "screenshots"
SCRATCH_DIR = ROOT / "test-artifacts" / "screenshots"  # git-ignored
WRITE_SCREENSHOTS = "PAY1ST_MOCK_SCREENSHOTS"  # =1: the run rewrites the README's images
SCREENSHOTS = {name: SCREENSHOT_DIR / f"dashboard-{name}.png"
               for name in ("payments", "payment", "delivery", "journal", "phone")}
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
LIVE_MS = 6_000  # a page in flight refetches itself every 1.5 s
CREATE = "/api/pay1st/payments/create"
# One payment per outcome (and one left NEW), created in this order: with the seed each gets the
# same reference every run (times, ports and signatures differ).
SEEDED = (("order-1001", "success", CARD_CHANNEL), ("order-1002", "declined", CARD_CHANNEL),
          ("order-1003", "no_answer", PALMPAY_CHANNEL), ("order-1004", "cancel", None),
          ("order-1005", None, None))


@pytest.fixture
def settings() -> Settings:
    # No retries: a webhook whose first attempt fails is EXHAUSTED at once, so its resend is not
    # held behind the original's retry (one payment's deliveries go out oldest first).
    return Settings(data=MEMORY, seed=2025, retry_delays_seconds=(), webhook_timeout_seconds=2.0)


class Partner(GatewayClient):
    """The sandbox partner; ``sign`` computes X-SIGNATURE (a test passes a wrong way)."""

    def signed_post(self, path: str, body: dict[str, Any] | bytes, media_type: str = PAYMENT,
                    sign: Callable[[str, str, bytes], str] = sign_request) -> requests.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        timestamp = now_timestamp()
        return self.http.post(self.url(path), data=raw, timeout=10, headers={
            "AccessToken": f"Bearer {self.access_token}", "Content-Type": media_type,
            "X-TIMESTAMP": timestamp, "X-SIGNATURE": sign(self.signing_key, timestamp, raw)})


@pytest.fixture
def partner(live_url: str) -> Partner:
    client = Partner(live_url)
    client.login()
    return client


def swapped(key: str, timestamp: str, body: bytes) -> str:
    """The classic mistake (the Pay1st docs' prose): key and message swapped."""
    return hmac.new(timestamp.encode() + body, key.encode(), hashlib.sha256).hexdigest()


def create(partner: Partner, listener: WebhookListener, partner_reference: str) -> str:
    response = partner.create(webhookUrl=f"{listener.url}/webhook",
                              partnerReference=partner_reference)
    assert response.status_code == 201, response.text
    reference: str = response.json()["reference"]
    return reference


def complete(live_url: str, reference: str, outcome: str, channel_id: int | None) -> None:
    choice = {"outcome": outcome} if channel_id is None else {"outcome": outcome,
                                                              "channelId": channel_id}
    response = requests.post(f"{live_url}/_mock/payments/{reference}/complete", json=choice,
                             timeout=10)
    assert response.status_code == 200, response.text


def badly_signed_create(partner: Partner, partner_reference: str) -> None:
    response = partner.signed_post(CREATE, payment_body(partnerReference=partner_reference),
                                   sign=swapped)
    assert response.status_code == 400 and "INVALID_SIGNATURE" in response.text, response.text


def deliveries(live_url: str, **query: str) -> list[dict[str, Any]]:
    response = requests.get(f"{live_url}/_mock/deliveries", params=query, timeout=10)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["deliveries"]
    return found


def ui(live_url: str, path: str) -> str:
    return f"{live_url}/_mock/ui{path}"


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url


def timeline(page: Page, kind: str) -> Locator:
    return page.locator(f'[data-testid="timeline-item"][data-kind="{kind}"]')


def assert_no_sideways_scroll(page: Page) -> None:
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, "
                                   "document.documentElement.clientWidth]")
    assert scroll <= client + 1, f"{page.url}: page is {scroll} px wide in a {client} px viewport"


def screenshot_path(name: str) -> Path:
    """Where ``shoot`` saves: the README's image when asked (scripts/screenshots), else a
    scratch copy under test-artifacts/."""
    if os.environ.get(WRITE_SCREENSHOTS) == "1":
        return SCREENSHOTS[name]
    return SCRATCH_DIR / SCREENSHOTS[name].name


def shoot(page: Page, name: str, *, full_page: bool = True) -> None:
    """Save a screenshot, replacing the old one at once (never half written)."""
    target = screenshot_path(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".png.partial")
    partial.write_bytes(page.screenshot(full_page=full_page, animations="disabled", caret="hide"))
    partial.replace(target)


# -- tests --------------------------------------------------------------------------------------


def test_payment_by_card_shows_up_live(live_url: str, partner: Partner, listener: WebhookListener,
                                       page: Page) -> None:
    reference = create(partner, listener, "order-live")
    visit(page, ui(live_url, "/payments"))
    row = page.locator(f'[data-testid="payment-row"][data-reference="{reference}"]')
    expect(row).to_have_attribute("data-status", "NEW")
    expect(page.get_by_test_id("live-indicator")).to_be_visible()
    detail = page.context.new_page()
    visit(detail, ui(live_url, f"/payments/{reference}"))
    expect(detail.get_by_test_id("payment-status")).to_have_attribute("data-status", "NEW")
    expect(timeline(detail, "delivery")).to_have_count(0)
    call = timeline(detail, "request").locator("details")
    call.locator("summary").click()  # opened by the reader: stays open across refreshes
    expect(call.get_by_test_id("request-body")).to_contain_text('"order-live"')
    for tab in (page, detail):  # gone if the tab reloads
        tab.evaluate("window.openedBeforeThePayment = true")

    # The customer pays in another tab of the same browser.
    checkout = page.context.new_page()
    assert partner.access_token is not None
    visit(checkout, checkout_link(live_url, reference, partner.access_token, CARD_CHANNEL))
    fill_card(checkout, table.SUCCESS_CARD)
    checkout.get_by_test_id("pay").click()
    expect(checkout.get_by_test_id("status")).to_have_text("SUCCESSFUL")  # the result page
    listener.wait_for(1, path="/webhook")

    expect(row).to_have_attribute("data-status", "SUCCESSFUL", timeout=LIVE_MS)
    expect(row.get_by_test_id("status-badge")).to_have_text("SUCCESSFUL")
    expect(detail.get_by_test_id("payment-status")).to_have_attribute(
        "data-status", "SUCCESSFUL", timeout=LIVE_MS)
    attempt = timeline(detail, "attempt")
    expect(attempt.get_by_test_id("http-status")).to_have_attribute("data-status", "200",
                                                                   timeout=LIVE_MS)
    expect(timeline(detail, "delivery").get_by_test_id("status-badge")).to_have_attribute(
        "data-status", "DELIVERED", timeout=LIVE_MS)
    expect(timeline(detail, "delivery").get_by_test_id("delivery-link")).to_be_visible()
    for tab in (page, detail):  # settled: the pages stop refreshing
        expect(tab.get_by_test_id("live-region")).to_have_attribute("data-live", "false",
                                                                    timeout=LIVE_MS)
        assert tab.evaluate("window.openedBeforeThePayment") is True, "the page was reloaded"
    expect(call).to_have_attribute("open", "")

    row.get_by_test_id("payment-link").click()
    expect(page.get_by_test_id("payment-reference")).to_have_text(reference)
    items = page.get_by_test_id("timeline-item")
    expect(items).to_have_count(5)
    assert [item.get_attribute("data-kind") for item in items.all()] == [
        "request", "status", "status", "delivery", "attempt"]  # in time order
    expect(timeline(page, "request")).to_contain_text(f"POST {CREATE}")
    expect(timeline(page, "request").get_by_test_id("http-status")).to_have_text("201")
    expect(timeline(page, "status").get_by_test_id("status-badge")).to_have_text(
        ["NEW", "SUCCESSFUL"])
    expect(timeline(page, "attempt")).to_contain_text(f"{listener.url}/webhook")


def test_timeline_starts_with_the_creating_call(live_url: str, partner: Partner,
                                                listener: WebhookListener, page: Page,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The call that created a payment comes first, even when the server pauses while it
    journals the call (a pause made certain here: 50 ms inside the journal's hook)."""
    find_reference = journal._reference

    def busy(*texts: str) -> str | None:
        time.sleep(0.05)
        return find_reference(*texts)

    monkeypatch.setattr(journal, "_reference", busy)
    reference = create(partner, listener, "order-busy")
    visit(page, ui(live_url, f"/payments/{reference}"))
    expect(timeline(page, "status")).to_have_count(1)
    kinds = [item.get_attribute("data-kind") for item in page.get_by_test_id("timeline-item").all()]
    assert kinds == ["request", "status"]


def test_resend_a_failed_delivery_from_its_page(live_url: str, partner: Partner,
                                                listener: WebhookListener, page: Page) -> None:
    listener.answer_with([500])  # the partner's backend is down for the first webhook
    reference = create(partner, listener, "order-resend")
    complete(live_url, reference, "success", CARD_CHANNEL)
    listener.wait_for(1, path="/webhook")
    [failed] = deliveries(live_url, reference=reference)

    visit(page, ui(live_url, f"/deliveries/{failed['id']}"))
    expect(page.get_by_test_id("delivery-status")).to_have_attribute(
        "data-status", "EXHAUSTED", timeout=LIVE_MS)
    first = page.locator('[data-testid="attempt"][data-number="1"]')
    expect(first.get_by_test_id("attempt-status")).to_have_attribute("data-status", "500")
    expect(first.get_by_test_id("attempt-response")).to_contain_text("partner is down")
    expect(page.get_by_test_id("resend-of")).to_have_count(0)

    page.get_by_test_id("resend-button").click()
    expect(page.get_by_test_id("resend-of")).to_have_attribute(
        "href", f"/_mock/ui/deliveries/{failed['id']}")
    resent = page.get_by_test_id("delivery-id").inner_text()
    assert resent != str(failed["id"])
    assert page.url == ui(live_url, f"/deliveries/{resent}")
    attempt = page.locator('[data-testid="attempt"][data-number="1"]')
    expect(attempt.get_by_test_id("attempt-status")).to_have_attribute("data-status", "200",
                                                                       timeout=LIVE_MS)
    expect(page.get_by_test_id("delivery-status")).to_have_attribute("data-status", "DELIVERED")
    expect(attempt.get_by_test_id("signature-match")).to_have_attribute("data-matches", "true")
    original, again = listener.wait_for(2, path="/webhook")
    assert again.body == original.body  # the same body, signed afresh
    assert again.headers["X-SIGNATURE"] != original.headers["X-SIGNATURE"]

    page.get_by_test_id("resend-of").click()
    expect(page.get_by_test_id("resent-as")).to_have_text(f"delivery {resent}")
    expect(page.get_by_test_id("delivery-status")).to_have_attribute("data-status", "EXHAUSTED")


def test_badly_signed_call_shows_its_finding_in_the_journal(live_url: str, partner: Partner,
                                                            listener: WebhookListener,
                                                            page: Page) -> None:
    reference = create(partner, listener, "order-good")
    badly_signed_create(partner, "order-bad-signature")

    visit(page, ui(live_url, "/journal"))
    entry = page.locator('[data-testid="journal-entry"][data-status="400"]')
    expect(entry).to_have_count(1)
    expect(entry.get_by_test_id("finding-kind")).to_have_attribute("data-kind", "signature")
    finding = entry.locator('[data-testid="finding"][data-kind="signature"]')
    expect(finding).to_be_hidden()  # until the entry is opened
    entry.locator("summary").click()
    expect(finding).to_be_visible()
    expect(finding).to_contain_text("the signing key and the message are swapped")
    expect(finding.get_by_test_id("finding-expected")).to_contain_text('"order-bad-signature"')
    # No payment was created, so no reference to follow: the request itself is there.
    expect(entry.get_by_test_id("journal-reference")).to_have_count(0)
    expect(entry.get_by_test_id("request-body")).to_contain_text('"order-bad-signature"')

    created = page.locator('[data-testid="journal-entry"][data-status="201"]')
    expect(created.get_by_test_id("finding")).to_have_count(0)
    created.get_by_test_id("journal-reference").click()
    expect(page).to_have_url(ui(live_url, f"/payments/{reference}"))
    expect(page.get_by_test_id("payment-reference")).to_have_text(reference)


def test_api_secret_is_revealed_on_click(live_url: str, page: Page) -> None:
    visit(page, ui(live_url, "/partners"))
    card = page.locator('[data-testid="partner-card"][data-partner-id="1"]')
    secret = card.get_by_test_id("api-secret")
    value = secret.get_by_test_id("secret-value")
    expect(value).to_be_hidden()
    assert SANDBOX["api_secret"] not in page.locator("body").inner_text()
    secret.locator("summary").click()
    expect(value).to_be_visible()
    expect(value).to_have_text(SANDBOX["api_secret"])
    expect(card.get_by_test_id("signing-key").get_by_test_id("secret-value")).to_be_hidden()


@pytest.fixture
def seeded(live_url: str, partner: Partner, listener: WebhookListener) -> dict[str, str]:
    """The same payments every run, their webhooks delivered, and a badly signed create."""
    references = {}
    for partner_reference, outcome, channel_id in SEEDED:
        references[partner_reference] = create(partner, listener, partner_reference)
        if outcome is not None:
            complete(live_url, references[partner_reference], outcome, channel_id)
    badly_signed_create(partner, "order-1006")
    listener.wait_for(4, path="/webhook")
    wait_until(lambda: not deliveries(live_url, status="PENDING"), 5, "webhooks to settle")
    return references


@pytest.mark.context(viewport=PHONE, is_mobile=True, has_touch=True)
def test_phone_shows_pages_without_sideways_scrolling(live_url: str, seeded: dict[str, str],
                                                      page: Page) -> None:
    [delivery] = deliveries(live_url, reference=seeded["order-1001"])
    for path in ("/payments", f"/payments/{seeded['order-1001']}", "/deliveries",
                 f"/deliveries/{delivery['id']}", "/journal", "/partners", "/settings"):
        visit(page, ui(live_url, path))
        assert_no_sideways_scroll(page)
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        assert_no_sideways_scroll(page)  # with every request, response and secret shown too
        if path in ("/payments", "/deliveries"):  # one card per row: nothing scrolls sideways
            assert page.get_by_test_id(path[1:]).locator("xpath=..").evaluate(
                "wrapper => wrapper.scrollWidth <= wrapper.clientWidth")
    visit(page, ui(live_url, f"/payments/{seeded['order-1001']}"))
    expect(page.get_by_test_id("payment-status")).to_have_attribute("data-status", "SUCCESSFUL")
    shoot(page, "phone", full_page=False)


@pytest.mark.context(viewport=DESKTOP)
def test_screenshots_for_the_readme(live_url: str, seeded: dict[str, str], page: Page) -> None:
    visit(page, ui(live_url, "/payments"))
    expect(page.get_by_test_id("payment-row")).to_have_count(len(SEEDED))
    shoot(page, "payments")

    page.locator(f'[data-reference="{seeded["order-1001"]}"]').get_by_test_id(
        "payment-link").click()
    expect(page.get_by_test_id("timeline-item")).to_have_count(5)
    shoot(page, "payment")

    timeline(page, "delivery").get_by_test_id("delivery-link").click()
    expect(page.get_by_test_id("signature-match")).to_have_attribute("data-matches", "true")
    expect(page.get_by_test_id("signed-string")).to_contain_text('"order-1001"')
    shoot(page, "delivery")

    page.get_by_test_id("nav-journal").click()
    entry = page.locator('[data-testid="journal-entry"][data-status="400"]')
    entry.locator("summary").click()
    expect(entry.get_by_test_id("finding")).to_have_attribute("data-kind", "signature")
    expect(entry.get_by_test_id("finding")).to_be_visible()
    shoot(page, "journal")
