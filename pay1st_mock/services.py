"""The per-app bundle of domain services (kept in ``app.extensions``), and how it is built.

Views reach the emulator only through ``Services``: the domain, the shop, the outbox and the
webhook kinds. The database and the repositories stay below them; only ``close()`` touches the
store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pay1st_mock.clock import Clock
from pay1st_mock.config import Settings
from pay1st_mock.domain.catalogue import Catalogue
from pay1st_mock.domain.checkout import Checkout
from pay1st_mock.domain.partners import PartnerService
from pay1st_mock.domain.payments import PaymentService
from pay1st_mock.domain.tokens import TokenService
from pay1st_mock.faults import FaultBook
from pay1st_mock.randomness import Randomness, seed_for_start
from pay1st_mock.schemas import SchemaSet, load_schemas
from pay1st_mock.shop.catalogue import ShopCatalogue
from pay1st_mock.shop.purchases import ShopService
from pay1st_mock.shop.user_info import UserInfoClient
from pay1st_mock.store.journal import JournalRepository
from pay1st_mock.store.repositories import Repositories
from pay1st_mock.webhooks.dispatcher import Dispatcher
from pay1st_mock.webhooks.kinds import PaymentEventKind, SummaryKind, WebhookKinds
from pay1st_mock.webhooks.outbox import Outbox

EXTENSION_KEY = "pay1st_mock"


@dataclass
class Services:
    """Everything a request handler may use; built by ``build_services``."""

    settings: Settings
    clock: Clock
    randomness: Randomness
    schemas: SchemaSet
    catalogue: Catalogue
    partners: PartnerService
    tokens: TokenService
    payments: PaymentService
    checkout: Checkout
    outbox: Outbox
    webhooks: WebhookKinds
    dispatcher: Dispatcher
    shop: ShopService
    journal: JournalRepository
    faults: FaultBook
    # What ``close()`` runs after stopping the dispatcher (closing the database, ...).
    closers: list[Callable[[], None]] = field(default_factory=list, repr=False)
    # Unexpected exceptions raised while handling requests, for MockServer to re-raise.
    errors: list[BaseException] = field(default_factory=list)

    def close(self) -> None:
        """Stop the dispatcher (pending deliveries stay in the outbox) and close the store."""
        self.dispatcher.stop()
        for close in self.closers:
            close()


def load_catalogues(settings: Settings) -> tuple[Catalogue, ShopCatalogue]:
    """The countries and methods, and the Shop's products; ``ConfigError`` naming the key."""
    catalogue = Catalogue.load(settings.countries, settings.source)
    return catalogue, ShopCatalogue.from_config(
        settings.products, {p.id for p in settings.all_partners},
        set(catalogue.country_codes), settings.source)


def build_services(settings: Settings, clock: Clock, store: Repositories,
                   catalogues: tuple[Catalogue, ShopCatalogue]) -> Services:
    """Build the domain over ``store``: partners (the sandbox and configured ones
    bootstrapped), tokens, payments, the checkout, the Shop, the webhook kinds, the outbox and
    its dispatcher (not started)."""
    catalogue, shop_catalogue = catalogues
    # A seeded server restarted on kept data must not hand out its first run's tokens and
    # references again: the start count is mixed into the seed after the first start.
    randomness = Randomness(seed_for_start(settings.seed, store.db.record_start()))
    schemas = load_schemas()
    faults = FaultBook(settings.seed)
    shop = ShopService(store.db, shop_catalogue, catalogue, store.payments, store.purchases,
                       UserInfoClient(store.purchases, schemas,
                                      settings.user_info_timeout_seconds, clock.now),
                       clock, randomness)
    webhooks = WebhookKinds([PaymentEventKind(store.partners), SummaryKind(shop)])

    def outbox_changed() -> None:
        dispatcher.wake()

    checkout = Checkout(store.db, store.payments, store.partners, store.deliveries, catalogue,
                        clock, randomness, settings.abandon_after_seconds, outbox_changed,
                        webhooks.plan)
    dispatcher = Dispatcher(store.deliveries, clock, webhooks.sign, checkout.sweep_abandoned,
                            settings.retry_delays_seconds, settings.webhook_timeout_seconds,
                            faults)
    partners = PartnerService(store.db, store.partners, store.tenant_data, clock, randomness,
                              settings.all_partners)
    partners.bootstrap()
    return Services(
        settings=settings, clock=clock, randomness=randomness, schemas=schemas,
        catalogue=catalogue, partners=partners,
        tokens=TokenService(store.tokens, store.partners, clock, randomness,
                            settings.access_ttl_seconds, settings.refresh_ttl_seconds),
        payments=PaymentService(store.db, store.payments, catalogue, clock, randomness,
                                settings.strict_amounts),
        checkout=checkout, outbox=Outbox(store.deliveries, clock, outbox_changed),
        webhooks=webhooks, dispatcher=dispatcher, shop=shop, journal=store.journal,
        faults=faults,
        # Moving the clock can make retries and abandonment due: look at the outbox at once.
        closers=[clock.on_advance(dispatcher.wake), store.db.close])
