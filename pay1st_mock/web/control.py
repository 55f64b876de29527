"""The control API under ``/_mock`` (design.md §6): JSON in and out, for tests and tools.

Never mixed into ``/api/pay1st``. Errors use the same Pay1st envelope as the gateway.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from pay1st_mock import __version__
from pay1st_mock.clock import isoformat
from pay1st_mock.config import Callbacks
from pay1st_mock.domain.partners import NewPartner
from pay1st_mock.store.deliveries import Delivery
from pay1st_mock.web import serialise
from pay1st_mock.web.http import int_arg, json_body, json_response, limit_arg, services
from pay1st_mock.web.journal import entry_body

blueprint = Blueprint("control", __name__, url_prefix="/_mock")

# The schema each view's success body follows (None: not described by a schema yet).
RESPONSE_SCHEMAS = {
    "control.health": "control/health.json",
    "control.reset": None,
    "control.list_partners": "control/partner-list.json",
    "control.create_partner": "control/partner.json",
    "control.show_partner": "control/partner.json",
    "control.update_partner": "control/partner.json",
    "control.list_payments": "control/payment-list.json",
    "control.show_payment": "control/payment.json",
    "control.complete_payment": "control/payment.json",
    "control.list_deliveries": "control/delivery-list.json",
    "control.show_delivery": "control/delivery.json",
    "control.resend_delivery": "control/delivery.json",
    "control.get_clock": "control/clock.json",
    "control.advance_clock": "control/clock.json",
}
REQUEST_SCHEMAS = {
    "control.reset": "control/reset-request.json",
    "control.create_partner": "control/partner-create-request.json",
    "control.update_partner": "control/partner-update-request.json",
    "control.complete_payment": "control/complete-request.json",
    "control.advance_clock": "control/clock-advance-request.json",
}


def _optional_body(schema: str) -> dict[str, Any]:
    """Parse an optional JSON body: none (or empty) means ``{}``."""
    if not request.get_data(cache=True).strip():
        return {}
    body, _ = json_body(schema, unknown_fields_are_errors=True)
    return body


@blueprint.get("/health")
def health() -> Response:
    """200 ``{status: "ok", version, time}`` as soon as the server answers."""
    return json_response({"status": "ok", "version": __version__,
                          "time": isoformat(services().clock.now())})


@blueprint.post("/reset")
def reset() -> Response:
    """Reset everything, or with ``{"partnerId": N}`` only that partner's payments and tokens."""
    body = _optional_body("control/reset-request.json")
    partner_id = body.get("partnerId")
    svc = services()
    svc.partners.reset(partner_id)
    if partner_id is None:
        svc.clock.reset()
        svc.journal.clear()
        svc.faults.clear()
    return json_response({"reset": "partner" if partner_id is not None else "all",
                          "partnerId": partner_id})


@blueprint.get("/partners")
def list_partners() -> Response:
    """200 ``{partners: [...]}`` with credentials."""
    return json_response({"partners": [serialise.partner(p) for p in services().partners.all()]})


@blueprint.post("/partners")
def create_partner() -> Response:
    """Create a partner with fresh credentials → 201 with them."""
    body = _optional_body("control/partner-create-request.json")
    callbacks = body.get("callbacks", {})
    created = services().partners.create(NewPartner(
        code=body.get("code"), name=body.get("name"), webhook_url=body.get("webhookUrl"),
        callbacks=Callbacks(**{k: callbacks.get(k) for k in ("success", "failure", "pending",
                                                             "cancel")})))
    return json_response(serialise.partner(created), status=201)


@blueprint.get("/partners/<int:partner_id>")
def show_partner(partner_id: int) -> Response:
    """200 with one partner and its credentials; 404 if unknown."""
    return json_response(serialise.partner(services().partners.get(partner_id)))


