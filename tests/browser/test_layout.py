"""Every page at a phone's and a desktop's width, in real Chromium: nothing scrolls sideways,
no table column is clipped, every picture loads, and the texts a customer or a partner reads
are there (issue 19, point 4).

One emulator holds one of everything: a Shop product with a configured PNG logo and drawn
bundle pictures, payments at every checkout step and in every status, a Shop purchase with its
Summary Webhook delivered to a real listener, a badly signed call in the journal. Each width
walks the storefront, the checkout's steps and outcome pages, and every dashboard page.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from pay1st_mock.config import Settings, settings_from_mapping
from pay1st_mock.domain import outcome_table as table
from pay1st_mock.listener import WebhookListener
from tests.harness import wait_until
from tests.support import GatewayClient

WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
PRODUCT, BUNDLE = 10, 101
NG_CARD, NG_KUDA, NG_PALMPAY, ZA_VOUCHER = 2, 56, 58, 103


def png() -> bytes:
    """A 24 × 24 orange PNG: the partner's logo."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + b"\xff\x5a\x1f" * 24 for _ in range(24))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 24, 24, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.fixture
def settings(tmp_path: Path, listener: WebhookListener) -> Settings:
    logo = tmp_path / "logo.png"
    logo.write_bytes(png())
    prices = {"NG": 1500, "ZA": 19.99, "KE": 700, "GH": 70, "EG": 250, "MA": 50}
    product = {
        "id": PRODUCT, "name": "Galaxy Raiders: Legends of the Outer Rim", "image": str(logo),
        "countries": list(prices), "digital_currency": {"name": "Gems", "code": "GEM"},
        "summary_url": f"{listener.url}/summary",
        "bundles": [{"id": BUNDLE + n, "sku": f"GEM-{n}", "name": name, "tokens": tokens,
                     "prices": {c: p * (n + 1) for c, p in prices.items()}}
                    for n, (name, tokens) in enumerate([("100 Gems", 100), ("550 Gems", 550),
                                                        ("Mega chest", 1200),
                                                        ("Legendary hoard", 25000)])]}
    return settings_from_mapping({"version": 1, "products": [product]}).with_overrides(
        data=":memory:", seed=19, webhook_timeout_seconds=2.0)


@dataclass
class World:
    """The emulator's URL and the pages to look at, by name."""

    url: str
    pages: dict[str, str] = field(default_factory=dict)
    forms: dict[str, Any] = field(default_factory=dict)


