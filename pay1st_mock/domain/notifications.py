"""Writing what a change of money going back sends: the refund or chargeback notification and,
when the payment's own status moves (REFUND, CHARGEBACK), its Payment Webhook Event.

Everything is written to the outbox inside the caller's transaction, like the checkout's moves,
so a change and its webhooks are never separated; the dispatcher is woken once it commits.
Which webhooks a change sends is asked of the planners given (the webhook kinds registry), so
the domain never imports ``webhooks/``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pay1st_mock.clock import Clock
from pay1st_mock.domain.checkout import EventsOf, OutboxEventLike
from pay1st_mock.records import Chargeback, Partner, Payment, Refund
from pay1st_mock.store.database import Database
from pay1st_mock.store.deliveries import DeliveryRepository
from pay1st_mock.store.partners import PartnerRepository
from pay1st_mock.store.payments import PaymentRepository

# Given the refund (or chargeback), its payment and partner: the webhooks to write.
RefundEventsOf = Callable[[Refund, Payment, Partner], Sequence[OutboxEventLike]]
ChargebackEventsOf = Callable[[Chargeback, Payment, Partner], Sequence[OutboxEventLike]]


class Notifier:
    """Moves payments for refunds and chargebacks, and writes the webhooks of each change."""

    def __init__(self, db: Database, payments: PaymentRepository, partners: PartnerRepository,
                 deliveries: DeliveryRepository, clock: Clock,
                 outbox_changed: Callable[[], None], payment_events: EventsOf,
                 refund_events: RefundEventsOf, chargeback_events: ChargebackEventsOf) -> None:
        self._db = db
        self._payments = payments
        self._partners = partners
        self._deliveries = deliveries
        self._clock = clock
        self._outbox_changed = outbox_changed
        self._payment_events = payment_events
        self._refund_events = refund_events
        self._chargeback_events = chargeback_events

    def partner_of(self, payment: Payment) -> Partner:
        """The partner a payment belongs to."""
        partner = self._partners.get(payment.partner_id)
        assert partner is not None  # payments cascade with their partner
        return partner

    def refund_changed(self, refund: Refund, payment: Payment) -> None:
        """Write the notifications of a refund created or moved to its current status."""
        partner = self.partner_of(payment)
        self._write(partner.id, payment.reference, refund.status,
                    self._refund_events(refund, payment, partner))

    def chargeback_changed(self, chargeback: Chargeback, payment: Payment) -> None:
        """Write the notifications of a chargeback opened or decided."""
        partner = self.partner_of(payment)
        self._write(partner.id, payment.reference, chargeback.status,
                    self._chargeback_events(chargeback, payment, partner))

    def move_payment(self, payment: Payment, status: str) -> Payment:
        """Move ``payment`` to ``status`` (its history notes it) and write its webhooks."""
        with self._db.transaction():
            self._payments.update(payment.reference, at=self._clock.now(), status=status)
            moved = self._payments.get(payment.reference)
            assert moved is not None
            partner = self.partner_of(moved)
            self._write(partner.id, moved.reference, status,
                        self._payment_events(moved, partner, status))
        return moved

    def _write(self, partner_id: int, reference: str, event: str,
               events: Sequence[OutboxEventLike]) -> None:
        now = self._clock.now()
        with self._db.transaction():
            for planned in events:
                self._deliveries.enqueue(partner_id=partner_id, kind=planned.kind,
                                         reference=reference, event=event, url=planned.url,
                                         body=planned.body, now=now,
                                         no_url_note=planned.no_url_note)
                # Wake the dispatcher only once the event is committed, or it may look too soon.
                self._db.after_commit(self._outbox_changed)
