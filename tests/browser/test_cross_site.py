"""A real browser on a page of another site cannot drive the control API (issue 16, point 3).

The "other site" is a page served on another port of 127.0.0.1 (cross-origin, same-site: the
case of any other local dev server): it posts a ``text/plain`` form built so that its body is
valid JSON, and sends a ``no-cors`` fetch, the two requests a page may make without asking.
Neither may change the emulator. The dashboard's own forms keep working (``test_dashboard.py``
resends a delivery from its page).
"""

from __future__ import annotations

import html

import requests
from playwright.sync_api import Page

from pay1st_mock.listener import Received, Reply, WebhookListener

ATTACK = """<!doctype html>
<html><body>
<form id="f" method="post" enctype="text/plain" action="{emulator}/_mock/partners">
  <input type="hidden" name='{{"code": "EVIL", "name": "x' value='y"}}'>
</form>
<p id="state">loading</p>
<script>
fetch("{emulator}/_mock/clock/advance", {{method: "POST", mode: "no-cors",
  headers: {{"Content-Type": "text/plain"}}, body: '{{"seconds": 3600}}'}})
  .catch(function () {{}})
  .then(function () {{ document.getElementById("state").textContent = "sent";
                      document.getElementById("f").submit(); }});
</script>
</body></html>
"""


def test_a_page_of_another_origin_cannot_change_the_emulator(live_url: str, page: Page) -> None:
    attack = ATTACK.format(emulator=html.escape(live_url))

    def answer(received: Received) -> Reply:
        return 200, attack, {"Content-Type": "text/html; charset=utf-8"}

    with WebhookListener(answer) as evil:
        with page.expect_navigation(url=f"{live_url}/_mock/partners") as navigation:
            page.goto(f"{evil.url}/attack.html")
        refused = navigation.value
        assert refused is not None and refused.status == 403
        assert refused.json()["errorCode"] == "CROSS_SITE_REQUEST"

    partners = requests.get(f"{live_url}/_mock/partners", timeout=10).json()["partners"]
    assert "EVIL" not in [p["code"] for p in partners]
    clock = requests.get(f"{live_url}/_mock/clock", timeout=10).json()
    assert clock["offsetSeconds"] == 0, "the page's fetch moved the emulator clock"
