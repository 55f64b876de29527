"""Money going back, in the Gateway API under ``/api/pay1st/transactions`` (pay1st-api.md §6.10,
design.md §10): Create Refund as documented (beta), and Query Refund, List Refunds, List
Chargebacks, View Chargeback Details, List Chargeback Evidences and Download Chargeback
Evidence as our documented choice (Pay1st lists these pages but publishes no paths or shapes).

Importing this module adds its views to the gateway blueprint (``web/gateway.py``); they check
in the gateway's order: access token (401), rate limit (429), access (403), Content-Type (405),
signature (400), body (400), then the rules.
"""

from __future__ import annotations

from flask import Response, request

from pay1st_mock.errors import Pay1stError
from pay1st_mock.records import payment_reference_of
from pay1st_mock.web import serialise
from pay1st_mock.web.gateway import blueprint
from pay1st_mock.web.http import (
    access_partner,
    json_body,
    json_response,
    note_reference,
    query_parameter,
    require_media_type,
    services,
    verify_signature,
)
from pay1st_mock.web.operations import ACCESS_TOKEN, Operation, Param

REFUND_MEDIA_TYPE = "application/vnd.carry1st.payments.refund+json"
_TRANSACTION = Param("transactionReference", "The transaction (C-<digits>-T) whose refunds to "
                     "list.", required=True)
_CHARGEBACK_FILTERS = (
    Param("transactionReference", "Only the chargeback of this transaction (C-<digits>-T)."),
    Param("status", "Only chargebacks in this status: OPEN, WON or LOST."))


@blueprint.post("/transactions/refunds/create")
@Operation(request="gateway/refund-create-request.json", response="gateway/refund.json",
           media_type=REFUND_MEDIA_TYPE, status=201, security=ACCESS_TOKEN, access="refunds",
           signed=True)
def create_refund() -> Response:
    """Signed Create Refund (beta) → 201 with the refund, PENDING (REJECTED for a method that
    cannot refund).

    `amount` left out refunds everything left. 404 `TRANSACTION_NOT_FOUND` for a transaction
    the partner does not have; 400 `PAYMENT_NOT_SUCCESSFUL`, `REFUND_EXCEEDS_PAYMENT` or
    `DUPLICATE_PARTNER_REFUND_REFERENCE` when the rules refuse it. The refund then moves on
    the emulator clock and sends a signed Refund Webhook Notification at every status.
    """
    partner = access_partner()
    require_media_type()
    verify_signature(partner)
    body, warnings = json_body()
    # The journal files the call under its payment, refused or not.
    note_reference(payment_reference_of(body["transactionReference"])
                   or body["transactionReference"])
    refund, payment, findings = services().refunds.create(partner, body)
    return json_response(serialise.refund(refund, payment), status=201,
                         warnings=[*warnings, *findings])


@blueprint.get("/transactions/refunds/<refund_reference>")
@Operation(response="gateway/refund.json", security=ACCESS_TOKEN, access="refunds",
           signed=False)
def query_refund(refund_reference: str) -> Response:
    """Query Refund by Reference: the refund `R-…` as it is now; 404 if the partner has none."""
    partner = access_partner()
    verify_signature(partner)
    if refund_reference == "create":
        raise Pay1stError("METHOD_NOT_ALLOWED",
                          f"GET is not allowed on {request.path}; create a refund with POST")
    refunds = services().refunds
    refund = refunds.get(partner, refund_reference)
    note_reference(refund.payment_reference)
    return json_response(serialise.refund(refund, refunds.payment(refund)))


@blueprint.get("/transactions/refunds")
@Operation(response="gateway/refund-list-response.json", security=ACCESS_TOKEN,
           access="refunds", signed=False, query=(_TRANSACTION,))
def list_refunds() -> Response:
    """List Refunds by transaction reference: `?transactionReference=C-…-T` → 200
    `{data: {refunds: [...]}}`, oldest first."""
    partner = access_partner()
    verify_signature(partner)
    payment, found = services().refunds.of_transaction(partner,
                                                       query_parameter("transactionReference"))
    note_reference(payment.reference)
    return json_response({"data": {"refunds": [serialise.refund(r, payment)
                                               for r in found]}})


@blueprint.get("/transactions/chargebacks")
@Operation(response="gateway/chargeback-list-response.json", security=ACCESS_TOKEN,
           access="chargebacks", signed=False, query=_CHARGEBACK_FILTERS)
def list_chargebacks() -> Response:
    """List Chargebacks: the partner's chargebacks, newest first (at most 100), optionally of
    one transaction or status → 200 `{data: {chargebacks: [...]}}`."""
    partner = access_partner()
    verify_signature(partner)
    svc = services()
    payment_reference = None
    transaction = request.args.get("transactionReference", "").strip()
    if transaction:
        payment_reference = svc.refunds.payment_of(partner, transaction).reference
        note_reference(payment_reference)
    status = request.args.get("status", "").strip().upper() or None
    if status is not None and status not in ("OPEN", "WON", "LOST"):
        raise Pay1stError("INVALID_PARAMETER",
                          f"query parameter status must be OPEN, WON or LOST; got {status!r}")
    found = svc.chargebacks.search(partner.id, payment_reference, status, 100)
    return json_response({"data": {"chargebacks": [
        serialise.chargeback(c, svc.chargebacks.payment(c)) for c in found]}})


@blueprint.get("/transactions/chargebacks/<chargeback_reference>")
@Operation(response="gateway/chargeback.json", security=ACCESS_TOKEN, access="chargebacks",
           signed=False)
def chargeback_details(chargeback_reference: str) -> Response:
    """View Chargeback Details: the chargeback `CB-…` as it is now; 404 if the partner has
    none."""
    partner = access_partner()
    verify_signature(partner)
    chargebacks = services().chargebacks
    chargeback = chargebacks.get(partner, chargeback_reference)
    note_reference(chargeback.payment_reference)
    return json_response(serialise.chargeback(chargeback, chargebacks.payment(chargeback)))


@blueprint.get("/transactions/chargebacks/<chargeback_reference>/evidences")
@Operation(response="gateway/evidence-list-response.json", security=ACCESS_TOKEN,
           access="chargebacks", signed=False)
def list_evidences(chargeback_reference: str) -> Response:
    """List Chargeback Evidences: the case's documents → 200 `{data: {evidences: [...]}}`."""
    partner = access_partner()
    verify_signature(partner)
    chargebacks = services().chargebacks
    chargeback = chargebacks.get(partner, chargeback_reference)
    note_reference(chargeback.payment_reference)
    return json_response({"data": {"evidences": [serialise.evidence(e) for e in
                                                 chargebacks.evidence(chargeback)]}})


@blueprint.get("/transactions/chargebacks/<chargeback_reference>/evidences/<int:evidence_id>")
@Operation(security=ACCESS_TOKEN, access="chargebacks", signed=False)
def download_evidence(chargeback_reference: str, evidence_id: int) -> Response:
    """Download Chargeback Evidence: the document itself (a JSON file, sent as an attachment);
    404 naming the evidence ids there are."""
    partner = access_partner()
    verify_signature(partner)
    chargebacks = services().chargebacks
    chargeback = chargebacks.get(partner, chargeback_reference)
    note_reference(chargeback.payment_reference)
    document = chargebacks.evidence_file(chargeback, evidence_id)
    response = Response(document.content, mimetype=document.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{document.file_name}"'
    return response
