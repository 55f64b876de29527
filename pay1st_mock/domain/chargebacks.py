"""Chargebacks (design.md §10): a customer disputes a SUCCESSFUL payment with their bank, and
the card network takes the money back. Our choices throughout: Pay1st lists the pages (the
notification, list, details, evidence) but publishes no shape.

The control API or the dashboard opens one, as the network would: the chargeback is OPEN, the
payment becomes CHARGEBACK (and sends its Payment Webhook Event), and a Chargeback Webhook
Notification goes out. The emulator compiles the case's evidence from what it saw (the payment
and, when the partner reported it, the fulfilment: the proof of delivery Carry1st, as Merchant
of Record, defends with). An OPEN chargeback is decided by the control API or the dashboard, or
after ``[chargebacks] resolve_after_seconds`` of emulator time: WON when the partner reported
the goods delivered, else LOST. Each decision sends a notification too.
"""

from __future__ import annotations

from decimal import Decimal

from pay1st_mock import jsontext
from pay1st_mock.clock import Clock, isoformat
from pay1st_mock.domain.notifications import Notifier
from pay1st_mock.domain.refunds import RefundService
from pay1st_mock.errors import Pay1stError
from pay1st_mock.randomness import Randomness
from pay1st_mock.records import Chargeback, Evidence, Partner, Payment, StatusChange
from pay1st_mock.store.chargebacks import ChargebackRepository
from pay1st_mock.store.database import Database
from pay1st_mock.store.payments import PaymentRepository

CHARGEBACK_STATUSES = ("OPEN", "WON", "LOST")
DECISIONS = frozenset({"WON", "LOST"})
EVIDENCE_DUE_SECONDS = 7 * 86400  # the merchant's time to answer the network (our choice)
DEFAULT_REASON = ("No cardholder authorisation", "4837")


