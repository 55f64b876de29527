"""The control API under ``/_mock`` (design.md §6): JSON in and out, for tests and tools.

Never mixed into ``/api/pay1st``. Errors use the same Pay1st envelope as the gateway.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from pay1st_mock import __version__
from pay1st_mock.clock import isoformat
from pay1st_mock.config import ACCESS_GROUPS, Callbacks
from pay1st_mock.domain.partners import NewPartner
from pay1st_mock.web import serialise
from pay1st_mock.web.http import int_arg, json_body, json_response, limit_arg, services
from pay1st_mock.web.journal import entry_body
from pay1st_mock.web.operations import LIMIT, PARTNER_ID, Operation, Param

blueprint = Blueprint("control", __name__, url_prefix="/_mock")

_BY_REFERENCE = Param("reference", "Only those about this payment reference.")


@blueprint.get("/health")
@Operation(response="control/health.json")
def health() -> Response:
    """200 ``{status: "ok", version, time}`` as soon as the server answers."""
    return json_response({"status": "ok", "version": __version__,
                          "time": isoformat(services().clock.now())})


@blueprint.post("/reset")
@Operation(request="control/reset-request.json", optional_body=True)
def reset() -> Response:
    """Reset everything, or with ``{"partnerId": N}`` only that partner's payments and tokens."""
    body = json_body(unknown_fields_are_errors=True)[0]
    partner_id = body.get("partnerId")
    svc = services()
    svc.partners.reset(partner_id)
    if partner_id is None:
        svc.clock.reset()
        svc.journal.clear()
        svc.faults.clear()
        svc.rate_limits.reset()
    return json_response({"reset": "partner" if partner_id is not None else "all",
                          "partnerId": partner_id})


@blueprint.get("/partners")
@Operation(response="control/partner-list.json")
def list_partners() -> Response:
    """200 ``{partners: [...]}`` with credentials."""
    return json_response({"partners": [serialise.partner(p) for p in services().partners.all()]})


@blueprint.post("/partners")
@Operation(request="control/partner-create-request.json", response="control/partner.json",
           optional_body=True, status=201)
def create_partner() -> Response:
    """Create a partner with fresh credentials → 201 with them."""
    body = json_body(unknown_fields_are_errors=True)[0]
    callbacks = body.get("callbacks", {})
    created = services().partners.create(NewPartner(
        code=body.get("code"), name=body.get("name"), webhook_url=body.get("webhookUrl"),
        callbacks=Callbacks(**{k: callbacks.get(k) for k in ("success", "failure", "pending",
                                                             "cancel")}),
        access=tuple(body.get("access", ACCESS_GROUPS))))
    return json_response(serialise.partner(created), status=201)


@blueprint.get("/partners/<int:partner_id>")
@Operation(response="control/partner.json")
def show_partner(partner_id: int) -> Response:
    """200 with one partner and its credentials; 404 if unknown."""
    return json_response(serialise.partner(services().partners.get(partner_id)))


@blueprint.patch("/partners/<int:partner_id>")
@Operation(request="control/partner-update-request.json", response="control/partner.json")
def update_partner(partner_id: int) -> Response:
    """Change a partner's ``webhookUrl``, ``callbacks`` and/or ``access`` (the Gateway API
    groups its credentials may use) → 200 with the partner."""
    body, _ = json_body(unknown_fields_are_errors=True)
    changes: dict[str, Any] = {}
    if "webhookUrl" in body:
        changes["webhook_url"] = body["webhookUrl"]
    if "callbacks" in body:
        changes["callbacks"] = Callbacks(**{k: body["callbacks"].get(k) for k in
                                            ("success", "failure", "pending", "cancel")})
    if "access" in body:
        changes["access"] = body["access"]
    return json_response(serialise.partner(services().partners.update(partner_id, changes)))


@blueprint.get("/payments")
@Operation(response="control/payment-list.json", query=(
    PARTNER_ID, Param("status", "Only payments in this status (case-insensitive)."), LIMIT))
