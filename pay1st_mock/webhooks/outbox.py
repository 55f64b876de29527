"""What the control API (and later the dashboard) does with deliveries: look and resend."""

from __future__ import annotations

from collections.abc import Callable

from pay1st_mock.clock import Clock
from pay1st_mock.errors import Pay1stError
from pay1st_mock.store.deliveries import Attempt, Delivery, DeliveryRepository


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