@blueprint.patch("/partners/<int:partner_id>")
def update_partner(partner_id: int) -> Response:
    """Change a partner's ``webhookUrl`` and/or ``callbacks`` → 200 with the partner."""
    body, _ = json_body("control/partner-update-request.json", unknown_fields_are_errors=True)
    changes: dict[str, Any] = {}
    if "webhookUrl" in body:
        changes["webhook_url"] = body["webhookUrl"]
    if "callbacks" in body:
        changes["callbacks"] = Callbacks(**{k: body["callbacks"].get(k) for k in
                                            ("success", "failure", "pending", "cancel")})
    return json_response(serialise.partner(services().partners.update(partner_id, changes)))


@blueprint.get("/payments")
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
def show_payment(reference: str) -> Response:
    """200 with one payment, its history and fulfilments; 404 if unknown."""
    repo = services().payments
    payment = repo.find(reference)
    return json_response(serialise.control_payment(payment, repo.history(payment),
                                                   repo.fulfilments(payment)))


@blueprint.post("/payments/<reference>/complete")
def complete_payment(reference: str) -> Response:
    """``{outcome | status, channelId?}`` → 200 with the payment after the outcome engine ran.

    The same steps as the hosted checkout run, so the same webhooks are written; 409 when the
    payment cannot move (already final).
    """
    body, _ = json_body("control/complete-request.json", unknown_fields_are_errors=True)
    svc = services()
    payment = svc.checkout.run(reference, body.get("outcome"), body.get("channelId"),
                               body.get("status"))
    return json_response(serialise.control_payment(payment, svc.payments.history(payment),
                                                   svc.payments.fulfilments(payment)))


@blueprint.get("/deliveries")
def list_deliveries() -> Response:
    """``?partnerId=&reference=&status=&limit=`` → 200 ``{deliveries: [...]}``, newest first."""
    status = request.args.get("status") or None
    svc = services()
    with svc.db.read():  # deliveries and their attempts as of one moment, never half-updated
        found = svc.outbox.search(int_arg("partnerId"), request.args.get("reference") or None,
                                  status.upper() if status else None, limit_arg())
        listed = [_delivery(d) for d in found]
    return json_response({"deliveries": listed})


@blueprint.get("/deliveries/<int:delivery_id>")
def show_delivery(delivery_id: int) -> Response:
    """200 with one delivery and every attempt (request, response, timing); 404 if unknown."""
    with services().db.read():  # the delivery and its attempts as of one moment
        shown = _delivery(services().outbox.get(delivery_id))
    return json_response(shown)


@blueprint.post("/deliveries/<int:delivery_id>/resend")
def resend_delivery(delivery_id: int) -> Response:
    """Queue the delivery's body again, signed afresh → 202 with the new delivery."""
    return json_response(_delivery(services().outbox.resend(delivery_id)), status=202)


def _delivery(delivery: Delivery) -> dict[str, Any]:
    return serialise.delivery(delivery, services().outbox.attempts(delivery))


@blueprint.get("/journal")
def list_journal() -> Response:
    """``?partnerId=&reference=&limit=`` → 200 ``{entries: [...]}``: gateway calls, newest first,
    secrets redacted, each with its findings."""
    found = services().journal.search(int_arg("partnerId"), request.args.get("reference") or None,
                                      limit_arg())
    return json_response({"entries": [entry_body(e) for e in found]})


@blueprint.get("/clock")
def get_clock() -> Response:
    """200 ``{now, offsetSeconds}``: the emulator time every rule reads."""
    clock = services().clock
    return json_response({"now": isoformat(clock.now()), "offsetSeconds": clock.offset})


@blueprint.post("/clock/advance")
def advance_clock() -> Response:
    """``{seconds}`` → 200 with the moved clock (it never goes back)."""
    body, _ = json_body("control/clock-advance-request.json", unknown_fields_are_errors=True)
    clock = services().clock
    clock.advance(float(body["seconds"]))
    services().dispatcher.wake()  # retries and abandonment that just fell due run now
    return json_response({"now": isoformat(clock.now()), "offsetSeconds": clock.offset})
