"""The per-app bundle of domain services (kept in ``app.extensions``), and how it is built.

Views reach the emulator only through ``Services``: the domain, the shop, the outbox and the
webhook kinds. The database and the repositories stay below them; only ``close()`` touches the
store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from pay1st_mock.activity import (
    USER_INFO,
    WEBHOOK,
    ActivityFeed,
    attempt_fields,
    fan_out,
    user_info_fields,
)
from pay1st_mock.clock import Clock
from pay1st_mock.config import Settings
from pay1st_mock.domain.catalogue import Catalogue
from pay1st_mock.domain.chargebacks import ChargebackService
from pay1st_mock.domain.checklist import ChecklistService, ConfigFacts
from pay1st_mock.domain.checkout import Checkout
from pay1st_mock.domain.notifications import Notifier
from pay1st_mock.domain.partners import PartnerService
from pay1st_mock.domain.payments import PaymentService
from pay1st_mock.domain.rate_limits import RateLimiter
from pay1st_mock.domain.refunds import RefundService
from pay1st_mock.domain.tokens import TokenService
from pay1st_mock.faults import FaultBook
from pay1st_mock.randomness import Randomness, seed_for_start
from pay1st_mock.records import Attempt, Delivery
from pay1st_mock.schemas import SchemaSet, load_schemas
from pay1st_mock.shop.catalogue import Product, ShopCatalogue
from pay1st_mock.shop.legacy import LegacyMethods
from pay1st_mock.shop.purchases import ShopService
from pay1st_mock.shop.user_info import UserInfoClient, UserInfoResult
from pay1st_mock.store.journal import JournalRepository
from pay1st_mock.store.repositories import Repositories
from pay1st_mock.webhooks.dispatcher import Dispatcher
from pay1st_mock.webhooks.kinds import (
    ChargebackKind,
    PaymentEventKind,
    RefundKind,
    SummaryKind,
    WebhookKinds,
)
from pay1st_mock.webhooks.outbox import Outbox
from pay1st_mock.webhooks.probe import WebhookProbe

EXTENSION_KEY = "pay1st_mock"
log = logging.getLogger("pay1st_mock")


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
    checklist: ChecklistService
    probe: WebhookProbe
    refunds: RefundService
    chargebacks: ChargebackService
    rate_limits: RateLimiter
    legacy_methods: LegacyMethods
    # What the emulator just did (calls, webhook attempts), for ``serve``'s log and /_mock/events.
    activity: ActivityFeed = field(default_factory=ActivityFeed)
    # What ``close()`` runs after stopping the dispatcher (closing the database, ...).
    closers: list[Callable[[], None]] = field(default_factory=list, repr=False)
    # Unexpected exceptions raised while handling requests, for MockServer to re-raise.
    errors: list[BaseException] = field(default_factory=list)

    def close(self) -> None:
        """Stop the dispatcher (pending deliveries stay in the outbox), write the journal's
        buffer and close the store."""
        self.activity.close()
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
    partners = PartnerService(store.db, store.partners, store.tenant_data, clock, randomness,
                              settings.all_partners)
    checklist = ChecklistService(store.milestones, clock, partners.get,
                                 lambda partner_id: config_facts(shop_catalogue, partner_id))

    activity = ActivityFeed()

    def player_checked(product: Product, result: UserInfoResult) -> None:
        checklist.observe_user_info(product.partner_id, result.verdict, result.message,
                                    result.exchange.id if result.exchange else None)
        if result.exchange is not None:
            activity.publish(USER_INFO, result.exchange.at, product.partner_id, None,
                             user_info_fields(result.exchange))

    shop = ShopService(store.db, shop_catalogue, catalogue, store.payments, store.purchases,
                       UserInfoClient(store.purchases, schemas,
                                      settings.user_info_timeout_seconds, clock.now),
                       clock, randomness, player_checked)
    webhooks = WebhookKinds([PaymentEventKind(store.partners), SummaryKind(shop),
                             RefundKind(store.partners), ChargebackKind(store.partners)])

    def attempted(delivery: Delivery, attempt: Attempt) -> None:
        kind = webhooks.get(delivery.kind)
        checklist.observe_delivery(
            delivery.partner_id, kind.checklist_prefix, delivery.reference, delivery.event,
            delivery.id, attempt.succeeded, delivery.resend_of is not None,
            "" if attempt.succeeded else kind.refusal(attempt.response_status, attempt.error))

    def announce(delivery: Delivery, attempt: Attempt) -> None:  # serve's log, /_mock/events
        activity.publish(WEBHOOK, attempt.at, delivery.partner_id, delivery.reference,
                         attempt_fields(delivery, attempt))

    def outbox_changed() -> None:
        dispatcher.wake()

    checkout = Checkout(store.db, store.payments, store.partners, store.deliveries, catalogue,
                        clock, randomness, settings.abandon_after_seconds, outbox_changed,
                        webhooks.plan)
    notifier = Notifier(store.db, store.payments, store.partners, store.deliveries, clock,
                        outbox_changed, webhooks.plan, webhooks.plan_refund,
                        webhooks.plan_chargeback)
    refunds = RefundService(store.db, store.refunds, store.payments, catalogue, clock,
                            randomness, notifier, settings.refund_processing_after_seconds,
                            settings.refund_settle_after_seconds, settings.allow_link_local_urls)
    chargebacks = ChargebackService(store.db, store.chargebacks, store.payments, refunds, clock,
                                    randomness, notifier,
                                    settings.chargeback_resolve_after_seconds)
    # What moves on the emulator clock, each about every second on the dispatcher's thread.
    sweeps: list[Callable[[float], object]] = [
        checkout.sweep_abandoned, refunds.sweep, chargebacks.sweep,
        lambda now: store.journal.flush_stale()]  # bounds what a crash can take from the journal

    def sweep(now: float) -> None:
        for each in sweeps:
            try:
                each(now)
            except Exception:  # one failing sweep must not stop the others, nor deliveries
                log.exception("sweep %r failed", each)

    dispatcher = Dispatcher(store.deliveries, clock, webhooks.sign, sweep,
                            settings.retry_delays_seconds, settings.webhook_timeout_seconds,
                            faults, observe=fan_out(attempted, announce))
    partners.bootstrap()
    return Services(
        settings=settings, clock=clock, randomness=randomness, schemas=schemas,
        catalogue=catalogue, partners=partners,
        tokens=TokenService(store.tokens, store.partners, clock, randomness,
                            settings.access_ttl_seconds, settings.refresh_ttl_seconds),
        payments=PaymentService(store.db, store.payments, catalogue, clock, randomness,
                                settings.strict_amounts, settings.allow_link_local_urls),
        checkout=checkout, outbox=Outbox(store.deliveries, clock, outbox_changed),
        webhooks=webhooks, dispatcher=dispatcher, shop=shop, journal=store.journal,
        faults=faults, checklist=checklist, activity=activity, refunds=refunds,
        chargebacks=chargebacks,
        rate_limits=RateLimiter(clock, settings.rate_limit_requests,
                                settings.rate_limit_window_seconds),
        legacy_methods=LegacyMethods(shop_catalogue, catalogue),
        probe=WebhookProbe(webhooks, checklist, shop_catalogue.products_of,
                           settings.webhook_timeout_seconds),
        # Moving the clock can make retries and abandonment due: look at the outbox at once.
        # A clean stop writes the journal's buffered entries before the database closes.
        closers=[clock.on_advance(dispatcher.wake), store.journal.flush, store.db.close])


def config_facts(shop: ShopCatalogue, partner_id: int) -> ConfigFacts:
    """What the Shop configuration says of a partner's products, for its checklist."""
    products = shop.products_of(partner_id)
    unpriced = [f"bundle {b.id} ({b.name}) of product {p.id} has no price in {country}"
                for p in products for b in p.bundles if b.active
                for country in p.countries if country not in b.prices]
    priced = [p for p in products if any(b.active and b.prices for b in p.bundles)]
    return ConfigFacts(len(priced), unpriced, sum(1 for p in products if p.summary_url))
