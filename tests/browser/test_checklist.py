"""The go-live checklist page in real Chromium: a customer paying through the partner's
checkout link ticks "checkout link" on the open page's next load; a manual item is ticked with
its form; "Verify my webhook endpoint" shows what the partner's endpoint answered; the page fits
a phone."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from pay1st_mock.client import PartnerClient
from pay1st_mock.domain import outcome_table as table
from pay1st_mock.listener import WebhookListener
from tests.browser.test_checkout import CARD_CHANNEL, checkout_link, pay_by_card


def _item(page: Page, key: str) -> str:
    state = page.locator(f'[data-testid="item"][data-key="{key}"]').get_attribute("data-state")
    assert state is not None
    return state


def test_the_checklist_page_ticks_as_the_partner_works_and_takes_manual_ticks(
        page: Page, live_url: str, listener: WebhookListener) -> None:
    partner = PartnerClient.create(live_url, webhookUrl=f"{listener.url}/webhook")
    checklist_url = f"{live_url}/_mock/ui/partners/{partner.partner_id}/checklist"
    partner.login()
    created = partner.create_payment()

    page.goto(checklist_url)
    assert (_item(page, "gateway.token"), _item(page, "gateway.checkout")) == ("done", "todo")
    next_step = page.locator('[data-key="gateway.checkout"] [data-testid="item-next"]')
    expect(next_step).to_contain_text("accessToken=<URL-escaped token>")

    page.goto(checkout_link(live_url, created["reference"], partner.access_token, CARD_CHANNEL))
    pay_by_card(page, table.SUCCESS_CARD)
    partner.wait_for_delivery(created["reference"])

    page.goto(checklist_url)
    assert _item(page, "gateway.checkout") == "done"
    assert _item(page, "gateway.webhook") == "in_progress"

    uat = page.locator('[data-key="gateway.uat"]')
    uat.get_by_label("Note").fill("UAT with Ada, 3 Dec")
    uat.get_by_test_id("tick-button").click()
    expect(page.locator('[data-key="gateway.uat"]')).to_have_attribute("data-state", "done")
    expect(page.locator('[data-key="gateway.uat"] [data-testid="item-detail"]')).to_have_text(
        "UAT with Ada, 3 Dec")

    page.get_by_test_id("verify-webhooks").click()  # the listener accepts everything: wrong
    expect(page.get_by_test_id("verification-passed")).to_have_text("not as expected")
    rows = page.get_by_test_id("verification-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_have_attribute("data-passed", "false")
    page.get_by_test_id("back-to-checklist").click()
    assert _item(page, "gateway.webhook") == "problem"
    detail = page.locator('[data-key="gateway.webhook"] [data-testid="item-detail"]')
    expect(detail).to_contain_text("so it accepted an event it must refuse")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_url}/_mock/ui/checklists")
    expect(page.get_by_test_id("checklist-row")).to_have_count(2)
    page.goto(checklist_url)
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, "
                                   "document.documentElement.clientWidth]")
    assert scroll <= client, f"the checklist overflows a phone: {scroll} > {client} px"
