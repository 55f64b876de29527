"""The partner under test: its endpoints and the credentials its build is configured with.

It is described once, in the same TOML config ``serve`` reads: the partner (``[[partners]]``,
with its ``webhook_url``), its Shop product (``[[products]]``, with ``user_info_url``,
``summary_url`` and ``basic_auth``) and ``[run]``. ``--partner-url`` fills the documented default
paths (``DEFAULT_PATHS``) of whatever the config leaves unset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from pay1st_mock.config import SANDBOX_PARTNER, Callbacks, ConfigError, PartnerConfig, Settings
from pay1st_mock.domain.catalogue import Catalogue
from pay1st_mock.frozen import frozen
from pay1st_mock.shop.catalogue import DEMO_PRODUCT, Bundle, Product, ShopCatalogue

# Where ``--partner-url`` assumes the partner serves each endpoint (README, "Grading a partner").
DEFAULT_PATHS = {
    "webhook_url": "/pay1st/payment-events",
    "user_info_url": "/pay1st/user-info",
    "summary_url": "/pay1st/summary",
    "hooks_url": "/pay1st-test",
    "callbacks": "/pay1st/return",  # all four: the checkout appends reference and status
}


@frozen
class Target:
    """Everything the runner needs to act as Pay1st toward the partner and to check it."""

    partner: PartnerConfig
    product: Product | None
    country: str
    currency: str
    hooks_url: str | None = None
    player_id: str = "player-1"
    suspended_player_id: str | None = None
    partner_action_seconds: float = 30.0
    abandon_after_seconds: float = Settings.abandon_after_seconds
    webhook_timeout_seconds: float = Settings.webhook_timeout_seconds
    user_info_timeout_seconds: float = Settings.user_info_timeout_seconds

    @property
    def bundle(self) -> Bundle | None:
        """The product's first active bundle: what scenarios buy unless they say otherwise."""
        if self.product is None:
            return None
        return next((b for b in self.product.bundles if b.active), None)

    def template_namespaces(self) -> dict[str, Any]:
        """``partner``, ``product``, ``bundle`` and ``limits`` as scenario templates see them."""
        partner = {"id": self.partner.id, "code": self.partner.code,
                   "webhook_url": self.partner.webhook_url, "hooks_url": self.hooks_url,
                   "player_id": self.player_id,
                   "suspended_player_id": self.suspended_player_id, "country": self.country,
                   "currency": self.currency}
        limits = {"webhook_timeout_ms": round(self.webhook_timeout_seconds * 1000),
                  "user_info_timeout_ms": round(self.user_info_timeout_seconds * 1000),
                  "partner_action_seconds": self.partner_action_seconds,
                  "abandon_after_seconds": self.abandon_after_seconds}
        product: dict[str, Any] = {}
        bundle: dict[str, Any] = {}
        if self.product is not None:
            product = {"id": self.product.id, "name": self.product.name,
                       "user_info_url": self.product.user_info_url,
                       "summary_url": self.product.summary_url,
                       "currency_code": self.product.currency_code,
                       "currency_name": self.product.currency_name,
                       "bundles": [_bundle_fields(b, self.country) for b in self.product.bundles]}
        if self.bundle is not None:
            bundle = _bundle_fields(self.bundle, self.country)
        return {"partner": partner, "product": product, "bundle": bundle, "limits": limits}


def _bundle_fields(bundle: Bundle, country: str) -> dict[str, Any]:
    price = bundle.prices.get(country, Decimal(0))
    return {"id": bundle.id, "sku": bundle.sku, "name": bundle.name, "tokens": bundle.tokens,
            "price": int(price) if price == price.to_integral_value() else float(price)}


