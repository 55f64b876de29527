"""Every page carries protective headers (issue 16, point 8): a strict Content-Security-Policy,
no framing, ``nosniff`` and a Referrer-Policy that keeps the checkout's access token here.
A real browser runs the pages under these headers in ``tests/browser``."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.harness import ClientPartner


def _directives(response: TestResponse) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:])
            for part in (p.strip() for p in policy.split(";")) if part}


def _assert_protected_page(response: TestResponse) -> dict[str, str]:
    assert response.mimetype == "text/html"
    csp = _directives(response)
    assert csp["default-src"] == "'none'"  # nothing from elsewhere: no external assets exist
    assert csp["frame-ancestors"] == "'none'" and csp["base-uri"] == "'none'"
    assert csp["script-src"].startswith("'nonce-") and "unsafe" not in csp["script-src"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    return csp


def _checkout_link(client: FlaskClient) -> str:
    partner = ClientPartner(client).login()
    reference = partner.create_reference()
    assert partner.access_token is not None
    return f"/checkout?reference={reference}&accessToken={quote(partner.access_token, safe='')}"


def test_the_checkout_page_is_protected(client: FlaskClient) -> None:
    page = client.get(_checkout_link(client))
    assert page.status_code == 200
    csp = _assert_protected_page(page)
    # A finished payment's form is answered with a redirect to the partner's callback URL,
    # which browsers check against form-action: the checkout must not restrict it.
    assert "form-action" not in csp


@pytest.mark.parametrize("path", ["/_mock/ui/payments", "/_mock/ui/partners",
                                  "/_mock/ui/settings", "/_mock/ui/payments/C-000-P"])
def test_dashboard_pages_are_protected_and_run_only_their_own_script(client: FlaskClient,
                                                                     path: str) -> None:
    page = client.get(path)
    csp = _assert_protected_page(page)
    assert csp["form-action"] == "'self'" and csp["connect-src"] == "'self'"
    nonce = csp["script-src"].removeprefix("'nonce-").removesuffix("'")
    scripts = re.findall(r"<script([^>]*)>", page.get_data(as_text=True))
    assert scripts, "the dashboard's live refresh script is gone"
    assert all(f'nonce="{nonce}"' in attributes for attributes in scripts)
    assert client.get(path).headers["Content-Security-Policy"] != page.headers[
        "Content-Security-Policy"], "the nonce must change with every response"


@pytest.mark.parametrize("path", ["/shop", "/checkout?reference=C-1-P&accessToken=x",
                                  "/shop/999"])
def test_shop_and_error_pages_are_protected(client: FlaskClient, path: str) -> None:
    _assert_protected_page(client.get(path))


def test_json_answers_are_not_sniffed_and_redirects_keep_the_token_here(
        client: FlaskClient) -> None:
    health = client.get("/_mock/health")
    assert health.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in health.headers
    dashboard = client.get("/_mock/ui")
    assert dashboard.status_code == 303
    assert dashboard.headers["Referrer-Policy"] == "same-origin"
