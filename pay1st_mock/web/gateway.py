"""The Pay1st Gateway v4 API under ``/api/pay1st`` (pay1st-api.md §4–§6).

Each view checks, in the order a real gateway would: credentials or access token (401), then
Content-Type (405), then signature (400), then the body (400), then the domain rules.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g

from pay1st_mock.errors import Pay1stError
from pay1st_mock.records import Partner
from pay1st_mock.schemas import Finding
from pay1st_mock.web import serialise
from pay1st_mock.web.http import (
    access_partner,
    admit,
    basic_credentials,
    empty_response,
    json_body,
    json_response,
    note_reference,
    query_parameter,
    require_media_type,
    services,
    verify_signature,
)
from pay1st_mock.web.operations import (
    ACCESS_TOKEN,
    BASIC_AUTH,
    OPTIONAL_BASIC_AUTH,
    Operation,
    Param,
)

AUTH_MEDIA_TYPE = "application/vnd.carry1st.payments.partnerauthentication+json"
CHANNEL_MEDIA_TYPE = "application/vnd.carry1st.payments.paymentchannel+json"
PAYMENT_MEDIA_TYPE = "application/vnd.carry1st.payments.payment+json"

blueprint = Blueprint("gateway", __name__, url_prefix="/api/pay1st")

_COUNTRY_CODE = Param("countryCode", "ISO 3166-1 alpha-2 country code, such as NG.",
                      required=True)
_REFERENCE = Param("reference", "The payment's reference (C-<15 digits>-P).", required=True)


@blueprint.post("/auth/token")
@Operation(request="gateway/token-request.json", response="gateway/token-response.json",
           media_type=AUTH_MEDIA_TYPE, security=BASIC_AUTH)
def token() -> Response:
    """Basic key:secret + ``{"role": "API_USER"}`` → 200 ``{role, accessToken, refreshToken}``."""
    credentials = basic_credentials()
    if credentials is None:
        raise Pay1stError("MISSING_CREDENTIALS",
                          "send Authorization: Basic base64(API_KEY:API_SECRET) to get a token")
    require_media_type()
    svc = services()
    partner = svc.tokens.check_credentials(*credentials)
    g.partner_id = partner.id
    admit(partner)
    body, warnings = json_body()
    pair = svc.tokens.issue(partner.id)
    return json_response({"role": body["role"], "accessToken": pair.access_token,
                          "refreshToken": pair.refresh_token}, warnings=warnings)


@blueprint.post("/auth/refresh")
@Operation(request="gateway/refresh-request.json", response="gateway/token-response.json",
           media_type=AUTH_MEDIA_TYPE, security=OPTIONAL_BASIC_AUTH)
def refresh() -> Response:
    """``{role, refreshToken}`` (Basic optional) → 200 with a new pair; the old refresh dies."""
    svc = services()
    credentials = basic_credentials()
    caller = svc.tokens.check_credentials(*credentials) if credentials else None
    if caller is not None:
        admit(caller)
    require_media_type()
    body, warnings = json_body()
    pair = svc.tokens.refresh(body["refreshToken"], caller)
    return json_response({"role": body["role"], "accessToken": pair.access_token,
                          "refreshToken": pair.refresh_token}, warnings=warnings)


@blueprint.get("/payments/methods")
@Operation(response="gateway/payment-methods-response.json", security=ACCESS_TOKEN,
           access="payments", signed=False, query=(_COUNTRY_CODE,))
def payment_methods() -> Response:
    """``?countryCode=XX`` → 200 ``{"data": {"groups": [...]}}`` (§6.3)."""
    partner = access_partner()
    verify_signature(partner)
    code = query_parameter("countryCode").upper()
    catalogue = services().catalogue
    if catalogue.country(code) is None:
        raise Pay1stError("UNSUPPORTED_COUNTRY",
                          f"countryCode {code} is not supported; supported countries: "
                          + ", ".join(catalogue.country_codes))
    return Response(catalogue.methods_json(code), mimetype="application/json")


def _signed_payment_call() -> tuple[Partner, dict[str, Any], list[Finding]]:
    """The checks of a signed payment POST, in the gateway's order: token (401), Content-Type
    (405), signature (400), body (400). Returns the partner, the body and its warnings."""
    partner = access_partner()
    require_media_type()
    verify_signature(partner)
    body, warnings = json_body()
    return partner, body, warnings


@blueprint.post("/payments/create")
@Operation(request="gateway/create-payment-request.json",
           response="gateway/create-payment-response.json", media_type=PAYMENT_MEDIA_TYPE,
           status=201, security=ACCESS_TOKEN, access="payments", signed=True)
def create_payment() -> Response:
    """Signed Create Payment Request → 201 ``{reference, ..., status: NEW}`` (§6.4)."""
    partner, body, warnings = _signed_payment_call()
    payment, findings = services().payments.create(partner, body)
    note_reference(payment.reference)  # the journal need not parse the answer for it
    return json_response(serialise.created_payment(payment), status=201,
                         warnings=[*warnings, *findings])


@blueprint.get("/payments")
@Operation(response="gateway/payment-status-response.json", security=ACCESS_TOKEN,
           access="payments", signed=False, query=(_REFERENCE,))
def query_payment() -> Response:
    """``?reference=C-…-P`` → 200 with the payment as stored (§6.6)."""
    partner = access_partner()
    verify_signature(partner)
    svc = services()
    payment = svc.payments.get(partner, query_parameter("reference"))
    return json_response(serialise.payment_status(
        payment, partner, svc.payments.fulfilments(payment),
        svc.refunds.of_payment(payment.reference),
        svc.chargebacks.of_payment(payment.reference)))


@blueprint.post("/payments/fulfilments")
@Operation(request="gateway/fulfilment-request.json", media_type=PAYMENT_MEDIA_TYPE,
           empty_response=True, security=ACCESS_TOKEN, access="payments", signed=True)
def fulfil() -> Response:
    """Signed Fulfilment Completion → 200 with an empty body (§6.7, design.md §3)."""
    partner, body, warnings = _signed_payment_call()
    if isinstance(body.get("reference"), str):
        note_reference(body["reference"])  # the journal need not parse the body again
    services().payments.fulfil(partner, body)
    return empty_response(warnings)
