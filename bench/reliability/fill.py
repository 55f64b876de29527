"""The growth run's fill: thousands of stored payments, written through the store layer.

``fill`` runs in a child process (``python bench/reliability --fill DIR COUNT SEED``, started by
``fill_in_child``) before any server opens ``DIR``: the only code here that imports the package
under test. ``create_app`` builds the schema and the sandbox partner; then each payment goes in
with ``PaymentRepository.insert`` and its webhook with ``DeliveryRepository.enqueue``, the code a
create uses to store, in one transaction: far faster than as many create calls.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import harness

from .settings import COUNTRIES, SKU

PACKAGE_DIR = Path(__file__).resolve().parent


def fill(data: Path, count: int, seed: int) -> dict[str, Any]:
    """Store ``count`` final payments of the sandbox partner through the store layer.

    Runs in a child process before the server opens ``data``: ``create_app`` builds the schema
    and the sandbox partner, then ``PaymentRepository.insert`` (payment + history row) and
    ``DeliveryRepository.enqueue`` (its webhook, SKIPPED: no URL) for each, in one transaction.
    """
    from decimal import Decimal

    from pay1st_mock.app import create_app, database, services
    from pay1st_mock.config import Callbacks, Settings
    from pay1st_mock.records import Payment
    from pay1st_mock.store.deliveries import DeliveryRepository
    from pay1st_mock.store.payments import PaymentRepository

    t0 = time.perf_counter()
    app = create_app(Settings(data=str(data), seed=seed))
    svc, db = services(app), database(app)
    svc.dispatcher.stop()
    payments, deliveries = PaymentRepository(db), DeliveryRepository(db)
    rng = random.Random(seed)
    now = svc.clock.now()
    with db.transaction():
        for i in range(count):
            country, currency = COUNTRIES[i % len(COUNTRIES)]
            status = ("SUCCESSFUL", "FAILED", "CANCELLED")[rng.randrange(3)]
            at = now - (count - i)  # one a second, up to now
            payment = Payment(
                reference=svc.randomness.payment_reference(), partner_id=1,
                partner_reference=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                country_code=country, currency_code=currency, amount=Decimal(100),
                status=status, callbacks=Callbacks(), webhook_url=None,
                products=[{"title": "Filled credits", "sku": SKU, "price": 100, "quantity": 1,
                           "currencyCode": currency}],
                metadata=[{"key": "customerId", "value": str(i)}], channel_id=None,
                channel_name=None, created_at=at, updated_at=at)
            if not payments.insert(payment):
                raise RuntimeError("partnerReference collision while filling")
            deliveries.enqueue(partner_id=1, kind="payment_event", reference=payment.reference,
                               event=status, url=None, body="{}", now=at)
    svc.close()
    return {"count": count, "seconds": round(time.perf_counter() - t0, 2)}


def fill_in_child(data: Path, count: int, seed: int) -> dict[str, Any]:
    done = subprocess.run([sys.executable, str(PACKAGE_DIR), "--fill", str(data),
                           str(count), str(seed)], cwd=harness.ROOT, capture_output=True,
                          text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"fill of {count} payments failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