def list_payments() -> Response:
    """``?partnerId=&status=&limit=`` → 200 ``{payments: [...]}``, newest first."""
    svc = services()
    partner_id = int_arg("partnerId")
    if partner_id is not None:
        svc.partners.get(partner_id)
    limit = limit_arg()
    status = request.args.get("status") or None
    repo = svc.payments
    return json_response({"payments": [
        serialise.control_payment(p, repo.history(p), repo.fulfilments(p))
        for p in repo.search(partner_id, status.upper() if status else None, limit)]})


@blueprint.get("/payments/<reference>")
@Operation(response="control/payment.json")
def show_payment(reference: str) -> Response:
    """200 with one payment, its history and fulfilments; 404 if unknown."""
    repo = services().payments
    payment = repo.find(reference)
    return json_response(serialise.control_payment(payment, repo.history(payment),
                                                   repo.fulfilments(payment)))


@blueprint.post("/payments/<reference>/complete")
@Operation(request="control/complete-request.json", response="control/payment.json")
def complete_payment(reference: str) -> Response:
    """``{outcome | status, channelId?}`` → 200 with the payment after the outcome engine ran.

    The same steps as the hosted checkout run, so the same webhooks are written; 409 when the
    payment cannot move (already final).
    """
    body, _ = json_body(unknown_fields_are_errors=True)
    svc = services()
    payment = svc.checkout.run(reference, body.get("outcome"), body.get("channelId"),
                               body.get("status"))
    return json_response(serialise.control_payment(payment, svc.payments.history(payment),
                                                   svc.payments.fulfilments(payment)))


@blueprint.get("/deliveries")
@Operation(response="control/delivery-list.json", query=(
    PARTNER_ID, _BY_REFERENCE,
    Param("status", "Only deliveries in this status (case-insensitive)."), LIMIT))
def list_deliveries() -> Response:
    """``?partnerId=&reference=&status=&limit=`` → 200 ``{deliveries: [...]}``, newest first."""
    status = request.args.get("status") or None
    svc = services()
    found = svc.outbox.search_with_attempts(
        int_arg("partnerId"), request.args.get("reference") or None,
        status.upper() if status else None, limit_arg())
    return json_response({"deliveries": [serialise.delivery(*pair) for pair in found]})


@blueprint.get("/deliveries/<int:delivery_id>")
@Operation(response="control/delivery.json")
def show_delivery(delivery_id: int) -> Response:
    """200 with one delivery and every attempt (request, response, timing); 404 if unknown."""
    return json_response(serialise.delivery(*services().outbox.get_with_attempts(delivery_id)))


@blueprint.post("/deliveries/<int:delivery_id>/resend")
@Operation(response="control/delivery.json", status=202)
def resend_delivery(delivery_id: int) -> Response:
    """Queue the delivery's body again, signed afresh → 202 with the new delivery."""
    outbox = services().outbox
    resent = outbox.get_with_attempts(outbox.resend(delivery_id).id)  # it may be on its way
    return json_response(serialise.delivery(*resent), status=202)


@blueprint.get("/journal")
@Operation(query=(PARTNER_ID, _BY_REFERENCE, LIMIT))
def list_journal() -> Response:
    """``?partnerId=&reference=&limit=`` → 200 ``{entries: [...]}``: gateway calls, newest first,
    secrets redacted, each with its findings."""
    found = services().journal.search(int_arg("partnerId"), request.args.get("reference") or None,
                                      limit_arg())
    return json_response({"entries": [entry_body(e) for e in found]})


@blueprint.get("/clock")
@Operation(response="control/clock.json")
def get_clock() -> Response:
    """200 ``{now, offsetSeconds}``: the emulator time every rule reads."""
    clock = services().clock
    return json_response({"now": isoformat(clock.now()), "offsetSeconds": clock.offset})


@blueprint.post("/clock/advance")
@Operation(request="control/clock-advance-request.json", response="control/clock.json")
def advance_clock() -> Response:
    """``{seconds}`` → 200 with the moved clock (it never goes back)."""
    body, _ = json_body(unknown_fields_are_errors=True)
    clock = services().clock
    clock.advance(float(body["seconds"]))  # wakes the dispatcher: retries may fall due
    return json_response({"now": isoformat(clock.now()), "offsetSeconds": clock.offset})
