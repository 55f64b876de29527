"""Refunds and chargebacks in the control API (``/_mock``, design.md §6, §10): list and inspect
them, move a refund as its PSP would, and open or decide a chargeback as the card network would.

Importing this module adds its views to the control blueprint (``web/control.py``).
"""

from __future__ import annotations

from decimal import Decimal

from flask import Response, request

from pay1st_mock.domain.chargebacks import CHARGEBACK_STATUSES, ChargebackService
from pay1st_mock.domain.refunds import REFUND_STATUSES, RefundService
from pay1st_mock.errors import Pay1stError
from pay1st_mock.records import Chargeback, Refund
from pay1st_mock.web import serialise
from pay1st_mock.web.control import blueprint
from pay1st_mock.web.http import int_arg, json_body, json_response, limit_arg, services
from pay1st_mock.web.operations import LIMIT, PARTNER_ID, Operation, Param

_BY_PAYMENT = Param("reference", "Only those of this payment (C-…-P).")


def refund_view(refunds: RefundService, refund: Refund) -> dict[str, object]:
    """A refund as the control API shows it."""
    return serialise.control_refund(refund, refunds.payment(refund), refunds.history(refund))


def chargeback_view(chargebacks: ChargebackService, chargeback: Chargeback) -> dict[str, object]:
    """A chargeback as the control API shows it."""
    return serialise.control_chargeback(chargeback, chargebacks.payment(chargeback),
                                        chargebacks.history(chargeback),
                                        chargebacks.evidence(chargeback))


def _status_filter(allowed: tuple[str, ...]) -> str | None:
    raw = request.args.get("status", "").strip()
    if raw and raw.upper() not in allowed:
        raise Pay1stError("INVALID_PARAMETER", f"query parameter status must be one of "
                                               f"{', '.join(allowed)}; got {raw!r}")
    return raw.upper() or None


@blueprint.get("/refunds")
@Operation(response="control/refund-list.json", query=(
    PARTNER_ID, _BY_PAYMENT, Param("status", "Only refunds in this status (case-insensitive)."),
    LIMIT))
def list_refunds() -> Response:
    """``?partnerId=&reference=&status=&limit=`` → 200 ``{refunds: [...]}``, newest first."""
    svc = services()
    partner_id = int_arg("partnerId")
    if partner_id is not None:
        svc.partners.get(partner_id)
    found = svc.refunds.search(partner_id, request.args.get("reference") or None,
                               _status_filter(REFUND_STATUSES), limit_arg())
    return json_response({"refunds": [refund_view(svc.refunds, r) for r in found]})


@blueprint.get("/refunds/<refund_reference>")
@Operation(response="control/refund.json")
def show_refund(refund_reference: str) -> Response:
    """200 with one refund (any partner's), its history and note; 404 if unknown."""
    refunds = services().refunds
    return json_response(refund_view(refunds, refunds.find(refund_reference)))


@blueprint.post("/refunds/<refund_reference>/complete")
@Operation(request="control/refund-complete-request.json", response="control/refund.json")
def complete_refund(refund_reference: str) -> Response:
    """``{status, note?}`` → 200 with the refund moved as its PSP reports, and its
    notification written; 409 when it is final or the move goes back.

    The clock moves refunds PENDING → PROCESSING → SUCCESSFUL on its own; this ends one now, or
    otherwise (FAILED, REJECTED).
    """
    body, _ = json_body(unknown_fields_are_errors=True)
    refunds = services().refunds
    moved = refunds.move(refund_reference, body["status"], body.get("note"))
    return json_response(refund_view(refunds, moved))


@blueprint.post("/payments/<reference>/chargebacks")
@Operation(request="control/chargeback-open-request.json", response="control/chargeback.json",
           optional_body=True, status=201)
def open_chargeback(reference: str) -> Response:
    """``{amount?, reason?, reasonCode?}`` → 201: the card network opens a chargeback on a
    SUCCESSFUL payment (any partner's), which becomes CHARGEBACK; both notifications are
    written.

    400 `PAYMENT_NOT_SUCCESSFUL` or `REFUND_EXCEEDS_PAYMENT`; 409 when it was charged back
    already.
    """
    body, _ = json_body(unknown_fields_are_errors=True)
    chargebacks = services().chargebacks
    amount = Decimal(str(body["amount"])) if "amount" in body else None
    opened = chargebacks.open(reference, amount, body.get("reason"), body.get("reasonCode"))
    return json_response(chargeback_view(chargebacks, opened), status=201)


@blueprint.get("/chargebacks")
@Operation(response="control/chargeback-list.json", query=(
    PARTNER_ID, _BY_PAYMENT,
    Param("status", "Only chargebacks in this status (case-insensitive)."), LIMIT))
def list_chargebacks() -> Response:
    """``?partnerId=&reference=&status=&limit=`` → 200 ``{chargebacks: [...]}``, newest
    first."""
    svc = services()
    partner_id = int_arg("partnerId")
    if partner_id is not None:
        svc.partners.get(partner_id)
    found = svc.chargebacks.search(partner_id, request.args.get("reference") or None,
                                   _status_filter(CHARGEBACK_STATUSES), limit_arg())
    return json_response({"chargebacks": [chargeback_view(svc.chargebacks, c) for c in found]})


@blueprint.get("/chargebacks/<chargeback_reference>")
@Operation(response="control/chargeback.json")
def show_chargeback(chargeback_reference: str) -> Response:
    """200 with one chargeback (any partner's), its history and evidence; 404 if unknown."""
    chargebacks = services().chargebacks
    return json_response(chargeback_view(chargebacks, chargebacks.find(chargeback_reference)))


@blueprint.post("/chargebacks/<chargeback_reference>/decide")
@Operation(request="control/chargeback-decide-request.json",
           response="control/chargeback.json")
def decide_chargeback(chargeback_reference: str) -> Response:
    """``{status: WON | LOST}`` → 200 with the decided chargeback, its notification written;
    409 when it was decided already."""
    body, _ = json_body(unknown_fields_are_errors=True)
    chargebacks = services().chargebacks
    decided = chargebacks.decide(chargeback_reference, body["status"])
    return json_response(chargeback_view(chargebacks, decided))