def control(world_url: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    answer = requests.request(method, f"{world_url}/_mock/{path}", json=body, timeout=10)
    assert answer.status_code < 300, answer.text
    return answer.json()


@pytest.fixture
def world(live_url: str, partner: GatewayClient, listener: WebhookListener) -> World:
    seen = World(live_url)
    assert partner.access_token is not None
    token = quote(partner.access_token, safe="")

    def payment(**overrides: Any) -> str:
        made = partner.create(webhookUrl=f"{listener.url}/webhook", **overrides)
        assert made.status_code == 201, made.text
        reference: str = made.json()["reference"]
        return reference

    def link(reference: str, channel: int | None = None, result: bool = False) -> str:
        path = "/checkout/result" if result else "/checkout"
        extra = f"&channelId={channel}" if channel else ""
        return f"{live_url}{path}?reference={reference}&accessToken={token}{extra}"

    za = {"countryCode": "ZA", "currencyCode": "ZAR", "amount": 250,
          "products": [{"title": "50 Gems", "sku": "g-50", "price": 250, "quantity": 1}]}
    seen.pages.update({
        "checkout-choose": link(payment()),
        "checkout-card": link(payment(), NG_CARD),
        "checkout-phone": link(payment(), NG_PALMPAY),
        "checkout-bank": link(payment(), NG_KUDA),
        "checkout-voucher": link(payment(**za), ZA_VOUCHER),
        "checkout-bad-link": f"{live_url}/checkout?reference=C-000000000000000-P&accessToken=x",
    })
    seen.forms["checkout-code"] = link(payment(), NG_PALMPAY)
    seen.forms["checkout-waiting"] = link(payment(), NG_PALMPAY)
    for outcome in ("success", "declined", "cancel"):
        reference = payment()
        control(live_url, "POST", f"payments/{reference}/complete",
                {"outcome": outcome, "channelId": NG_CARD})
        seen.pages[f"checkout-result-{outcome}"] = link(reference, result=True)
    bought = control(live_url, "POST", "shop/purchases", {
        "productBundleId": BUNDLE + 1, "countryCode": "NG", "playerId": "PLAYER-7",
        "quantity": 2})
    shop_reference = bought["purchase"]["reference"]
    listener.wait_for(1, path="/summary")
    wait_until(lambda: not control(live_url, "GET", "deliveries?status=PENDING")["deliveries"],
               10, "webhooks to settle")
    bad = partner.http.post(f"{live_url}/api/pay1st/payments/create", data=b'{"amount": 1}',
                            headers={"AccessToken": f"Bearer {partner.access_token}",
                                     "Content-Type": "application/vnd.carry1st.payments"
                                                     ".payment+json",
                                     "X-TIMESTAMP": "2030-01-01T00:00:00Z",
                                     "X-SIGNATURE": "0" * 64}, timeout=10)
    assert bad.status_code == 400
    [delivery] = [d for d in control(live_url, "GET", "deliveries")["deliveries"]
                  if d["kind"] == "summary"]
    seen.pages.update({
        "shop": f"{live_url}/shop", "shop-product": f"{live_url}/shop/{PRODUCT}",
        "shop-receipt": f"{live_url}/shop/receipts/{shop_reference}",
        **{f"dashboard-{name}": f"{live_url}/_mock/ui/{name}"
           for name in ("payments", "deliveries", "journal", "partners", "settings",
                        "checklists", "partners/1/checklist")},
        "dashboard-payment": f"{live_url}/_mock/ui/payments/{shop_reference}",
        "dashboard-delivery": f"{live_url}/_mock/ui/deliveries/{delivery['id']}",
    })
    return seen


@pytest.fixture(params=list(WIDTHS))
def sized(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=WIDTHS[request.param])
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def check_layout(page: Page, name: str) -> None:
    """Nothing sideways, no clipped table, every picture loaded, with details opened too."""
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    report = page.evaluate("""() => {
      const root = document.documentElement;
      const clipped = [...document.querySelectorAll('.scroll')]
        .filter(w => w.scrollWidth > w.clientWidth + 1)
        .map(w => (w.querySelector('[data-testid]') || w).getAttribute('data-testid'));
      const broken = [...document.images].filter(i => !i.complete || i.naturalWidth === 0)
        .map(i => i.getAttribute('src'));
      // The innermost boxes whose content is wider than they are: where a long word sticks out.
      const sticking = [...document.body.querySelectorAll('*')]
        .filter(e => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1
                     && getComputedStyle(e).overflowX === 'visible')
        .slice(-3).map(e => e.tagName.toLowerCase() + '.' + e.className + ': '
                       + (e.textContent || '').trim().slice(0, 60));
      return {wide: root.scrollWidth - root.clientWidth, clipped, broken, sticking,
              images: document.images.length};
    }""")
    assert report["wide"] <= 1, (f"{name}: {report['wide']} px wider than the window; "
                                 f"sticking out: {report['sticking']}")
    assert report["broken"] == [], f"{name}: pictures that did not load: {report['broken']}"
    width = page.viewport_size["width"] if page.viewport_size else 0
    if width >= 1280 or name in ("dashboard-payments", "dashboard-deliveries"):
        assert report["clipped"] == [], f"{name}: tables scroll sideways: {report['clipped']}"


def visit(page: Page, url: str, status: int = 200) -> None:
    answer = page.goto(url)
    assert answer is not None and answer.status == status, url
    page.wait_for_load_state("load")


def test_every_page_fits_and_loads_its_pictures(world: World, sized: Page) -> None:
    page = sized
    for name, url in world.pages.items():
        visit(page, url, 401 if name == "checkout-bad-link" else 200)
        check_layout(page, name)

    # Pages reached by a form: the Shop's bundles, the checkout's code and waiting steps.
    visit(page, f"{world.url}/shop/{PRODUCT}")
    page.get_by_test_id("country-ZA").check()
    page.get_by_test_id("player-id").fill("PLAYER-7")
    page.get_by_test_id("check-player").click()
    expect(page.get_by_test_id("bundle-form")).to_be_visible()
    check_layout(page, "shop-bundles")
    visit(page, world.forms["checkout-code"])
    page.get_by_test_id("phone-number").fill(table.ANSWERING_PHONE)
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("code-form")).to_be_visible()
    check_layout(page, "checkout-code")
    visit(page, world.forms["checkout-waiting"])
    page.get_by_test_id("phone-number").fill(table.NO_ANSWER_PHONE)
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("status")).to_have_text("PENDING")
    check_layout(page, "checkout-waiting")
    visit(page, world.pages["checkout-card"])
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("form-error")).to_be_visible()
    check_layout(page, "checkout-card-errors")


