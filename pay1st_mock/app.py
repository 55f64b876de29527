"""``create_app``: wiring only. Nothing is built at import time."""

from __future__ import annotations

from flask import Flask

from pay1st_mock.clock import Clock
from pay1st_mock.config import Settings
from pay1st_mock.domain.catalogue import Catalogue
from pay1st_mock.domain.partners import PartnerService
from pay1st_mock.domain.payments import PaymentService
from pay1st_mock.domain.tokens import TokenService
from pay1st_mock.randomness import Randomness
from pay1st_mock.schemas import load_schemas
from pay1st_mock.services import EXTENSION_KEY, Services
from pay1st_mock.store.database import Database
from pay1st_mock.store.partners import PartnerRepository
from pay1st_mock.store.payments import PaymentRepository
from pay1st_mock.store.tokens import TokenRepository


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Flask:
    """Build the emulator: store, clock, randomness, catalogue, services and blueprints.

    ``settings.data`` is a directory or ``:memory:``; ``clock`` lets tests inject time.
    """
    settings = settings or Settings()
    clock = clock or Clock()
    randomness = Randomness(settings.seed)
    db = Database(settings.data)
    partner_repo, payment_repo, token_repo = (PartnerRepository(db), PaymentRepository(db),
                                              TokenRepository(db))
    catalogue = Catalogue.load(settings.countries)
    services = Services(
        settings=settings, db=db, clock=clock, randomness=randomness, schemas=load_schemas(),
        catalogue=catalogue,
        partners=PartnerService(partner_repo, payment_repo, token_repo, clock, randomness,
                                settings.all_partners),
        tokens=TokenService(token_repo, partner_repo, clock, randomness,
                            settings.access_ttl_seconds, settings.refresh_ttl_seconds),
        payments=PaymentService(db, payment_repo, catalogue, clock, randomness,
                                settings.strict_amounts),
    )
    services.partners.bootstrap()

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION_KEY] = services

    from pay1st_mock.web import control, errors, gateway, index

    errors.register(app)
    app.register_blueprint(gateway.blueprint)
    app.register_blueprint(control.blueprint)
    app.register_blueprint(index.blueprint)
    return app
