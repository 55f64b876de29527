"""What the control API and the dashboard do with deliveries: look (each delivery with its
attempts, as of one moment) and resend."""

from __future__ import annotations

from collections.abc import Callable

from pay1st_mock.clock import Clock
from pay1st_mock.errors import Pay1stError
from pay1st_mock.records import Attempt, Delivery
from pay1st_mock.store.deliveries import DeliveryRepository


class Outbox:
    """Reads deliveries with their attempts and queues resends."""

    def __init__(self, deliveries: DeliveryRepository, clock: Clock,
                 changed: Callable[[], None]) -> None:
        self._deliveries = deliveries
        self._clock = clock
        self._changed = changed

    def get(self, delivery_id: int) -> Delivery:
        """Return one delivery; 404 when unknown."""
        delivery = self._deliveries.get(delivery_id)
        if delivery is None:
            raise Pay1stError("DELIVERY_NOT_FOUND", f"no webhook delivery has id {delivery_id}")
        return delivery

    def search(self, partner_id: int | None, reference: str | None, status: str | None,
               limit: int) -> list[Delivery]:
        """Return deliveries, newest first."""
        return self._deliveries.search(partner_id, reference, status, limit)

    def attempts(self, delivery: Delivery) -> list[Attempt]:
        """Return the delivery's attempts, in order."""
        return self._deliveries.attempts(delivery.id)

    def get_with_attempts(self, delivery_id: int) -> tuple[Delivery, list[Attempt]]:
        """One delivery (404 when unknown) and its attempts, as of one moment: never an attempt
        already logged while the delivery still says PENDING."""
        with self._deliveries.consistent_read():
            delivery = self.get(delivery_id)
            return delivery, self.attempts(delivery)

    def search_with_attempts(self, partner_id: int | None, reference: str | None,
                             status: str | None, limit: int
                             ) -> list[tuple[Delivery, list[Attempt]]]:
        """Deliveries, newest first, each with its attempts, all as of one moment."""
        with self._deliveries.consistent_read():
            return [(d, self.attempts(d))
                    for d in self.search(partner_id, reference, status, limit)]

    def resend(self, delivery_id: int) -> Delivery:
        """Queue the same body again as a new delivery (signed afresh when sent); returns it."""
        original = self.get(delivery_id)
        if original.url is None:
            raise Pay1stError("INVALID_TRANSITION",
                              f"delivery {delivery_id} has no URL to send to; configure the "
                              "webhook URL, then create a new event")
        new_id = self._deliveries.enqueue(
            partner_id=original.partner_id, kind=original.kind, reference=original.reference,
            event=original.event, url=original.url, body=original.body, now=self._clock.now(),
            resend_of=original.id)
        self._changed()
        return self.get(new_id)
