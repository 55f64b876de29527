"""Legacy List Payment Methods (issue 15, point 3; pay1st-api.md §8.2): Basic auth with a
product's credentials, every query parameter mandatory, the documented flat shape, from the same
catalogue as the v4 list."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from pay1st_mock.config import MEMORY, settings_from_mapping
from tests.conftest import checked_app
from tests.support import basic

PATH = "/api/shop/payments/channels/hosted/external-groupings"
DEMO = basic("apiuser", "apipassword")
QUERY = {"platform": "SHOP", "countryCode": "NG", "productBundleId": "1", "quantity": "2",
         "amount": "2000", "statuses": ["ACTIVE", "SUSPENDED"]}


def listed(client: FlaskClient, auth: str | None = DEMO, **query: Any) -> TestResponse:
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = auth
    return client.get(PATH, query_string={**QUERY, **query}, headers=headers)


def test_the_documented_shape_from_the_v4_catalogue(client: FlaskClient) -> None:
    answer = listed(client)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    groups = answer.get_json()["data"]["groups"]
    kuda = next(c for g in groups for c in g["channels"] if c["channelName"] == "Kuda Bank")
    assert kuda == {"id": 56, "channelCode": kuda["channelCode"], "channelName": "Kuda Bank",
                    "paymentMethod": "BANK_TRANSFER", "status": "ACTIVE",
                    "imageLocation": kuda["imageLocation"]}
    # The same channels, with the same ids, as the v4 list of the country.
    v4 = client.application.extensions["pay1st_mock"].catalogue.api_groups("NG")
    assert [[c["id"] for c in g["channels"]] for g in groups] == [
        [c["id"] for c in g["channels"]] for g in v4]
    assert {g["id"] for g in groups} == {g["id"] for g in v4}
    # Only SUSPENDED channels were asked for: none is.
    assert listed(client, statuses="SUSPENDED").get_json() == {"data": {"groups": []}}
    assert "X-Pay1st-Mock-Warning" not in answer.headers


def test_every_parameter_is_mandatory_and_checked(client: FlaskClient) -> None:
    missing = client.get(PATH, query_string={"platform": "SHOP"}, headers={"Authorization": DEMO})
    assert missing.status_code == 400
    assert missing.get_json()["errorCode"] == "INVALID_PARAMETER"
    assert ("missing: countryCode, productBundleId, quantity, amount, statuses"
            in missing.get_json()["errorMessage"])
    cases = [({"platform": "WEB"}, 400, "INVALID_PARAMETER", "must be SHOP"),
             ({"statuses": "GONE"}, 400, "INVALID_PARAMETER", "ACTIVE and/or SUSPENDED"),
             ({"quantity": "two"}, 400, "INVALID_PARAMETER", "whole number"),
             ({"amount": "lots"}, 400, "INVALID_PARAMETER", "an amount"),
             ({"productBundleId": "999"}, 404, "BUNDLE_NOT_FOUND", "bundles: 1, 2, 3"),
             ({"productBundleId": "3"}, 400, "BUNDLE_INACTIVE", "not active"),
             ({"countryCode": "US"}, 400, "COUNTRY_NOT_SOLD", "sold in NG"),
             ({"quantity": "101"}, 400, "INVALID_QUANTITY", "from 1 to 100")]
    for query, status, code, words in cases:
        answer = listed(client, **query)
        assert (answer.status_code, answer.get_json()["errorCode"]) == (status, code), query
        assert words in answer.get_json()["errorMessage"], query
    warned = listed(client, amount="1999")
    assert warned.status_code == 200
    assert "1999 differs from the bundle's price" in warned.headers["X-Pay1st-Mock-Warning"]


def test_basic_auth_is_the_products_and_another_products_bundle_is_403(tmp_path: Any) -> None:
    bundles = [{"id": 10, "sku": "A", "name": "A", "tokens": 1, "prices": {"NG": 100}}]
    settings = settings_from_mapping({"version": 1, "server": {"data": MEMORY}, "products": [
        {"id": 1, "name": "One", "countries": ["NG"], "bundles": bundles,
         "basic_auth": {"username": "one", "password": "pw-one"}},
        {"id": 2, "name": "Two", "countries": ["NG"],
         "bundles": [{**bundles[0], "id": 20, "sku": "B"}],
         "basic_auth": {"username": "two", "password": "pw-two"}}]})
    with checked_app(settings) as app:
        client = app.test_client()
        query = {"productBundleId": "20", "amount": "100", "quantity": "1"}
        assert listed(client, basic("two", "pw-two"), **query).status_code == 200
        other = listed(client, basic("one", "pw-one"), **query)
        assert other.status_code == 403
        assert other.get_json()["errorCode"] == "ACCESS_DENIED"
        assert "belongs to another product" in other.get_json()["errorMessage"]
        assert listed(client, basic("two", "wrong"), **query).get_json()["errorCode"] == \
            "INVALID_CREDENTIALS"
        assert listed(client, None, **query).get_json()["errorCode"] == "MISSING_CREDENTIALS"
