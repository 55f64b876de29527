"""Refunds (pay1st-api.md §6.10, design.md §10): the rules of Create Refund, the lookups, and
the moves on the emulator clock or by the control API.

A refund is created PENDING (REJECTED at once when the payment's method cannot refund: a
voucher), becomes PROCESSING after ``[refunds] processing_after_seconds`` and SUCCESSFUL after
``settle_after_seconds`` more; the control API can end it otherwise. Every status sends a Refund
Webhook Notification; when the SUCCESSFUL refunds of a payment reach its amount, the payment
becomes REFUND and sends its Payment Webhook Event. Refunds are scoped by partner like payments:
another partner's reference is answered exactly as an unknown one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pay1st_mock.clock import Clock
from pay1st_mock.domain.catalogue import Catalogue
from pay1st_mock.domain.notifications import Notifier
from pay1st_mock.domain.payment_urls import check_payment_urls
from pay1st_mock.errors import Pay1stError
from pay1st_mock.randomness import Randomness
from pay1st_mock.records import (
    Partner,
    Payment,
    Refund,
    StatusChange,
    payment_reference_of,
    transaction_reference,
)
from pay1st_mock.schemas import Finding
from pay1st_mock.store.database import Database
from pay1st_mock.store.payments import PaymentRepository
from pay1st_mock.store.refunds import RefundRepository

REFUND_STATUSES = ("PENDING", "PROCESSING", "SUCCESSFUL", "FAILED", "REJECTED")
FINAL = frozenset({"SUCCESSFUL", "FAILED", "REJECTED"})
# Refunds that count against what is left to refund (or charge back).
COUNTED = frozenset({"PENDING", "PROCESSING", "SUCCESSFUL"})
# How each checkout flow's payment method refunds (pay1st-api.md §4.3 handlingType; our choice).
HANDLING = {"card": "PSP_API", "phone_otp": "PSP_MANUAL", "phone_pin": "PSP_MANUAL",
            "redirect": "PSP_MANUAL", "voucher": "NO_REFUND"}
URL_FIELDS = ("refundWebhookUrl",)


class RefundService:
    """Creates, finds and moves refunds."""

    def __init__(self, db: Database, refunds: RefundRepository, payments: PaymentRepository,
                 catalogue: Catalogue, clock: Clock, randomness: Randomness,
                 notifier: Notifier, processing_after: float, settle_after: float,
                 allow_link_local_urls: bool = False) -> None:
        self._db = db
        self._refunds = refunds
        self._payments = payments
        self._catalogue = catalogue
        self._clock = clock
        self._random = randomness
        self._notifier = notifier
        self._processing_after = processing_after
        self._settle_after = settle_after
        self._allow_link_local_urls = allow_link_local_urls

    # -- the Refund API ----------------------------------------------------------------------

    def create(self, partner: Partner, body: dict[str, Any]) -> tuple[Refund, Payment,
                                                                       list[Finding]]:
        """Store a refund from a schema-valid Create Refund body; return it, its payment and
        warnings. Raises 404 for an unknown transaction, 400 for a payment that is not
        SUCCESSFUL, an amount over what is left, or a reused partnerRefundReference."""
        warnings = check_payment_urls(body, self._allow_link_local_urls, URL_FIELDS)
        with self._db.transaction():  # what is left and the new refund, as one step
            payment = self.payment_of(partner, body["transactionReference"])
            if payment.status != "SUCCESSFUL":
                raise Pay1stError("PAYMENT_NOT_SUCCESSFUL", _not_refundable(payment))
            left = self.refundable(payment)
            amount = Decimal(str(body["amount"])) if "amount" in body else left
            self._check_amount(payment, amount, left, "$.amount")
            channel = self._catalogue.channel(payment.channel_id or 0)
            handling = HANDLING.get(channel.flow if channel else "card", "PSP_MANUAL")
            now = self._clock.now()
            rejected = handling == "NO_REFUND"
            refund = Refund(
                reference=self._random.refund_reference(), partner_id=partner.id,
                payment_reference=payment.reference,
                partner_refund_reference=body["partnerRefundReference"], amount=amount,
                currency_code=payment.currency_code, full_refund=amount == payment.amount,
                reason=body.get("reason"), webhook_url=body.get("refundWebhookUrl"),
                status="REJECTED" if rejected else "PENDING", handling_type=handling,
                note=(f"{payment.channel_name} cannot refund: the customer is paid back outside "
                      "Pay1st" if rejected else None), created_at=now, updated_at=now)
            if not self._refunds.insert(refund):
                earlier = self._refunds.by_partner_reference(partner.id,
                                                             refund.partner_refund_reference)
                raise Pay1stError(
                    "DUPLICATE_PARTNER_REFUND_REFERENCE",
                    f"partnerRefundReference {refund.partner_refund_reference!r} was already "
                    f"used for {earlier.reference if earlier else 'an earlier refund'}; send a "
                    "new one for a new refund (a retry of the same refund needs no second call: "
                    "query it by its refundReference)")
            self._notifier.refund_changed(refund, payment)
        return refund, payment, warnings

    def get(self, partner: Partner, reference: str) -> Refund:
        """The partner's refund with that reference; 404 saying why otherwise."""
        refund = self._refunds.get(reference, partner.id)
        if refund is None:
            hint = ("" if reference.startswith("R-") else " It does not look like a refund "
                    "reference (R-<digits>): send the refundReference Create Refund answered, "
                    "not your partnerRefundReference.")
            raise Pay1stError("REFUND_NOT_FOUND", f"partner {partner.config.code} has no "
                                                  f"refund with reference {reference!r}.{hint}")
        return refund

    def of_transaction(self, partner: Partner, transaction: str) -> tuple[Payment, list[Refund]]:
        """The payment of a transaction reference and its refunds, oldest first."""
        payment = self.payment_of(partner, transaction)
        return payment, self._refunds.of_payment(payment.reference)

    def payment_of(self, partner: Partner, transaction: str) -> Payment:
        """The partner's payment of a ``C-…-T`` transaction reference; 404 otherwise."""
        reference = payment_reference_of(transaction)
        payment = self._payments.get(reference, partner.id) if reference else None
        if payment is not None:
            return payment
        hint = ""
        if transaction.endswith("-P") and self._payments.get(transaction, partner.id):
            hint = (f" {transaction} is a payment reference; refunds name its transaction: "
                    f"send {transaction_reference(transaction)} (Query Payment Status answers "
                    "it as transactionReference).")
        elif not transaction.startswith("C-"):
            hint = " A transaction reference looks like C-<digits>-T."
        raise Pay1stError("TRANSACTION_NOT_FOUND",
                          f"partner {partner.config.code} has no transaction with reference "
                          f"{transaction!r}.{hint}")

    def refundable(self, payment: Payment) -> Decimal:
        """What is left to refund of ``payment``: paid, less every refund not FAILED or
        REJECTED."""
        taken = sum((r.amount for r in self._refunds.of_payment(payment.reference)
                     if r.status in COUNTED), Decimal(0))
        return max(payment.amount - taken, Decimal(0))

    # -- the control API ---------------------------------------------------------------------

    def find(self, reference: str) -> Refund:
        """Any partner's refund with that reference (control API); 404 otherwise."""
        refund = self._refunds.get(reference)
        if refund is None:
            raise Pay1stError("REFUND_NOT_FOUND", f"no refund has reference {reference!r}")
        return refund

    def search(self, partner_id: int | None, payment_reference: str | None, status: str | None,
               limit: int) -> list[Refund]:
        """Refunds, newest first, filtered as asked."""
        return self._refunds.search(partner_id, payment_reference, status, limit)

    def of_payment(self, payment_reference: str) -> list[Refund]:
        """A payment's refunds, oldest first."""
        return self._refunds.of_payment(payment_reference)

    def history(self, refund: Refund) -> list[StatusChange]:
        """A refund's status changes, oldest first."""
        return self._refunds.history(refund.reference)

    def payment(self, refund: Refund) -> Payment:
        """The payment a refund pays back."""
        payment = self._payments.get(refund.payment_reference)
        assert payment is not None  # refunds cascade with their payment
        return payment

    def move(self, reference: str, status: str, note: str | None = None) -> Refund:
        """Move a refund to ``status`` as the PSP would (control API): 409 when it is final or
        the move goes back."""
        with self._db.transaction():
            refund = self.find(reference)
            allowed = _NEXT[refund.status]
            if status not in allowed:
                raise Pay1stError(
                    "INVALID_TRANSITION",
                    f"refund {reference} is {refund.status}; " + (
                        "it is final" if not allowed else
                        "it can move to " + ", ".join(sorted(allowed))))
            return self._move(refund, status, note)

    def sweep(self, now: float) -> int:
        """Move refunds whose time has come on the emulator clock; return how many moved."""
        moved = 0
        for status, after, to in (("PENDING", self._processing_after, "PROCESSING"),
                                  ("PROCESSING", self._settle_after, "SUCCESSFUL")):
            for refund in self._refunds.due(status, now - after):
                with self._db.transaction():
                    fresh = self._refunds.get(refund.reference)
                    if fresh is not None and fresh.status == status:
                        self._move(fresh, to, None)
                        moved += 1
        return moved

    # -- shared ------------------------------------------------------------------------------

    def _move(self, refund: Refund, status: str, note: str | None) -> Refund:
        now = self._clock.now()
        self._refunds.update(refund.reference, status, now, note)
        moved = self._refunds.get(refund.reference)
        assert moved is not None
        payment = self.payment(moved)
        self._notifier.refund_changed(moved, payment)
        if status == "SUCCESSFUL" and payment.status == "SUCCESSFUL":
            paid_back = sum((r.amount for r in self._refunds.of_payment(payment.reference)
                             if r.status == "SUCCESSFUL"), Decimal(0))
            if paid_back >= payment.amount:
                self._notifier.move_payment(payment, "REFUND")
        return moved

    def _check_amount(self, payment: Payment, amount: Decimal, left: Decimal,
                      path: str) -> None:
        country = self._catalogue.country(payment.country_code)
        places = country.minor_units if country else 2
        exponent = amount.as_tuple().exponent
        if amount <= 0 or (isinstance(exponent, int) and -exponent > places
                           and amount != amount.quantize(Decimal(1).scaleb(-places))):
            raise Pay1stError("INVALID_AMOUNT",
                              f"{path}: {amount} is not an amount of {payment.currency_code}: "
                              f"send more than 0 with at most {places} decimals (or leave it "
                              "out to refund everything left)")
        if amount > left:
            raise Pay1stError("REFUND_EXCEEDS_PAYMENT",
                              f"{path}: {amount} {payment.currency_code} is more than is left to "
                              f"refund of {payment.reference}: {payment.amount} paid, "
                              f"{payment.amount - left} already refunded or being refunded; send "
                              f"at most {left} (or leave amount out to refund all of it)")


# The moves the control API may make, from each status (the clock makes PENDING → PROCESSING →
# SUCCESSFUL on its own).
_NEXT: dict[str, frozenset[str]] = {
    "PENDING": frozenset({"PROCESSING", "SUCCESSFUL", "FAILED", "REJECTED"}),
    "PROCESSING": frozenset({"SUCCESSFUL", "FAILED"}),
    "SUCCESSFUL": frozenset(), "FAILED": frozenset(), "REJECTED": frozenset(),
}


def _not_refundable(payment: Payment) -> str:
    why = {"REFUND": "it was refunded in full already",
           "CHARGEBACK": "it was charged back: the card network returned the money already"}
    reason = why.get(payment.status, "only a SUCCESSFUL payment can be refunded")
    return (f"payment {payment.reference} is {payment.status}; {reason} (refund a payment "
            "after its SUCCESSFUL event)")
