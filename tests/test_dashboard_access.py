"""Reaching the dashboard: the control token kept in a cookie for browsers, the links from
``GET /`` and the ``serve`` banner, and its routes in ``/_mock/openapi.json``."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from pay1st_mock.config import CONTROL_TOKEN_HEADER, MEMORY, Settings
from pay1st_mock.process import ServerProcess
from pay1st_mock.web.control_auth import COOKIE
from tests.conftest import checked_app

TOKEN = "dashboard-control-token-0123"
UI = "/_mock/ui"


@pytest.fixture
def guarded() -> Iterator[Flask]:
    with checked_app(Settings(data=MEMORY, control_token=TOKEN)) as app:
        yield app


def error_message(response: TestResponse) -> str:
    """The message of a dashboard error page, as the reader sees it."""
    found = re.search(r'data-testid="error-message">(.*?)</p>', response.get_data(as_text=True),
                      re.S)
    assert found, response.get_data(as_text=True)[:500]
    return html.unescape(found.group(1))


def test_a_browser_without_the_token_is_told_how_to_get_in(guarded: Flask) -> None:
    refused = guarded.test_client().get(f"{UI}/payments")
    assert refused.status_code == 401 and refused.mimetype == "text/html"  # a page, for people
    assert f"open {UI}?token=<control token> once" in error_message(refused)


def test_a_wrong_token_in_the_link_sets_no_cookie(guarded: Flask) -> None:
    client = guarded.test_client()
    refused = client.get(UI, query_string={"token": "guess"})
    assert refused.status_code == 401
    assert "is not this server's control token" in error_message(refused)
    assert "Set-Cookie" not in refused.headers
    assert client.get_cookie(COOKIE, path="/_mock") is None


def test_the_token_link_keeps_the_token_in_a_strict_http_only_cookie(guarded: Flask) -> None:
    client = guarded.test_client()
    entered = client.get(UI, query_string={"token": TOKEN})
    assert entered.status_code == 303
    assert entered.location == UI
    cookie = entered.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}={TOKEN};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/_mock" in cookie
    # The browser follows the redirect with the cookie: the dashboard and the control API open.
    assert client.get(UI).status_code == 303
    page = client.get(f"{UI}/payments")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert client.get("/_mock/partners").status_code == 200
    assert client.post(f"{UI}/settings/clock", data={"amount": "1"}).status_code == 303


def test_a_wrong_cookie_is_refused_and_the_header_still_works(guarded: Flask) -> None:
    client = guarded.test_client()
    client.set_cookie(COOKIE, "stale-token", path="/_mock")
    refused = client.get(f"{UI}/journal")
    assert refused.status_code == 401
    assert "a wrong one was sent" in error_message(refused)
    fresh: FlaskClient = guarded.test_client()
    assert fresh.get(f"{UI}/journal", headers={CONTROL_TOKEN_HEADER: TOKEN}).status_code == 200
    assert fresh.get("/_mock/health").status_code == 200  # open, as before


def test_without_a_control_token_the_token_link_just_opens_the_dashboard(
        client: FlaskClient) -> None:
    opened = client.get(UI, query_string={"token": "anything"})
    assert opened.status_code == 303 and opened.location == f"{UI}/payments"
    assert "Set-Cookie" not in opened.headers


def test_the_index_links_the_dashboard(client: FlaskClient) -> None:
    index = client.get("/", base_url="http://mock.test:8080")
    assert index.get_json()["dashboard"] == "http://mock.test:8080/_mock/ui"


def test_every_dashboard_route_is_documented(client: FlaskClient) -> None:
    paths = client.get("/_mock/openapi.json").get_json()["paths"]
    pages = {f"{UI}/payments", f"{UI}/payments/{{reference}}", f"{UI}/deliveries",
             f"{UI}/deliveries/{{delivery_id}}", f"{UI}/journal", f"{UI}/partners",
             f"{UI}/settings"}
    for path in pages:
        answer = paths[path]["get"]["responses"]["200"]
        assert list(answer["content"]) == ["text/html"], path
        assert paths[path]["get"]["tags"] == ["dashboard"]
    forms = {f"{UI}/deliveries/{{delivery_id}}/resend", f"{UI}/settings/clock",
             f"{UI}/settings/faults/clear"}
    for path in forms:
        assert "Location" in paths[path]["post"]["responses"]["303"]["headers"], path
    clock = paths[f"{UI}/settings/clock"]["post"]["requestBody"]["content"]
    assert set(clock["application/x-www-form-urlencoded"]["schema"]["properties"]) == {
        "amount", "unit"}
    assert "303" in paths[UI]["get"]["responses"]
    queries = {p["name"] for p in paths[f"{UI}/payments"]["get"]["parameters"]}
    assert queries == {"partnerId", "status", "q", "limit"}


@pytest.mark.slow
def test_the_serve_banner_shows_the_dashboard(tmp_path: Path) -> None:
    with ServerProcess("--data", MEMORY, cwd=tmp_path) as server:
        url = server.url
        assert url is not None
        assert f"  Dashboard      {url}/_mock/ui" in server.stdout_lines, server.stdout
        assert server.stop() == 0
