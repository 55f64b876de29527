"""The legacy (v3.x) Gateway's Basic-auth API built on the Shop (pay1st-api.md §8): whose
product credentials these are, and the List Payment Methods answer (§8.2).

The legacy list is the v4 catalogue (``domain/catalogue.py``) in the older, flat shape: each
channel carries ``id`` (the same ``channelId`` the checkout takes, preserved across the
migration), ``channelCode``, ``channelName``, ``paymentMethod``, ``status`` and
``imageLocation``. Every query parameter is mandatory, as the docs say.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from pay1st_mock.domain.catalogue import Catalogue
from pay1st_mock.errors import Pay1stError
from pay1st_mock.schemas import Finding
from pay1st_mock.shop.catalogue import Product, ShopCatalogue

CHANNEL_STATUSES = ("ACTIVE", "SUSPENDED")
MAX_QUANTITY = 100
_PARAMETERS = ("platform", "countryCode", "productBundleId", "quantity", "amount", "statuses")


def products_with_credentials(catalogue: ShopCatalogue, username: str,
                              password: str) -> list[Product]:
    """The products whose Basic Auth pair this is; 401 ``INVALID_CREDENTIALS`` when none."""
    products = [p for p in catalogue.by_username(username)
                if hmac.compare_digest(p.password.encode(), password.encode())]
    if not products:
        raise Pay1stError("INVALID_CREDENTIALS",
                          "the Basic credentials are not a product's Basic Auth username and "
                          "password")
    return products


class LegacyMethods:
    """Answers the legacy List Payment Methods call."""

    def __init__(self, shop: ShopCatalogue, countries: Catalogue) -> None:
        self._shop = shop
        self._countries = countries

    def groups(self, products: Sequence[Product], query: Mapping[str, str],
               statuses: Sequence[str]) -> tuple[dict[str, Any], list[Finding]]:
        """The answer for a query of these credentials' ``products``, and its warnings.

        400 ``INVALID_PARAMETER`` naming each missing or malformed parameter; 404 for an
        unknown bundle, 403 ``ACCESS_DENIED`` for another product's; 400 for a country the
        product is not sold in, an inactive bundle or a quantity out of range.
        """
        missing = [name for name in _PARAMETERS
                   if not (statuses if name == "statuses" else query.get(name))]
        if missing:
            raise Pay1stError("INVALID_PARAMETER",
                              "every query parameter is mandatory; missing: " + ", ".join(missing)
                              + " (send platform=SHOP&countryCode=NG&productBundleId=1&quantity=1"
                                "&amount=1000&statuses=ACTIVE)")
        if query["platform"].upper() != "SHOP":
            raise Pay1stError("INVALID_PARAMETER", "query parameter platform must be SHOP; got "
                                                   f"{query['platform']!r}")
        wrong = [s for s in statuses if s not in CHANNEL_STATUSES]
        if wrong:
            raise Pay1stError("INVALID_PARAMETER", "query parameter statuses takes ACTIVE and/or "
                                                   f"SUSPENDED; got {', '.join(wrong)}")
        bundle_id = _whole("productBundleId", query["productBundleId"])
        quantity = _whole("quantity", query["quantity"])
        amount = _number("amount", query["amount"])
        found = self._shop.bundle(bundle_id)
        if found is None:
            raise Pay1stError("BUNDLE_NOT_FOUND",
                              f"no bundle has productBundleId {bundle_id}; these credentials' "
                              "bundles: " + ", ".join(str(b.id) for p in products
                                                      for b in p.bundles))
        product, bundle = found
        if product.id not in {p.id for p in products}:
            raise Pay1stError("ACCESS_DENIED",
                              f"bundle {bundle_id} belongs to another product; these Basic "
                              f"credentials are product {products[0].id}'s (its bundles: "
                              + ", ".join(str(b.id) for b in products[0].bundles) + ")")
        country_code = query["countryCode"].upper()
        if country_code not in product.countries:
            raise Pay1stError("COUNTRY_NOT_SOLD",
                              f"{product.name} is not sold in {country_code}; it is sold in "
                              + ", ".join(product.countries))
        if not bundle.active:
            raise Pay1stError("BUNDLE_INACTIVE",
                              f"bundle {bundle.id} ({bundle.name}) is not active; pick an active "
                              "one")
        if not 1 <= quantity <= MAX_QUANTITY:
            raise Pay1stError("INVALID_QUANTITY",
                              f"quantity must be from 1 to {MAX_QUANTITY}; got {quantity}")
        warnings = []
        expected = bundle.prices[country_code] * quantity
        if amount != expected:
            warnings.append(Finding("query amount", f"{amount} differs from the bundle's price × "
                                    f"quantity = {expected} in {country_code}", kind="hint",
                                    severity="warning"))
        return {"data": {"groups": self._flat_groups(country_code, set(statuses))}}, warnings

    def _flat_groups(self, country_code: str, statuses: set[str]) -> list[dict[str, Any]]:
        groups = []
        for group in self._countries.api_groups(country_code):
            channels = [_flat(entry) for entry in group["channels"]
                        if entry["channel"].get("status", "ACTIVE") in statuses]
            if channels:
                groups.append({"id": group["id"], "name": group["name"],
                               "imageLocation": group.get("imageLocation"),
                               "channels": channels})
        return groups


def _flat(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A v4 ``channels[]`` entry in the legacy, flat shape (§8.2)."""
    channel = entry["channel"]
    return {"id": entry["id"], "channelCode": channel.get("channelCode", channel.get("code")),
            "channelName": channel["name"], "paymentMethod": channel["paymentMethod"],
            "status": channel.get("status", "ACTIVE"),
            "imageLocation": channel.get("imageLocation")}


def _whole(name: str, text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise Pay1stError("INVALID_PARAMETER",
                          f"query parameter {name} must be a whole number; got {text!r}")
    return int(text)


def _number(name: str, text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0 or abs(value.adjusted()) > 15:
        raise Pay1stError("INVALID_PARAMETER",
                          f"query parameter {name} must be an amount such as 1000 or 10.50; "
                          f"got {text!r}")
    return value
