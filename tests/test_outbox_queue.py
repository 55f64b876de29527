"""The outbox's queue, as the dispatcher reads it: one query gives the deliveries due now (heads
of their payment's queue, oldest due first, busy payments left out) and when the next falls due,
which the dispatcher sleeps until."""

from __future__ import annotations

import pytest

from pay1st_mock.config import SANDBOX_PARTNER
from pay1st_mock.records import Attempt
from pay1st_mock.store.database import Database
from pay1st_mock.store.deliveries import DeliveryRepository
from pay1st_mock.store.partners import PartnerRepository

URL = "http://127.0.0.1:9/hook"


@pytest.fixture
def repo() -> DeliveryRepository:
    database = Database(":memory:")
    PartnerRepository(database).save(SANDBOX_PARTNER, "sandbox", 0.0)  # deliveries belong to one
    return DeliveryRepository(database)


def _enqueue(repo: DeliveryRepository, reference: str, event: str = "SUCCESSFUL") -> int:
    return repo.enqueue(partner_id=1, kind="payment_event", reference=reference, event=event,
                        url=URL, body="{}", now=0.0)


def _fail(repo: DeliveryRepository, delivery_id: int, retry_at: float) -> None:
    delivery = repo.get(delivery_id)
    assert delivery is not None
    refused = Attempt(delivery.attempts + 1, 0.0, URL, {}, "{}", 500, "", 1.0, None)
    logged = repo.record_attempt(delivery, refused, "PENDING", retry_at)
    assert (logged.status, logged.attempts, logged.next_attempt_at) == ("PENDING", 1, retry_at)


def test_due_heads_and_when_the_next_falls_due(repo: DeliveryRepository) -> None:
    first = _enqueue(repo, "C-000000000000001-P", "PENDING")
    behind = _enqueue(repo, "C-000000000000001-P")  # waits for the payment's first event
    other = _enqueue(repo, "C-000000000000002-P")
    later = _enqueue(repo, "C-000000000000003-P")
    _fail(repo, later, retry_at=30.0)

    due, next_at = repo.due(1.0, set())
    assert [d.id for d in due] == [first, other]
    assert behind not in [d.id for d in due], "an event went out before its payment's older one"
    assert next_at == 30.0, "the dispatcher would not wake for the retry"


def test_due_leaves_out_busy_payments_and_stops_at_the_limit(repo: DeliveryRepository) -> None:
    ids = [_enqueue(repo, f"C-00000000000000{n}-P") for n in range(1, 5)]

    due, next_at = repo.due(1.0, {"C-000000000000001-P"}, limit=2)
    assert [d.id for d in due] == ids[1:3]
    assert next_at == 0.0, "one more is due now: the next turn must take it"

    due, next_at = repo.due(1.0, set(), limit=10)
    assert [d.id for d in due] == ids
    assert next_at is None, "nothing else is pending"
