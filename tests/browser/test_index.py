"""``GET /`` in a real browser (issue 17, point 6): a small landing page with links that work;
clients asking for JSON still get JSON."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Page, expect

from pay1st_mock import __version__

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_browser_gets_a_landing_page_whose_links_work(live_url: str, page: Page) -> None:
    answer = page.goto(live_url + "/")
    assert answer is not None and answer.status == 200
    assert answer.headers["content-type"].startswith("text/html")
    expect(page.locator("h1")).to_contain_text(f"pay1st-mock {__version__}")
    expect(page.get_by_test_id("gateway-url")).to_have_text(f"{live_url}/api/pay1st")
    expect(page.locator("main")).to_contain_text("/checkout?reference=")
    for test_id, path in (("link-dashboard", "/_mock/ui"), ("link-shop", "/shop"),
                          ("link-openapi", "/_mock/openapi.json"),
                          ("link-health", "/_mock/health")):
        link = page.get_by_test_id(test_id)
        expect(link).to_have_attribute("href", live_url + path)
        status = requests.get(live_url + path, headers={"Accept": BROWSER_ACCEPT}, timeout=5)
        assert status.status_code == 200, (path, status.text[:200])
    page.get_by_test_id("link-dashboard").click()
    expect(page).to_have_url(f"{live_url}/_mock/ui/payments")


@pytest.mark.context(viewport={"width": 390, "height": 844})
def test_the_landing_page_fits_a_phone(live_url: str, page: Page) -> None:
    page.goto(live_url + "/")
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, "
                                   "document.documentElement.clientWidth]")
    assert scroll <= client + 1


@pytest.mark.parametrize("accept", [None, "*/*", "application/json",
                                    "application/json, text/html;q=0.5"])
def test_clients_that_ask_for_json_get_json(live_url: str, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    answer = requests.get(live_url + "/", headers=headers, timeout=5)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json()["gateway"] == f"{live_url}/api/pay1st"
    assert "Accept" in answer.headers["Vary"]


def test_the_page_is_in_the_openapi_document(live_url: str) -> None:
    document = requests.get(live_url + "/_mock/openapi.json", timeout=5).json()
    content = document["paths"]["/"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/html"}