def test_the_texts_people_read(world: World, sized: Page) -> None:
    """The storefront, the checkout and the dashboard say things as people say them."""
    page = sized
    visit(page, world.pages["shop"])
    expect(page.get_by_test_id("product-name")).to_have_text(
        "Galaxy Raiders: Legends of the Outer Rim")
    expect(page.get_by_test_id("product-countries").locator("svg.flag")).to_have_count(6)
    visit(page, world.pages["shop-product"])
    expect(page.get_by_test_id("bundle-label")).to_have_text(
        ["100 Gems", "550 Gems", "Mega chest · 1,200 Gems", "Legendary hoard · 25,000 Gems"])
    expect(page.get_by_test_id("bundle-price").first).to_have_text("NGN 1,500.00")
    visit(page, world.pages["shop-receipt"])
    expect(page.get_by_test_id("receipt-headline")).to_have_text("Top-up complete")
    expect(page.get_by_test_id("receipt-total")).to_have_text("NGN 6,000.00")
    expect(page.get_by_test_id("summary-status")).to_have_text("DELIVERED")

    visit(page, world.pages["checkout-result-declined"])
    expect(page.get_by_test_id("headline")).to_have_text("Payment failed")
    expect(page.get_by_text("Paid with")).to_have_count(0)
    expect(page.get_by_test_id("callback-hint")).to_contain_text("callbackFailureUrl")
    visit(page, world.pages["checkout-result-cancel"])
    expect(page.get_by_test_id("headline")).to_have_text("Payment cancelled")
    expect(page.get_by_test_id("callback-hint")).to_contain_text("callbackCancelUrl")

    visit(page, world.pages["dashboard-payment"])
    expect(page.get_by_test_id("amount")).to_have_text("NGN 6,000.00")
    expect(page.get_by_test_id("purchase-bundle")).to_contain_text("2 × 550 Gems")
    created = page.locator("time.moment").first
    iso = created.get_attribute("datetime")
    assert iso is not None and iso.endswith("Z") and created.get_attribute("title") == iso
    expect(created).to_have_text(json.loads(page.evaluate(
        """iso => { const d = new Date(iso), two = n => String(n).padStart(2, "0");
             const m = ["Jan","Feb","Mar","Apr","May","Jun","Jul","Aug","Sep","Oct","Nov","Dec"];
             return JSON.stringify(d.getDate() + " " + m[d.getMonth()] + " " + d.getFullYear()
               + ", " + two(d.getHours()) + ":" + two(d.getMinutes()) + ":"
               + two(d.getSeconds())); }""", iso)))
    visit(page, world.pages["dashboard-partners"])
    expect(page.get_by_test_id("partner-urls-form")).to_be_visible()
    expect(page.get_by_text("PATCH /_mock/partners/{id}")).to_have_count(0)
