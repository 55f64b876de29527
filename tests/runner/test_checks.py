"""``expect`` checks (status, schema, body subset, headers, latency) and capture paths."""

from __future__ import annotations

from typing import Any

import pytest

from pay1st_mock.runner.checks import (
    Unmet,
    check_headers,
    check_latency,
    check_schema,
    check_status,
    read_path,
    run_checks,
    subset_mismatches,
)
from pay1st_mock.runner.results import Exchange, Subject, parse_body, subject_of
from pay1st_mock.schemas import ID_PREFIX, load_schemas

SCHEMAS = load_schemas()


def messages(unmet: list[Unmet]) -> list[str]:
    return [str(u) for u in unmet]


# --- status --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("expected", "status"), [
    (200, 200), ([200, 201], 201), ("2xx", 204), ("2xx", 299), (["4xx"], 401),
    (["5xx", 404], 404), ("1xx", 101), ([500, "2xx"], 200),
])
def test_status_met(expected: Any, status: int) -> None:
    assert check_status(expected, status) == []


@pytest.mark.parametrize(("expected", "status", "message"), [
    (200, 500, "status: expected 200, got 500"),
    ([200, 201], 204, "status: expected 200 or 201, got 204"),
    ("2xx", 404, "status: expected 2xx, got 404"),
    (["4xx"], 200, "status: expected 4xx, got 200"),
    (["4xx", 500], 302, "status: expected 4xx or 500, got 302"),
    (400, 401, "status: expected 400, got 401"),
])
def test_status_unmet_says_expected_and_got(expected: Any, status: int, message: str) -> None:
    assert messages(check_status(expected, status)) == [message]


def test_no_status_means_nothing_answered() -> None:
    assert messages(check_status([200, "3xx"], None)) == [
        "status: expected 200 or 3xx; no status (nothing answered)"]


# --- schema --------------------------------------------------------------------------------------

FULFILMENT = {"reference": "C-1-P",
              "products": [{"sku": "CRE-11", "fulfilmentStatus": "FULFILLED", "quantity": 1}]}


@pytest.mark.parametrize("name", [
    "gateway/fulfilment-request.json",
    "gateway/fulfilment-request",
    ID_PREFIX + "gateway/fulfilment-request.json",
])
def test_schema_by_relative_path_or_id(name: str) -> None:
    assert check_schema(name, FULFILMENT, SCHEMAS) == []
    unmet = check_schema(name, {"reference": "", "products": []}, SCHEMAS)
    assert messages(unmet) == [
        f"schema: {name}: $.products: expected at least 1 item(s), got 0",
        f"schema: {name}: $.reference: expected at least 1 character(s), got 0"]


def test_schema_unknown_fields_are_warnings_and_pass() -> None:
    assert check_schema("gateway/fulfilment-request.json", {**FULFILMENT, "note": "x"},
                        SCHEMAS) == []


def test_schema_on_a_text_body_says_what_it_got() -> None:
    assert messages(check_schema("shop/user-info-response.json", "Internal Error", SCHEMAS)) == [
        'schema: shop/user-info-response.json: $: expected an object, got the string '
        '"Internal Error"']


def test_an_unknown_schema_lists_the_known_ones() -> None:
    (unmet,) = check_schema("shop/user-info.json", {}, SCHEMAS)
    assert unmet.check == "schema"
    assert unmet.message.startswith("no schema 'shop/user-info.json'; known schemas: ")
    known = unmet.message.split("known schemas: ", 1)[1].split(", ")
    assert "shop/user-info-response.json" in known
    assert "gateway/fulfilment-request.json" in known
    assert known == sorted(known)


# --- body subset ---------------------------------------------------------------------------------

ACTUAL = {"reference": "C-1-P", "status": "SUCCESSFUL", "amount": 100, "paid": True,
          "products": [{"sku": "A", "quantity": 1, "extra": "x"}, {"sku": "B", "quantity": 2}],
          "meta": {"customerId": "7", "tags": []}, "note": None}


@pytest.mark.parametrize("expected", [
    {},
    {"reference": "C-1-P"},
    {"meta": {"customerId": "7"}},
    {"products": [{"sku": "A"}, {"sku": "B", "quantity": 2}]},
    {"products": [{}, {}], "note": None, "paid": True, "amount": 100.0},
    ACTUAL,
])
def test_body_subset_allows_extra_keys(expected: Any) -> None:
    assert subset_mismatches(expected, ACTUAL, "$") == []


@pytest.mark.parametrize(("expected", "found"), [
    ({"reference": "C-2-P"}, ['$.reference: expected "C-2-P", got "C-1-P"']),
    ({"missing": 1}, ["$.missing: missing; expected 1"]),
    ({"meta": {"customerId": 7}}, ['$.meta.customerId: expected 7, got "7"']),
    ({"products": [{"sku": "A"}]},
     ['$.products: expected 1 item(s), got 2: [{"sku":"A","quantity":1,"extra":"x"},'
      '{"sku":"B","quantity":2}]']),
    ({"products": [{"sku": "B"}, {"sku": "A", "quantity": 3}]},
     ['$.products[0].sku: expected "B", got "A"', '$.products[1].sku: expected "A", got "B"',
      "$.products[1].quantity: expected 3, got 2"]),
    ({"meta": {"tags": ["x"]}}, ["$.meta.tags: expected 1 item(s), got 0: []"]),
    ({"reference": {"id": 1}}, ['$.reference: expected an object, got the string "C-1-P"']),
    ({"meta": []}, ["$.meta: expected an array, got an object"]),
    ({"paid": 1, "amount": True}, ["$.paid: expected 1, got true",
                                   "$.amount: expected true, got 100"]),
    ({"note": "x", "status": None}, ['$.note: expected "x", got null',
                                      '$.status: expected null, got "SUCCESSFUL"']),
])
def test_body_mismatches_name_the_path(expected: Any, found: list[str]) -> None:
    assert subset_mismatches(expected, ACTUAL, "$") == found


