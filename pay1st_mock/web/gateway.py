"""The Pay1st Gateway v4 API under ``/api/pay1st`` (pay1st-api.md §4–§6).

Each view checks, in the order a real gateway would: credentials or access token (401), then
Content-Type (405), then signature (400), then the body (400), then the domain rules.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g

from pay1st_mock.errors import Pay1stError
from pay1st_mock.schemas import Finding
from pay1st_mock.store.partners import Partner
from pay1st_mock.web import serialise
from pay1st_mock.web.http import (
    access_partner,
    basic_credentials,
    empty_response,
    json_body,
    json_response,
    query_parameter,
    require_media_type,
    services,
    verify_signature,
)

AUTH_MEDIA_TYPE = "application/vnd.carry1st.payments.partnerauthentication+json"
CHANNEL_MEDIA_TYPE = "application/vnd.carry1st.payments.paymentchannel+json"
PAYMENT_MEDIA_TYPE = "application/vnd.carry1st.payments.payment+json"

blueprint = Blueprint("gateway", __name__, url_prefix="/api/pay1st")

# The schema each view's success body follows; errors follow error-response.json. The tests check
# every response against these, and the OpenAPI document is built from them.
RESPONSE_SCHEMAS = {
    "gateway.token": "gateway/token-response.json",
    "gateway.refresh": "gateway/token-response.json",
    "gateway.payment_methods": "gateway/payment-methods-response.json",
    "gateway.create_payment": "gateway/create-payment-response.json",
    "gateway.query_payment": "gateway/payment-status-response.json",
    "gateway.fulfil": None,  # 200 with an empty body
}
# The schema each view's request body follows (views without a body are absent).
REQUEST_SCHEMAS = {
    "gateway.token": "gateway/token-request.json",
    "gateway.refresh": "gateway/refresh-request.json",
    "gateway.create_payment": "gateway/create-payment-request.json",
    "gateway.fulfil": "gateway/fulfilment-request.json",
}


@blueprint.post("/auth/token")
def token() -> Response:
    """Basic key:secret + ``{"role": "API_USER"}`` → 200 ``{role, accessToken, refreshToken}``."""
    credentials = basic_credentials()
    if credentials is None:
        raise Pay1stError("MISSING_CREDENTIALS",
                          "send Authorization: Basic base64(API_KEY:API_SECRET) to get a token")
    require_media_type(AUTH_MEDIA_TYPE)
    svc = services()
    partner = svc.tokens.check_credentials(*credentials)
    g.partner_id = partner.id
    body, warnings = json_body("gateway/token-request.json")
    pair = svc.tokens.issue(partner.id)
    return json_response({"role": body["role"], "accessToken": pair.access_token,
                          "refreshToken": pair.refresh_token}, warnings=warnings)


@blueprint.post("/auth/refresh")
def refresh() -> Response:
    """``{role, refreshToken}`` (Basic optional) → 200 with a new pair; the old refresh dies."""
    svc = services()
    credentials = basic_credentials()
    caller = svc.tokens.check_credentials(*credentials) if credentials else None
    require_media_type(AUTH_MEDIA_TYPE)
    body, warnings = json_body("gateway/refresh-request.json")
    pair = svc.tokens.refresh(body["refreshToken"], caller)
    return json_response({"role": body["role"], "accessToken": pair.access_token,
                          "refreshToken": pair.refresh_token}, warnings=warnings)


@blueprint.get("/payments/methods")
def payment_methods() -> Response:
    """``?countryCode=XX`` → 200 ``{"data": {"groups": [...]}}`` (§6.3)."""
    partner = access_partner()
    verify_signature(partner, required=False)
    code = query_parameter("countryCode").upper()
    catalogue = services().catalogue
    if catalogue.country(code) is None:
        raise Pay1stError("UNSUPPORTED_COUNTRY",
                          f"countryCode {code} is not supported; supported countries: "
                          + ", ".join(catalogue.country_codes))
    return Response(catalogue.methods_json(code), mimetype="application/json")


def _signed_payment_call(schema: str) -> tuple[Partner, dict[str, Any], list[Finding]]:
    """The checks of a signed payment POST, in the gateway's order: token (401), Content-Type
    (405), signature (400), body (400). Returns the partner, the body and its warnings."""
    partner = access_partner()
    require_media_type(PAYMENT_MEDIA_TYPE)
    verify_signature(partner, required=True)
    body, warnings = json_body(schema)
    return partner, body, warnings


@blueprint.post("/payments/create")
def create_payment() -> Response:
    """Signed Create Payment Request → 201 ``{reference, ..., status: NEW}`` (§6.4)."""
    partner, body, warnings = _signed_payment_call("gateway/create-payment-request.json")
    payment, findings = services().payments.create(partner, body)
    return json_response(serialise.created_payment(payment), status=201,
                         warnings=[*warnings, *findings])


@blueprint.get("/payments")
def query_payment() -> Response:
    """``?reference=C-…-P`` → 200 with the payment as stored (§6.6)."""
    partner = access_partner()
    verify_signature(partner, required=False)
    payments = services().payments
    payment = payments.get(partner, query_parameter("reference"))
    return json_response(serialise.payment_status(payment, partner, payments.fulfilments(payment)))


@blueprint.post("/payments/fulfilments")
def fulfil() -> Response:
    """Signed Fulfilment Completion → 200 with an empty body (§6.7, design.md §3)."""
    partner, body, warnings = _signed_payment_call("gateway/fulfilment-request.json")
    services().payments.fulfil(partner, body)
    return empty_response(warnings)
