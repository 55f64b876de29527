"""The OpenAPI document at ``/_mock/openapi.json``: valid 3.1, complete, and true to the server."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from pay1st_mock.schemas import ID_PREFIX, load_schemas
from pay1st_mock.signing import sign_request
from pay1st_mock.web import gateway, openapi
from pay1st_mock.web.operations import Operation, endpoint_operation, undeclared_endpoints
from tests.support import AUTH, PAYMENT, SANDBOX, basic, now_timestamp, payment_body

REFUND = "application/vnd.carry1st.payments.refund+json"

DOC_URI = "urn:pay1st-mock:openapi"
IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def api_app(app: Flask) -> Flask:
    """``app`` with the OpenAPI blueprint (until ``create_app`` registers it itself)."""
    if "openapi" not in app.blueprints:
        app.register_blueprint(openapi.blueprint)
    return app


@pytest.fixture
def api_client(api_app: Flask) -> FlaskClient:
    return api_app.test_client()


@pytest.fixture
def document(api_client: FlaskClient) -> dict[str, Any]:
    response = api_client.get("/_mock/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body: dict[str, Any] = json.loads(response.get_data())
    return body


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def operation_named(document: dict[str, Any], operation_id: str) -> dict[str, Any]:
    found = [op for _, _, op in operations(document) if op["operationId"] == operation_id]
    assert len(found) == 1, f"{operation_id}: {len(found)} operations"
    return found[0]


def pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"{ref} is not a local reference"
    node: Any = document
    for part in ref[2:].split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def success(operation: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    found = [(s, r) for s, r in operation["responses"].items() if s != "default"]
    assert len(found) == 1, operation["operationId"]
    return found[0]


def validator(document: dict[str, Any], schema_pointer: str) -> Draft202012Validator:
    """A validator for the schema at ``schema_pointer``, resolving refs inside the document."""
    registry: Registry[Any] = Registry().with_resource(
        DOC_URI, Resource.from_contents(document, default_specification=DRAFT202012))
    return Draft202012Validator({"$ref": DOC_URI + schema_pointer}, registry=registry,
                                format_checker=FormatChecker())


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    validate(document, cls=OpenAPIV31SpecValidator)


def test_every_route_is_documented_and_every_operation_is_a_route(
        api_app: Flask, document: dict[str, Any]) -> None:
    served = set()
    for rule in api_app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in (rule.methods or set()) - IGNORED_METHODS:
            served.add((method.lower(), path))
    documented = {(method, path) for path, method, _ in operations(document)}
    assert served - documented == set(), "routes missing from the document"
    assert documented - served == set(), "documented operations the app does not serve"
    # And each operation, with sample path values, reaches the view its operationId names.
    urls = api_app.url_map.bind("localhost")
    for path, method, operation in operations(document):
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        endpoint, _ = urls.match(concrete, method.upper())
        assert operation["operationId"] == endpoint


def test_operation_ids_are_unique_and_summaries_come_from_docstrings(
        api_app: Flask, document: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    token = operation_named(document, "gateway.token")
    assert token["summary"] == (gateway.token.__doc__ or "").strip().replace("``", "`")
    assert token["tags"] == ["gateway"]
    complete = operation_named(document, "control.complete_payment")
    assert "409" in complete["description"]
    for _, _, operation in operations(document):
        assert operation["summary"], operation["operationId"]


def declared(app: Flask, prefix: str) -> dict[str, Operation]:
    """The operations declared by the views of endpoints starting with ``prefix``."""
    found = {endpoint: endpoint_operation(app, endpoint) for endpoint in app.view_functions
             if endpoint.startswith(prefix)}
    return {endpoint: op for endpoint, op in found.items() if op is not None}


def test_every_route_declares_its_operation(api_app: Flask) -> None:
    assert undeclared_endpoints(api_app) == []

    @api_app.get("/_mock/undeclared")
    def undeclared() -> str:
        """A view someone forgot to declare."""
        return "{}"

    assert undeclared_endpoints(api_app) == ["undeclared"]
    api_app.extensions.pop(openapi.EXTENSION_KEY, None)  # build afresh, not from the cache
    with pytest.raises(LookupError, match="'undeclared' declares no Operation"):
        openapi.build(api_app)


def test_declared_schemas_are_what_the_document_references(
        api_app: Flask, document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    operations_ = {**declared(api_app, "gateway."), **declared(api_app, "control."),
                   **declared(api_app, "shop_control.")}
    assert len(operations_) >= 20
    for endpoint, op in operations_.items():
        if op.response is not None:
            _, response = success(operation_named(document, endpoint))
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/" + openapi.schema_key(op.response)}
            assert resolve(document, schema["$ref"]) is components[
                openapi.schema_key(op.response)]
        if op.request is not None:
            content = operation_named(document, endpoint)["requestBody"]["content"]
            ((media_type, media),) = content.items()
            assert media_type == op.media_type
            assert media["schema"] == {"$ref": "#/components/schemas/"
                                       + openapi.schema_key(op.request)}
    media_types = {endpoint: next(iter(operation_named(document, endpoint)
                                       ["requestBody"]["content"]))
                   for endpoint, op in declared(api_app, "gateway.").items() if op.request}
    assert media_types == {"gateway.token": AUTH, "gateway.refresh": AUTH,
                           "gateway.create_payment": PAYMENT, "gateway.fulfil": PAYMENT,
                           "gateway.create_refund": REFUND}
    for endpoint, op in declared(api_app, "control.").items():
        if op.request:
            assert list(operation_named(document, endpoint)["requestBody"]["content"]) == [
                "application/json"]


def test_statuses_media_types_security_and_parameters(document: dict[str, Any]) -> None:
    def status(endpoint: str) -> str:
        return success(operation_named(document, endpoint))[0]

    assert status("gateway.create_payment") == "201"
    assert status("control.create_partner") == "201"
    assert status("shop_control.create_purchase") == "201"
    assert status("control.resend_delivery") == "202"
    assert status("gateway.token") == "200"
    assert "content" not in success(operation_named(document, "gateway.fulfil"))[1]
    for endpoint in ("checkout.choose", "checkout.submit", "checkout.cancel", "checkout.leave",
                     "shop.buy", "legacy.payment_link"):
        assert status(endpoint) == "303"
        assert "Location" in success(operation_named(document, endpoint))[1]["headers"]
    for endpoint in ("checkout.page", "checkout.result", "shop.products", "shop.receipt"):
        assert list(success(operation_named(document, endpoint))[1]["content"]) == ["text/html"]
    form = operation_named(document, "checkout.choose")["requestBody"]["content"]
    assert list(form) == ["application/x-www-form-urlencoded"]
    assert form["application/x-www-form-urlencoded"]["schema"]["type"] == "object"

    assert operation_named(document, "gateway.token")["security"] == [{"basicAuth": []}]
    assert operation_named(document, "legacy.legacy_status")["security"] == [{"basicAuth": []}]
    assert operation_named(document, "gateway.create_payment")["security"] == [
        {"AccessToken": []}]
    assert set(document["components"]["securitySchemes"]) == {"basicAuth", "AccessToken"}

    def parameters(endpoint: str) -> dict[tuple[str, str], dict[str, Any]]:
        return {(p["in"], p["name"]): p
                for p in operation_named(document, endpoint).get("parameters", [])}

    signed = parameters("gateway.create_payment")
    assert signed[("header", "X-SIGNATURE")]["required"] is True
    assert signed[("header", "X-TIMESTAMP")]["required"] is True
    assert parameters("gateway.payment_methods")[("query", "countryCode")]["required"] is True
    assert parameters("gateway.query_payment")[("query", "reference")]["required"] is True
    assert {("query", n) for n in ("partnerId", "status", "limit")} <= set(
        parameters("control.list_payments"))
    partner = parameters("control.show_partner")[("path", "partner_id")]
    assert partner["required"] is True and partner["schema"]["type"] == "integer"
    assert ("query", "externalReference") in parameters("legacy.legacy_status")
    assert {("query", "reference"), ("query", "accessToken")} <= set(
        parameters("checkout.page"))


def test_every_schema_is_a_component_and_every_ref_resolves(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    expected = {openapi.schema_key(uri) for uri in load_schemas().documents}
    assert set(components) == expected
    assert all(re.fullmatch(r"[a-zA-Z0-9._-]+", key) for key in components)
    assert "gateway_create-payment-request" in components
    found = list(refs(document))
    assert len(found) > 50
    for ref in found:
        resolve(document, ref)  # KeyError names the broken one
    assert not any(ID_PREFIX in ref for ref in found)
    for operation_ref in refs(document["paths"]):
        assert operation_ref.startswith(("#/components/schemas/", "#/components/responses/"))


def test_a_real_token_response_follows_the_schema_the_document_names(
        api_client: FlaskClient, document: dict[str, Any]) -> None:
    path = "/api/pay1st/auth/token"
    response = api_client.post(path, data=json.dumps({"role": "API_USER"}), headers={
        "Authorization": basic(SANDBOX["api_key"], SANDBOX["api_secret"]),
        "Content-Type": AUTH})
    assert response.status_code == 200
    where = pointer("paths", path, "post", "responses", "200", "content", "application/json",
                    "schema")
    check = validator(document, where)
    body = response.get_json()
    assert list(check.iter_errors(body)) == []
    assert not check.is_valid({**body, "accessToken": ""})  # the schema does bite
    assert not check.is_valid({**body, "surprise": 1})

    # The created payment, signed, and an error against the document's default response.
    raw = json.dumps(payment_body()).encode()
    timestamp = now_timestamp()
    created = api_client.post("/api/pay1st/payments/create", data=raw, headers={
        "AccessToken": f"Bearer {body['accessToken']}", "Content-Type": PAYMENT,
        "X-TIMESTAMP": timestamp, "X-SIGNATURE": sign_request(SANDBOX["signing_key"],
                                                               timestamp, raw)})
    assert created.status_code == 201, created.get_data(as_text=True)
    where = pointer("paths", "/api/pay1st/payments/create", "post", "responses", "201",
                    "content", "application/json", "schema")
    assert list(validator(document, where).iter_errors(created.get_json())) == []

    refused = api_client.post(path, data=json.dumps({"role": "API_USER"}),
                              headers={"Content-Type": AUTH})
    assert refused.status_code == 401
    default = operation_named(document, "gateway.token")["responses"]["default"]
    error_pointer = default["$ref"] + "/content/application~1json/schema"
    check = validator(document, error_pointer)
    assert list(check.iter_errors(refused.get_json())) == []
    assert not check.is_valid({**refused.get_json(), "errorCode": "NOT_A_DOCUMENTED_CODE"})


def test_the_document_is_built_once_per_app(api_app: Flask, api_client: FlaskClient) -> None:
    first = api_client.get("/_mock/openapi.json").get_data()
    assert openapi.build(api_app) is openapi.build(api_app)
    assert api_client.get("/_mock/openapi.json").get_data() == first