def test_a_body_that_is_not_json_is_compared_as_text() -> None:
    assert subset_mismatches({"a": 1}, "oops", "$") == [
        '$: expected an object, got the string "oops"']
    assert subset_mismatches("ok", "ok", "$") == []


def test_long_values_are_shortened() -> None:
    (message,) = subset_mismatches({"a": "x"}, {"a": "y" * 500}, "$")
    assert message == '$.a: expected "x", got "' + "y" * 116 + "..."


def test_a_number_does_not_match_a_boolean() -> None:
    assert subset_mismatches({"count": 1}, {"count": True}, "$") != []
    assert subset_mismatches({"count": 0}, {"count": False}, "$") != []


# --- headers -------------------------------------------------------------------------------------

HEADERS = {"Content-Type": "application/json", "X-Request-Id": "abc"}


def test_headers_are_matched_case_insensitively() -> None:
    assert check_headers({"content-type": "application/json", "X-REQUEST-ID": "abc",
                          "x-absent": None}, HEADERS) == []


def test_header_mismatches() -> None:
    assert messages(check_headers({"content-type": "text/plain", "X-Missing": "1",
                                   "x-request-id": None}, HEADERS)) == [
        "headers: content-type: expected 'text/plain', got 'application/json'",
        "headers: X-Missing: expected '1', got no such header",
        "headers: x-request-id: expected no such header, got 'abc'"]


# --- latency -------------------------------------------------------------------------------------


def test_latency() -> None:
    assert check_latency(100, 99.9) == []
    assert check_latency(100, 100) == []
    assert messages(check_latency(100, 250.4)) == [
        "max_latency_ms: expected an answer within 100 ms, it took 250 ms"]
    assert messages(check_latency(1500.5, None)) == [
        "max_latency_ms: expected an answer within 1500.5 ms; none came"]


# --- all together --------------------------------------------------------------------------------


def test_run_checks_reports_every_unmet_check_in_order() -> None:
    subject = Subject(status=500, headers={"Content-Type": "text/plain"}, body="boom",
                      latency_ms=30)
    expect = {"status": "2xx", "schema": "shop/user-info-response.json", "body": {"a": 1},
              "headers": {"content-type": "application/json"}, "max_latency_ms": 10}
    assert [u.check for u in run_checks(expect, subject, SCHEMAS)] == [
        "status", "schema", "body", "headers", "max_latency_ms"]
    assert run_checks({}, subject, SCHEMAS) == []
    assert run_checks({"status": 500, "body": "boom"}, subject, SCHEMAS) == []


def test_the_subject_of_an_exchange_parses_its_body() -> None:
    exchange = Exchange("GET", "http://x", status=200, response_headers={"A": "1"},
                        response_body='{"ok": true}', latency_ms=3.0)
    subject = subject_of(exchange)
    assert (subject.status, subject.body, subject.latency_ms) == (200, {"ok": True}, 3.0)
    assert subject.as_data() == {"status": 200, "headers": {"A": "1"}, "body": {"ok": True},
                                 "latency_ms": 3.0}
    assert parse_body("  ") is None and parse_body("plain") == "plain"
    assert parse_body("[1, 2]") == [1, 2]


# --- capture paths -------------------------------------------------------------------------------

DATA = Subject(status=201, headers={"Content-Type": "application/json", "Location": "/p/1"},
               body={"reference": "C-1-P", "products": [{"sku": "A"}, {"sku": "B"}],
                     "Name": "x", "snake_case-key": 3},
               extra={"findings": ["one"]}).as_data()


@pytest.mark.parametrize(("path", "value"), [
    ("$.status", 201),
    ("$.body.reference", "C-1-P"),
    ("$.body.products[1].sku", "B"),
    ("$.body.products", [{"sku": "A"}, {"sku": "B"}]),
    ("$.body.snake_case-key", 3),
    ("$.headers.Location", "/p/1"),
    ("$.headers.location", "/p/1"),
    ("$.headers.CONTENT-TYPE", "application/json"),
    ("$.findings[0]", "one"),
    ("$", DATA),
])
def test_read_path(path: str, value: Any) -> None:
    assert read_path(DATA, path) == value


@pytest.mark.parametrize(("path", "message"), [
    ("$.body.nope", "$.body.nope: $.body has no 'nope'"),
    ("$.body.name", "$.body.name: $.body has no 'name'"),  # only header names ignore case
    ("$.body.products[2].sku", "$.body.products[2].sku: $.body.products has no item [2]"),
    ("$.body.reference[0]", "$.body.reference[0]: $.body.reference has no item [0]"),
    ("$.status.code", "$.status.code: $.status has no 'code'"),
    ("$.headers.X-Missing", "$.headers.X-Missing: $.headers has no 'X-Missing'"),
])
def test_read_path_says_where_it_stopped(path: str, message: str) -> None:
    with pytest.raises(LookupError) as caught:
        read_path(DATA, path)
    assert str(caught.value) == message
