"""The per-app bundle of state and domain services, kept in ``app.extensions``."""

from __future__ import annotations

from dataclasses import dataclass, field

from pay1st_mock.clock import Clock
from pay1st_mock.config import Settings
from pay1st_mock.domain.catalogue import Catalogue
from pay1st_mock.domain.checkout import Checkout
from pay1st_mock.domain.partners import PartnerService
from pay1st_mock.domain.payments import PaymentService
from pay1st_mock.domain.tokens import TokenService
from pay1st_mock.faults import FaultBook
from pay1st_mock.randomness import Randomness
from pay1st_mock.schemas import SchemaSet
from pay1st_mock.shop.purchases import ShopService
from pay1st_mock.store.database import Database
from pay1st_mock.store.journal import JournalRepository
from pay1st_mock.store.purchases import PurchaseRepository
from pay1st_mock.webhooks.dispatcher import Dispatcher
from pay1st_mock.webhooks.outbox import Outbox

EXTENSION_KEY = "pay1st_mock"


@dataclass
class Services:
    """Everything a request handler may use; built by ``create_app``."""

    settings: Settings
    db: Database
    clock: Clock
    randomness: Randomness
    schemas: SchemaSet
    catalogue: Catalogue
    partners: PartnerService
    tokens: TokenService
    payments: PaymentService
    checkout: Checkout
    outbox: Outbox
    dispatcher: Dispatcher
    shop: ShopService
    purchases: PurchaseRepository
    journal: JournalRepository
    faults: FaultBook
    # Unexpected exceptions raised while handling requests, for MockServer to re-raise.
    errors: list[BaseException] = field(default_factory=list)

    def close(self) -> None:
        """Stop the dispatcher (pending deliveries stay in the outbox) and close the database."""
        self.dispatcher.stop()
        self.db.close()
