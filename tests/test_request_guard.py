"""A web page cannot drive or read the token-less control API (issue 16, point 3).

A page of another site reaches 127.0.0.1 through the user's browser: by a form or ``fetch``
(refused by ``Origin``/``Referer``/``Sec-Fetch-Site``, and by the JSON-only rule for bodies), or
by DNS rebinding (refused by ``Host``). curl, scripts and the dashboard's own forms keep working.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from pay1st_mock.config import CONTROL_TOKEN_HEADER, MEMORY, Settings
from tests.conftest import checked_app

EVIL = "http://evil.example"
SERVED = "http://127.0.0.1:8080"


class _Browser:
    """Flask's test client addressing the server as ``base`` (the ``Host`` header)."""

    def __init__(self, client: FlaskClient, base: str) -> None:
        self.client, self.base = client, base

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, base_url=self.base, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.post(path, base_url=self.base, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.delete(path, base_url=self.base, **kwargs)


def _client(app: Flask, base: str = SERVED) -> _Browser:
    return _Browser(app.test_client(), base)


def _refused(response: TestResponse, code: str = "CROSS_SITE_REQUEST") -> None:
    assert response.status_code == (403 if code == "CROSS_SITE_REQUEST" else 405), \
        response.get_data(as_text=True)
    assert response.json is not None and response.json["errorCode"] == code


def _partner_codes(app: Flask) -> list[str]:
    partners = _client(app).get("/_mock/partners").json
    assert partners is not None
    return [p["code"] for p in partners["partners"]]


# -- DNS rebinding: a foreign Host -------------------------------------------------------------

def test_a_rebinding_page_cannot_read_the_partners_secrets(app: Flask) -> None:
    answer = _client(app, "http://evil.example:8080").get("/_mock/partners")
    _refused(answer)
    assert "sandbox-api-secret" not in answer.get_data(as_text=True)
    assert "evil.example:8080" in answer.json["errorMessage"]  # type: ignore[index]
    assert "server.allowed_hosts" in answer.json["errorMessage"]  # type: ignore[index]
    page = _client(app, "http://evil.example:8080").get("/_mock/ui/partners")
    assert page.status_code == 403 and "sandbox-api-secret" not in page.get_data(as_text=True)


@pytest.mark.parametrize("host", ["127.0.0.1:8080", "localhost:8080", "[::1]:8080",
                                  "192.168.1.20:8080", "app.localhost:8080", "localhost"])
def test_addresses_and_localhost_are_served(app: Flask, host: str) -> None:
    assert _client(app, f"http://{host}").get("/_mock/partners").status_code == 200


def test_health_answers_whatever_the_host(app: Flask) -> None:
    assert _client(app, "http://evil.example").get("/_mock/health").status_code == 200


def test_a_name_in_allowed_hosts_is_served() -> None:
    settings = Settings(data=MEMORY, allowed_hosts=("pay1st-mock",))
    with checked_app(settings) as app:
        assert _client(app, "http://pay1st-mock:8080").get("/_mock/partners").status_code == 200
        assert _client(app, "http://other-name:8080").get("/_mock/partners").status_code == 403


def test_the_control_token_passes_any_host() -> None:
    token = "a-control-token-of-16+"
    with checked_app(Settings(data=MEMORY, control_token=token)) as app:
        assert _client(app, "http://ci-box.internal:8080").get(
            "/_mock/partners", headers={CONTROL_TOKEN_HEADER: token}).status_code == 200


# -- cross-site requests: Origin, Referer, Sec-Fetch-Site, bodies a form can send ---------------

CROSS_SITE: dict[str, dict[str, str]] = {
    "foreign Origin": {"Origin": EVIL},
    "null Origin": {"Origin": "null"},
    "same host, other port": {"Origin": "http://127.0.0.1:3000"},
    "foreign Referer": {"Referer": f"{EVIL}/page.html"},
    "Sec-Fetch-Site": {"Sec-Fetch-Site": "cross-site"},
}


@pytest.mark.parametrize("headers", CROSS_SITE.values(), ids=CROSS_SITE.keys())
def test_state_changing_calls_from_another_site_are_refused(app: Flask,
                                                            headers: dict[str, str]) -> None:
    client = _client(app)
    _refused(client.post("/_mock/partners", json={"code": "EVIL"}, headers=headers))
    _refused(client.post("/_mock/reset", headers=headers))
    _refused(client.post("/_mock/clock/advance", json={"seconds": 60}, headers=headers))
    _refused(client.delete("/_mock/faults", headers=headers))
    assert "EVIL" not in _partner_codes(app)
    assert client.get("/_mock/clock").json["offsetSeconds"] == 0  # type: ignore[index]


FORM_BODIES: dict[str, dict[str, Any]] = {
    "text/plain": {"data": '{"seconds": 3600}', "content_type": "text/plain"},
    "multipart": {"data": {"seconds": "3600"}, "content_type": "multipart/form-data"},
    "form fields": {"data": {"seconds": "3600"},
                    "content_type": "application/x-www-form-urlencoded"},
    "empty form": {"data": "", "content_type": "application/x-www-form-urlencoded"},
}


@pytest.mark.parametrize("body", FORM_BODIES.values(), ids=FORM_BODIES.keys())
def test_bodies_a_form_can_send_are_refused_even_without_origin(app: Flask,
                                                                 body: dict[str, Any]) -> None:
    """An old browser may post a form without Origin; what a form sends is never JSON."""
    client = _client(app)
    _refused(client.post("/_mock/clock/advance", **body), "UNSUPPORTED_MEDIA_TYPE")
    _refused(client.post("/_mock/reset", **body), "UNSUPPORTED_MEDIA_TYPE")
    assert client.get("/_mock/clock").json["offsetSeconds"] == 0  # type: ignore[index]


def test_scripts_and_curl_keep_working(app: Flask) -> None:
    client = _client(app)
    # requests/PartnerClient (application/json), curl -d (its default form type, JSON text),
    # curl --data-binary without a type, and a call with no body at all.
    assert client.post("/_mock/clock/advance", json={"seconds": 1}).status_code == 200
    assert client.post("/_mock/clock/advance", data='{"seconds": 1}',
                       content_type="application/x-www-form-urlencoded").status_code == 200
    assert client.post("/_mock/clock/advance", data='{"seconds": 1}').status_code == 200
    assert client.post("/_mock/partners").status_code == 201
    # A page of this server itself (same origin) may change it too.
    assert client.post("/_mock/clock/advance", json={"seconds": 1},
                       headers={"Origin": SERVED, "Sec-Fetch-Site": "same-origin"}
                       ).status_code == 200


def test_the_dashboard_forms_work_from_the_dashboard_only(app: Flask) -> None:
    client = _client(app)
    own = client.post("/_mock/ui/settings/clock", data={"amount": "2", "unit": "seconds"},
                      headers={"Origin": SERVED, "Referer": f"{SERVED}/_mock/ui/settings",
                               "Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 303, own.get_data(as_text=True)
    refused = client.post("/_mock/ui/settings/clock", data={"amount": "3600", "unit": "seconds"},
                          headers={"Origin": EVIL, "Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403
    assert refused.mimetype == "text/html"  # the dashboard's error page, not JSON
    assert client.get("/_mock/clock").json["offsetSeconds"] == 2  # type: ignore[index]


def test_the_dashboard_behind_a_tls_proxy_keeps_its_forms() -> None:
    """The proxy forwards https://mock.example as plain http with Host: mock.example."""
    with checked_app(Settings(data=MEMORY, allowed_hosts=("mock.example",))) as app:
        client = _client(app, "http://mock.example")
        own = client.post("/_mock/ui/settings/clock", data={"amount": "1", "unit": "seconds"},
                          headers={"Origin": "https://mock.example"})
        assert own.status_code == 303, own.get_data(as_text=True)
        other_port = client.post("/_mock/ui/settings/clock", data={"amount": "1"},
                                 headers={"Origin": "https://mock.example:8443"})
        assert other_port.status_code == 403