def with_partner_url(settings: Settings, partner_url: str | None) -> Settings:
    """Fill the partner under test's unset endpoint URLs from ``partner_url``.

    The sandbox partner and the demo product are given the URLs too when they are the ones
    under test, so the emulator started by ``run`` sends its webhooks to the partner.
    """
    if not partner_url:
        return settings
    base = partner_url.rstrip("/")
    partner = select_partner(settings)
    filled = partner if partner.webhook_url else replace(
        partner, webhook_url=base + DEFAULT_PATHS["webhook_url"])
    callbacks = filled.callbacks
    if not any((callbacks.success, callbacks.failure, callbacks.pending, callbacks.cancel)):
        back = base + DEFAULT_PATHS["callbacks"]
        filled = replace(filled, callbacks=Callbacks(back, back, back, back))
    partners = [p for p in settings.all_partners if p.id != partner.id] + [filled]
    products = [dict(p) for p in settings.products] or [dict(DEMO_PRODUCT)]
    for product in products:
        if product.get("partner_id", 1) == partner.id:
            for key in ("user_info_url", "summary_url"):
                product.setdefault(key, base + DEFAULT_PATHS[key])
    run = dict(settings.run)
    run.setdefault("hooks_url", base + DEFAULT_PATHS["hooks_url"])
    return replace(settings, partners=tuple(sorted(partners, key=lambda p: p.id)),
                   products=tuple(products), run=run)


def settings_for_partner(settings: Settings, partner: PartnerConfig,
                         run: Mapping[str, Any] | None = None) -> Settings:
    """Settings in which ``partner`` (e.g. one created through the control API) is the partner
    under test, selling the settings' first product (the demo product when none)."""
    product = dict((settings.products or (DEMO_PRODUCT,))[0], partner_id=partner.id)
    others = tuple(p for p in settings.all_partners if p.id != partner.id)
    return replace(settings, partners=(*others, partner), products=(product,),
                   run={**settings.run, **(run or {}), "partner_id": partner.id})


def select_partner(settings: Settings) -> PartnerConfig:
    """The partner under test: ``[run] partner_id``, else the only configured one, else 1."""
    wanted = settings.run.get("partner_id")
    partners = settings.all_partners
    if wanted is None:
        configured = [p for p in settings.partners if p.id != SANDBOX_PARTNER.id]
        wanted = configured[0].id if len(configured) == 1 else SANDBOX_PARTNER.id
    found = next((p for p in partners if p.id == wanted), None)
    if found is None:
        known = ", ".join(str(p.id) for p in partners)
        raise ConfigError(f"{settings.source or '<config>'}: run.partner_id: no partner has id "
                          f"{wanted} (partner ids: {known})")
    return found


def build_target(settings: Settings) -> Target:
    """The ``Target`` the settings describe (call ``with_partner_url`` first if given)."""
    partner = select_partner(settings)
    catalogue = Catalogue.load(settings.countries, settings.source)
    shop = ShopCatalogue.from_config(settings.products, {p.id for p in settings.all_partners},
                                     set(catalogue.country_codes), settings.source)
    products = [p for p in shop.products.values() if p.partner_id == partner.id]
    wanted = settings.run.get("product_id")
    product = products[0] if products and wanted is None else None
    if wanted is not None:
        product = next((p for p in products if p.id == wanted), None)
        if product is None:
            raise ConfigError(f"{settings.source or '<config>'}: run.product_id: partner "
                              f"{partner.id} has no product {wanted} (its products: "
                              + (", ".join(str(p.id) for p in products) or "none") + ")")
    country_code = product.countries[0] if product else "NG"
    country = catalogue.country(country_code)
    return Target(partner=partner, product=product, country=country_code,
                  currency=country.currency if country else "NGN",
                  hooks_url=settings.run.get("hooks_url"),
                  player_id=settings.run.get("player_id", Target.player_id),
                  suspended_player_id=settings.run.get("suspended_player_id"),
                  partner_action_seconds=settings.run.get("partner_action_seconds",
                                                          Target.partner_action_seconds),
                  abandon_after_seconds=settings.abandon_after_seconds,
                  webhook_timeout_seconds=settings.webhook_timeout_seconds,
                  user_info_timeout_seconds=settings.user_info_timeout_seconds)
