"""Shop purchases: checking the request, the player, creating the payment, the Summary body,
and the legacy status query (pay1st-api.md §7, §8)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pay1st_mock.clock import Clock
from pay1st_mock.config import Callbacks
from pay1st_mock.domain.catalogue import Catalogue
from pay1st_mock.errors import Pay1stError
from pay1st_mock.frozen import frozen
from pay1st_mock.randomness import Randomness
from pay1st_mock.records import Exchange, Payment, Purchase
from pay1st_mock.shop.catalogue import Bundle, Product, ShopCatalogue
from pay1st_mock.shop.legacy import products_with_credentials
from pay1st_mock.shop.user_info import UserInfoClient, UserInfoResult
from pay1st_mock.store.database import Database
from pay1st_mock.store.payments import PaymentRepository
from pay1st_mock.store.purchases import PurchaseRepository

MAX_PLAYER_ID = 128
MAX_QUANTITY = 100


@frozen
class Order:
    """What a customer asks for; checked by ``ShopService.check_order``."""

    product: Product
    bundle: Bundle | None
    quantity: int
    country_code: str
    player_id: str
    external_reference: str | None = None


class ShopService:
    """Validates orders and players, and turns an order into a payment the checkout can take."""

    def __init__(self, db: Database, catalogue: ShopCatalogue, countries: Catalogue,
                 payments: PaymentRepository,
                 purchases: PurchaseRepository, user_info: UserInfoClient, clock: Clock,
                 randomness: Randomness,
                 observe_player: Callable[[Product, UserInfoResult], None] | None = None
                 ) -> None:
        self._db = db
        self.catalogue = catalogue
        self._countries = countries
        self._payments = payments
        self._purchases = purchases
        self._user_info = user_info
        self._clock = clock
        self._random = randomness
        self._observe_player = observe_player  # the go-live checklist listens

    def product(self, product_id: int) -> Product:
        """Return a product; 404-style error naming the known ones otherwise."""
        product = self.catalogue.product(product_id)
        if product is None:
            known = ", ".join(f"{p.id} ({p.name})" for p in self.catalogue.products.values())
            raise Pay1stError("PRODUCT_NOT_FOUND",
                              f"no product has id {product_id}; products: {known}")
        return product

    def bundle(self, bundle_id: int, product: Product | None = None) -> tuple[Product, Bundle]:
        """Return a bundle (of ``product`` when given); error naming the bundles otherwise."""
        found = self.catalogue.bundle(bundle_id)
        if found is None or (product is not None and found[0].id != product.id):
            choices = [b for p in ([product] if product else self.catalogue.products.values())
                       for b in p.bundles]
            raise Pay1stError("BUNDLE_NOT_FOUND",
                              f"no bundle has productBundleId {bundle_id}; bundles: "
                              + ", ".join(f"{b.id} ({b.name})" for b in choices))
        return found

    def check_order(self, order: Order) -> None:
        """Refuse, before anything is sent to the partner, an order that cannot be bought."""
        player = order.player_id.strip()
        if not player:
            raise Pay1stError("INVALID_PLAYER_ID", "enter the player ID (it is empty)")
        if len(order.player_id) > MAX_PLAYER_ID:
            raise Pay1stError("INVALID_PLAYER_ID",
                              f"a player ID is at most {MAX_PLAYER_ID} characters; this one has "
                              f"{len(order.player_id)}")
        if order.country_code not in order.product.countries:
            raise Pay1stError("COUNTRY_NOT_SOLD",
                              f"{order.product.name} is not sold in {order.country_code}; it is "
                              "sold in " + ", ".join(order.product.countries))
        if order.bundle is not None:
            if not order.bundle.active:
                raise Pay1stError("BUNDLE_INACTIVE",
                                  f"bundle {order.bundle.id} ({order.bundle.name}) is not active; "
                                  "activate it in the config or pick an active one")
            if not 1 <= order.quantity <= MAX_QUANTITY:
                raise Pay1stError("INVALID_QUANTITY",
                                  f"quantity must be from 1 to {MAX_QUANTITY}; got "
                                  f"{order.quantity}")

    def check_player(self, order: Order) -> UserInfoResult:
        """Check the order, then ask the partner's User Info Webhook about the player."""
        self.check_order(order)
        params = {"playerId": order.player_id.strip(), "countryCode": order.country_code}
        if order.bundle is not None:
            price = order.bundle.prices[order.country_code] * order.quantity
            params.update({"productBundleId": str(order.bundle.id),
                           "productBundleExternalId": order.bundle.sku,
                           "amount": str(price), "currencyCode": self.currency(order),
                           "quantity": str(order.quantity)})
        if order.external_reference:
            params["externalReference"] = order.external_reference
        result = self._user_info.check(order.product, params)
        if self._observe_player is not None:
            self._observe_player(order.product, result)
        return result

    def currency(self, order: Order) -> str:
        """The currency the customer pays in: their country's."""
        country = self._countries.country(order.country_code)
        assert country is not None  # products are checked against served countries at start
        return country.currency

    def buy(self, order: Order, player: UserInfoResult, source: str,
            callbacks: Callbacks | Callable[[str], Callbacks],
            platform: str | None = None) -> tuple[Purchase, Payment]:
        """Create the payment (NEW, for the product's partner) and the purchase it pays for.

        ``callbacks`` may be a function of the new payment's reference (the storefront's
        receipt page is addressed by it).
        """
        self.check_order(order)
        if order.bundle is None:
            raise Pay1stError("BUNDLE_NOT_FOUND", "choose a bundle")
        if not player.accepted:
            raise Pay1stError("INVALID_PLAYER_ID", player.message)
        bundle, now = order.bundle, self._clock.now()
        price = bundle.prices[order.country_code]
        external = order.external_reference or player.external_reference
        reference = self._random.payment_reference()
        if callable(callbacks):
            callbacks = callbacks(reference)
        payment = Payment(
            reference=reference, partner_id=order.product.partner_id,
            partner_reference=f"SHOP-{self._random.session_id()}",
            country_code=order.country_code, currency_code=self.currency(order),
            amount=price * order.quantity, status="NEW", callbacks=callbacks, webhook_url=None,
            products=[{"title": f"{bundle.name} · {order.product.name}", "sku": bundle.sku,
                       "price": price, "quantity": order.quantity}],
            metadata=[{"key": "customerId", "value": order.player_id.strip()}],
            channel_id=None, channel_name=None, created_at=now, updated_at=now, origin=source
            if source == "legacy" else "shop")
        with self._db.transaction():
            self._payments.insert(payment)
            purchase = self._purchases.insert(Purchase(
                0, payment.reference, external or "", order.product.id, bundle.id,
                order.quantity, order.country_code, order.player_id.strip(), player.user_id,
                source, platform, now))
        return purchase, payment

    def purchase_for(self, reference: str) -> Purchase | None:
        """The purchase paid by payment ``reference``, if it is a Shop payment."""
        return self._purchases.for_payment(reference)

    def purchases(self, limit: int = 100) -> list[Purchase]:
        """Purchases, newest first."""
        return self._purchases.search(limit)

    def exchanges(self, limit: int = 100) -> list[Exchange]:
        """Calls made to partners' User Info Webhooks, newest first."""
        return self._purchases.exchanges(limit)

    def summary_body(self, purchase: Purchase, payment: Payment) -> dict[str, Any]:
        """The Summary Webhook body (design.md §3): the docs' example plus four fields."""
        product, bundle = self.bundle(purchase.bundle_id)
        return {
            "reference": payment.reference, "playerId": purchase.player_id,
            "productBundleId": bundle.id, "amount": int(payment.amount * 100),
            "currency": payment.currency_code,
            "tokensPurchased": bundle.tokens * purchase.quantity,
            "digitalCurrency": {"name": product.currency_name, "code": product.currency_code},
            "status": "SUCCESSFUL", "externalReference": purchase.external_reference or None,
            "productBundleExternalId": bundle.sku, "quantity": purchase.quantity,
            "paymentMethod": payment.channel_name,
        }

    def legacy_status(self, username: str, password: str, external: str) -> dict[str, Any]:
        """The legacy status query's answer (§8.3) for a product's Basic credentials."""
        products = products_with_credentials(self.catalogue, username, password)
        purchase = self._purchases.by_external_reference([p.id for p in products], external)
        if purchase is None:
            raise Pay1stError("PURCHASE_NOT_FOUND",
                              f"no purchase of these products has externalReference {external!r}")
        payment = self._payments.get(purchase.payment_reference)
        assert payment is not None
        body = self.summary_body(purchase, payment)
        return {"reference": body["reference"], "externalReference": body["externalReference"],
                "playerId": body["playerId"], "productBundleId": body["productBundleId"],
                "amount": body["amount"], "currency": body["currency"],
                "paymentMethod": body["paymentMethod"],
                "tokensPurchased": body["tokensPurchased"],
                "digitalCurrency": body["digitalCurrency"], "status": payment.status}
