"""The dashboard's forms for money going back: open a chargeback on a payment (as the card
network would), decide one, and move a refund as its PSP would. Each posts, then answers 303
to the payment's page, whose timeline shows what happened.

Importing this module adds its views to the dashboard blueprint (``web/dashboard.py``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import redirect, request, url_for
from werkzeug.wrappers import Response

from pay1st_mock.errors import Pay1stError
from pay1st_mock.web.dashboard import blueprint
from pay1st_mock.web.http import services
from pay1st_mock.web.operations import Form, Operation

_PAYMENT_PAGE = "The payment's page, whose timeline shows the change."


def _back_to(reference: str) -> Response:
    return redirect(url_for("dashboard.payment", reference=reference), code=303)


@blueprint.post("/payments/<reference>/chargebacks")
@Operation(redirect=_PAYMENT_PAGE, form=Form(
    (("amount", "Major units; empty (always sent by the form): everything not refunded."),
     ("reason", "The card network's reason; empty: No cardholder authorisation."),
     ("reasonCode", "The card network's reason code; empty: 4837.")), ("amount",)))
def open_chargeback(reference: str) -> Response:
    """Open chargeback button: the card network disputes the SUCCESSFUL payment (as
    `POST /_mock/payments/{reference}/chargebacks`), then 303 to the payment."""
    raw = request.form.get("amount", "").strip()
    amount = None
    if raw:
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            amount = Decimal("NaN")
        if not amount.is_finite() or amount <= 0 or abs(amount.adjusted()) > 12:
            raise Pay1stError("VALIDATION_ERROR",
                              f"amount: expected a number above 0 (or nothing, for everything "
                              f"not refunded); got {raw!r}")
    services().chargebacks.open(reference, amount,
                                request.form.get("reason", "").strip()[:200] or None,
                                request.form.get("reasonCode", "").strip()[:20] or None)
    return _back_to(reference)


@blueprint.post("/chargebacks/<chargeback_reference>/decide")
@Operation(redirect=_PAYMENT_PAGE, form=Form(
    (("status", "WON or LOST."),), ("status",)))
def decide_chargeback(chargeback_reference: str) -> Response:
    """Won / Lost buttons: decide an OPEN chargeback (as
    `POST /_mock/chargebacks/{chargebackReference}/decide`), then 303 to its payment."""
    status = request.form.get("status", "").strip().upper()
    decided = services().chargebacks.decide(chargeback_reference, status)
    return _back_to(decided.payment_reference)


@blueprint.post("/refunds/<refund_reference>/complete")
@Operation(redirect=_PAYMENT_PAGE, form=Form(
    (("status", "PROCESSING, SUCCESSFUL, FAILED or REJECTED."),), ("status",)))
def complete_refund(refund_reference: str) -> Response:
    """Refund buttons: move a refund as its PSP reports (as
    `POST /_mock/refunds/{refundReference}/complete`), then 303 to its payment."""
    status = request.form.get("status", "").strip().upper()
    if status not in ("PROCESSING", "SUCCESSFUL", "FAILED", "REJECTED"):
        raise Pay1stError("VALIDATION_ERROR", "status: expected PROCESSING, SUCCESSFUL, FAILED "
                                              f"or REJECTED; got {status!r}")
    moved = services().refunds.move(refund_reference, status)
    return _back_to(moved.payment_reference)