class ChargebackService:
    """Opens, finds and decides chargebacks."""

    def __init__(self, db: Database, chargebacks: ChargebackRepository,
                 payments: PaymentRepository, refunds: RefundService, clock: Clock,
                 randomness: Randomness, notifier: Notifier, resolve_after: float) -> None:
        self._db = db
        self._chargebacks = chargebacks
        self._payments = payments
        self._refunds = refunds
        self._clock = clock
        self._random = randomness
        self._notifier = notifier
        self._resolve_after = resolve_after

    # -- as the card network (control API, dashboard) ------------------------------------------

    def open(self, payment_reference: str, amount: Decimal | None = None,
             reason: str | None = None, reason_code: str | None = None) -> Chargeback:
        """Open a chargeback on a SUCCESSFUL payment (any partner's); 404 for an unknown
        payment, 400 for one not SUCCESSFUL or an amount over what is left, 409 when the
        payment was charged back already."""
        with self._db.transaction():
            payment = self._payments.get(payment_reference)
            if payment is None:
                raise Pay1stError("PAYMENT_NOT_FOUND",
                                  f"no payment has reference {payment_reference!r}")
            existing = self._chargebacks.of_payment(payment.reference)
            if existing is not None:
                raise Pay1stError("INVALID_TRANSITION",
                                  f"payment {payment.reference} was charged back already "
                                  f"({existing.reference}, {existing.status}); a payment is "
                                  "disputed once")
            if payment.status != "SUCCESSFUL":
                raise Pay1stError("PAYMENT_NOT_SUCCESSFUL",
                                  f"payment {payment.reference} is {payment.status}; only a "
                                  "SUCCESSFUL payment can be charged back (complete it first)")
            left = self._refunds.refundable(payment)
            amount = left if amount is None else amount
            if amount <= 0 or amount > left:
                raise Pay1stError("REFUND_EXCEEDS_PAYMENT",
                                  f"$.amount: {amount} {payment.currency_code} cannot be charged "
                                  f"back of {payment.reference}: {payment.amount} paid, "
                                  f"{payment.amount - left} refunded or being refunded; send "
                                  f"more than 0 and at most {left} (or leave amount out)")
            now = self._clock.now()
            chargeback = Chargeback(
                reference=self._random.chargeback_reference(), partner_id=payment.partner_id,
                payment_reference=payment.reference, amount=amount,
                currency_code=payment.currency_code, reason=reason or DEFAULT_REASON[0],
                reason_code=reason_code or DEFAULT_REASON[1], status="OPEN",
                due_at=now + EVIDENCE_DUE_SECONDS, created_at=now, updated_at=now)
            self._chargebacks.insert(chargeback, self._evidence(chargeback, payment))
            self._notifier.chargeback_changed(chargeback, payment)
            self._notifier.move_payment(payment, "CHARGEBACK")
        return chargeback

    def decide(self, reference: str, status: str) -> Chargeback:
        """Decide an OPEN chargeback WON or LOST (control API, dashboard); 409 otherwise."""
        with self._db.transaction():
            chargeback = self.find(reference)
            if status not in DECISIONS:
                raise Pay1stError("VALIDATION_ERROR",
                                  f"$.status: a chargeback is decided WON or LOST; got {status!r}")
            if chargeback.status != "OPEN":
                raise Pay1stError("INVALID_TRANSITION",
                                  f"chargeback {reference} was decided already: "
                                  f"{chargeback.status}")
            return self._decide(chargeback, status)

    def sweep(self, now: float) -> int:
        """Decide the OPEN chargebacks whose time is up; return how many."""
        if self._resolve_after <= 0:
            return 0
        decided = 0
        for chargeback in self._chargebacks.due("OPEN", now - self._resolve_after):
            with self._db.transaction():
                fresh = self._chargebacks.get(chargeback.reference)
                if fresh is not None and fresh.status == "OPEN":
                    fulfilled = any(f.fulfilment_status == "FULFILLED" for f in
                                    self._payments.fulfilments(fresh.payment_reference))
                    self._decide(fresh, "WON" if fulfilled else "LOST")
                    decided += 1
        return decided

    # -- lookups -----------------------------------------------------------------------------

    def get(self, partner: Partner, reference: str) -> Chargeback:
        """The partner's chargeback with that reference; 404 otherwise."""
        chargeback = self._chargebacks.get(reference, partner.id)
        if chargeback is None:
            hint = ("" if reference.startswith("CB-") else " A chargeback reference looks like "
                    "CB-<digits>: take it from the Chargeback Webhook Notification or List "
                    "Chargebacks.")
            raise Pay1stError("CHARGEBACK_NOT_FOUND",
                              f"partner {partner.config.code} has no chargeback with reference "
                              f"{reference!r}.{hint}")
        return chargeback

    def find(self, reference: str) -> Chargeback:
        """Any partner's chargeback with that reference (control API); 404 otherwise."""
        chargeback = self._chargebacks.get(reference)
        if chargeback is None:
            raise Pay1stError("CHARGEBACK_NOT_FOUND",
                              f"no chargeback has reference {reference!r}")
        return chargeback

    def search(self, partner_id: int | None, payment_reference: str | None, status: str | None,
               limit: int) -> list[Chargeback]:
        """Chargebacks, newest first, filtered as asked."""
        return self._chargebacks.search(partner_id, payment_reference, status, limit)

    def of_payment(self, payment_reference: str) -> Chargeback | None:
        """The payment's chargeback, if any."""
        return self._chargebacks.of_payment(payment_reference)

    def payment(self, chargeback: Chargeback) -> Payment:
        """The payment disputed."""
        payment = self._payments.get(chargeback.payment_reference)
        assert payment is not None  # chargebacks cascade with their payment
        return payment

    def history(self, chargeback: Chargeback) -> list[StatusChange]:
        """A chargeback's status changes, oldest first."""
        return self._chargebacks.history(chargeback.reference)

    def evidence(self, chargeback: Chargeback) -> list[Evidence]:
        """The documents of a chargeback's case, by id."""
        return self._chargebacks.evidence(chargeback.reference)

    def evidence_file(self, chargeback: Chargeback, evidence_id: int) -> Evidence:
        """One document of the case; 404 naming the ids there are."""
        documents = self.evidence(chargeback)
        found = next((e for e in documents if e.id == evidence_id), None)
        if found is None:
            raise Pay1stError("EVIDENCE_NOT_FOUND",
                              f"chargeback {chargeback.reference} has no evidence {evidence_id}; "
                              "its evidence ids: " + (", ".join(str(e.id) for e in documents)
                                                      or "none"))
        return found

    # -- shared ------------------------------------------------------------------------------

    def _decide(self, chargeback: Chargeback, status: str) -> Chargeback:
        self._chargebacks.update(chargeback.reference, status, self._clock.now())
        decided = self.find(chargeback.reference)
        self._notifier.chargeback_changed(decided, self.payment(decided))
        return decided

    def _evidence(self, chargeback: Chargeback, payment: Payment) -> list[Evidence]:
        """The case as the emulator can document it: the payment, and the partner's
        fulfilment report when there is one."""
        receipt = {
            "reference": payment.reference, "transactionReference":
                chargeback.transaction_reference,
            "partnerReference": payment.partner_reference, "amount": payment.amount,
            "currencyCode": payment.currency_code, "countryCode": payment.country_code,
            "channelId": payment.channel_id, "channelName": payment.channel_name,
            "products": payment.products, "metadata": payment.metadata,
            "history": [{"status": c.status, "at": isoformat(c.at)}
                        for c in self._payments.history(payment.reference)]}
        documents = [Evidence(1, chargeback.reference, "payment-receipt.json",
                              "application/json", jsontext.dumps(receipt), chargeback.created_at)]
        lines = self._payments.fulfilments(payment.reference)
        if lines:
            report = {"reference": payment.reference, "products": [
                {"sku": f.sku, "quantity": f.quantity, "fulfilmentStatus": f.fulfilment_status,
                 "fulfilmentTime": f.fulfilment_time, "receivedAt": isoformat(f.received_at)}
                for f in lines]}
            documents.append(Evidence(2, chargeback.reference, "fulfilment-report.json",
                                      "application/json", jsontext.dumps(report),
                                      chargeback.created_at))
        return documents
