"""``create_app``: wiring only. Nothing is built at import time."""

from __future__ import annotations

from typing import cast

from flask import Flask

from pay1st_mock.clock import Clock
from pay1st_mock.config import Settings
from pay1st_mock.domain.catalogue import Catalogue
from pay1st_mock.domain.checkout import Checkout
from pay1st_mock.domain.partners import PartnerService
from pay1st_mock.domain.payments import PaymentService
from pay1st_mock.domain.tokens import TokenService
from pay1st_mock.faults import FaultBook
from pay1st_mock.randomness import Randomness, seed_for_start
from pay1st_mock.schemas import load_schemas
from pay1st_mock.services import EXTENSION_KEY, Services
from pay1st_mock.shop.catalogue import ShopCatalogue
from pay1st_mock.shop.purchases import ShopService
from pay1st_mock.shop.user_info import UserInfoClient
from pay1st_mock.store.database import Database
from pay1st_mock.store.deliveries import DeliveryRepository
from pay1st_mock.store.journal import JournalRepository
from pay1st_mock.store.partners import PartnerRepository
from pay1st_mock.store.payments import PaymentRepository
from pay1st_mock.store.purchases import PurchaseRepository
from pay1st_mock.store.tokens import TokenRepository
from pay1st_mock.webhooks.dispatcher import Dispatcher
from pay1st_mock.webhooks.events import EventPlanner
from pay1st_mock.webhooks.outbox import Outbox
from pay1st_mock.webhooks.signers import make_signer


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Flask:
    """Build the emulator: store, clock, randomness, catalogue, services, dispatcher, blueprints.

    ``settings.data`` is a directory or ``:memory:``; ``clock`` lets tests inject time. The
    webhook dispatcher starts at once (pending deliveries from an earlier run resume); call
    ``services(app).close()`` to stop it.
    """
    settings = settings or Settings()
    catalogue = Catalogue.load(settings.countries, settings.source)  # config errors first
    shop_catalogue = ShopCatalogue.from_config(
        settings.products, {p.id for p in settings.all_partners},
        set(catalogue.country_codes), settings.source)
    clock = clock or Clock()
    db = Database(settings.data)
    # A seeded server restarted on kept data must not hand out its first run's tokens and
    # references again: the start count is mixed into the seed after the first start.
    randomness = Randomness(seed_for_start(settings.seed, db.record_start()))
    partner_repo, payment_repo, token_repo = (
        PartnerRepository(db), PaymentRepository(db), TokenRepository(db))
    delivery_repo = DeliveryRepository(db, settings.deliveries_max_finished)

    def outbox_changed() -> None:
        dispatcher.wake()

    purchase_repo = PurchaseRepository(db)
    journal_repo = JournalRepository(db, settings.journal_max_entries)
    faults = FaultBook(settings.seed)
    shop = ShopService(db, shop_catalogue, catalogue, payment_repo, purchase_repo,
                       UserInfoClient(purchase_repo, load_schemas(),
                                      settings.user_info_timeout_seconds, clock.now),
                       clock, randomness)
    checkout = Checkout(db, payment_repo, partner_repo, delivery_repo, catalogue, clock,
                        randomness, settings.abandon_after_seconds, outbox_changed,
                        EventPlanner(purchase_repo, shop))
    dispatcher = Dispatcher(delivery_repo, clock,
                            make_signer(partner_repo, purchase_repo, shop_catalogue),
                            checkout.sweep_abandoned, settings.retry_delays_seconds,
                            settings.webhook_timeout_seconds, faults)
    svc = Services(
        settings=settings, db=db, clock=clock, randomness=randomness, schemas=load_schemas(),
        catalogue=catalogue,
        partners=PartnerService(db, partner_repo,
                                [delivery_repo, purchase_repo, payment_repo, token_repo,
                                 journal_repo], clock,
                                randomness, settings.all_partners),
        tokens=TokenService(token_repo, partner_repo, clock, randomness,
                            settings.access_ttl_seconds, settings.refresh_ttl_seconds),
        payments=PaymentService(db, payment_repo, catalogue, clock, randomness,
                                settings.strict_amounts),
        checkout=checkout, outbox=Outbox(delivery_repo, clock, outbox_changed),
        dispatcher=dispatcher, shop=shop, purchases=purchase_repo, journal=journal_repo,
        faults=faults,
    )
    svc.partners.bootstrap()

    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.extensions[EXTENSION_KEY] = svc

    from pay1st_mock.web import checkout as checkout_pages
    from pay1st_mock.web import (
        control,
        control_auth,
        dashboard,
        errors,
        gateway,
        index,
        journal,
        openapi,
        shop_control,
        storefront,
    )
    from pay1st_mock.web import faults as fault_hooks

    errors.register(app)
    control_auth.register(app)
    journal.register(app)
    fault_hooks.register(app)
    app.register_blueprint(gateway.blueprint)
    app.register_blueprint(control.blueprint)
    app.register_blueprint(checkout_pages.blueprint)
    app.register_blueprint(storefront.blueprint)
    app.register_blueprint(storefront.legacy)
    app.register_blueprint(shop_control.blueprint)
    app.register_blueprint(fault_hooks.blueprint)
    app.register_blueprint(dashboard.blueprint)
    app.register_blueprint(openapi.blueprint)
    app.register_blueprint(index.blueprint)
    dispatcher.start()
    return app


def services(app: Flask) -> Services:
    """Return the services built for ``app``."""
    return cast(Services, app.extensions[EXTENSION_KEY])
