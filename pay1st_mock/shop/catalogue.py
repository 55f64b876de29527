"""Shop products and bundles from the config, with a demo product when none is configured."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field
from decimal import Decimal
from pathlib import Path
from typing import Any

from pay1st_mock.config import ConfigError
from pay1st_mock.frozen import frozen
from pay1st_mock.shop.images import ConfiguredImage, load_image
from pay1st_mock.signing import summary_key


@frozen
class Bundle:
    """A SKU: Carry1st's ``productBundleId`` and the partner's ``productBundleExternalId``."""

    id: int
    sku: str
    name: str
    tokens: int
    prices: Mapping[str, Decimal]
    active: bool = True
    image: ConfiguredImage | None = None  # None: the storefront draws one


@frozen
class Product:
    """A product sold in the Shop, with its per-product settings (pay1st-api.md §3.2)."""

    id: int
    partner_id: int
    name: str
    countries: tuple[str, ...]
    currency_name: str
    currency_code: str
    username: str
    password: str
    user_info_url: str | None
    summary_url: str | None
    callbacks: Mapping[str, str | None]
    bundles: tuple[Bundle, ...] = field(default_factory=tuple)
    image: ConfiguredImage | None = None  # None: the storefront draws one
    # Whether the config gives the Basic Auth pair: then the User Info and Summary Webhook calls
    # carry it (Authorization: Basic), as Pay1st's integration steps say.
    basic_auth: bool = False


# The demo product. Its Basic Auth pair is the docs' example (pay1st-api.md §5.2), so the
# documented Summary signature test vector reproduces with it.
DEMO_PRODUCT: dict[str, Any] = {
    "id": 1, "partner_id": 1, "name": "Sandbox Quest",
    "countries": ["NG", "ZA", "KE", "GH", "EG", "MA"],
    "digital_currency": {"name": "Credits", "code": "CRE"},
    "basic_auth": {"username": "apiuser", "password": "apipassword"},
    "bundles": [
        {"id": 1, "sku": "CRE-11", "name": "11 Credits", "tokens": 11,
         "prices": {"NG": 1000, "ZA": 10, "KE": 150, "GH": 15, "EG": 50, "MA": 10}},
        {"id": 2, "sku": "CRE-60", "name": "60 Credits", "tokens": 60,
         "prices": {"NG": 5000, "ZA": 50, "KE": 700, "GH": 70, "EG": 250, "MA": 50}},
        {"id": 3, "sku": "CRE-OLD", "name": "Retired pack", "tokens": 5, "active": False,
         "prices": {"NG": 500, "ZA": 5, "KE": 70, "GH": 7, "EG": 25, "MA": 5}},
    ],
}


def _check_image_paths(products: Sequence[Product], where: str) -> None:
    """An ``image`` naming a picture the emulator serves must name one that exists and is not
    itself such a reference (so every picture loads, and none points in a circle)."""
    pictures: dict[str, ConfiguredImage | None] = {}
    for product in products:
        pictures[f"/shop/{product.id}/image"] = product.image
        for bundle in product.bundles:
            pictures[f"/shop/{product.id}/bundles/{bundle.id}/image"] = bundle.image
    for index, product in enumerate(products):
        owned = [(f"{where}: products[{index}].image", product.image)]
        owned += [(f"{where}: products[{index}].bundles[{b_index}].image", bundle.image)
                  for b_index, bundle in enumerate(product.bundles)]
        for key, image in owned:
            if image is None or image.url is None:
                continue
            if image.url not in pictures:
                raise ConfigError(f"{key}: {image.url} is no product's or bundle's picture "
                                  "(" + ", ".join(sorted(pictures)) + ")")
            target = pictures[image.url]
            if target is not None and target.url is not None:
                raise ConfigError(f"{key}: {image.url} is itself a reference to {target.url}; "
                                  "name the picture it shows")


class ShopCatalogue:
    """Products and bundles by id."""

    def __init__(self, products: Iterable[Product]) -> None:
        self.products = {product.id: product for product in products}
        self._bundles = {bundle.id: (product, bundle) for product in self.products.values()
                         for bundle in product.bundles}

    @classmethod
    def from_config(cls, raw_products: Sequence[Mapping[str, Any]], partner_ids: set[int],
                    country_codes: set[str], source: str | None = None) -> ShopCatalogue:
        """Build from the config's ``[[products]]`` (or the demo product when there are none).

        Raises ``ConfigError`` naming the key for what a schema cannot check.
        """
        where = source or "<config>"
        # A relative image path is read from the config file's folder.
        base = Path(source).parent if source and Path(source).is_file() else Path.cwd()
        products: list[Product] = []
        bundle_owner: dict[int, int] = {}
        for index, raw in enumerate(raw_products or [DEMO_PRODUCT]):
            key = f"{where}: products[{index}]"
            if any(p.id == raw["id"] for p in products):
                raise ConfigError(f"{key}.id: product id {raw['id']} is used twice")
            partner_id = raw.get("partner_id", 1)
            if partner_id not in partner_ids:
                raise ConfigError(f"{key}.partner_id: no partner has id {partner_id}")
            for code in raw["countries"]:
                if code not in country_codes:
                    raise ConfigError(f"{key}.countries: {code} is not a served country ("
                                      + ", ".join(sorted(country_codes)) + ")")
            bundles: list[Bundle] = []
            for b_index, bundle in enumerate(raw["bundles"]):
                owner = bundle_owner.setdefault(bundle["id"], raw["id"])
                if owner != raw["id"] or any(b.id == bundle["id"] for b in bundles):
                    raise ConfigError(f"{key}.bundles[{b_index}].id: productBundleId "
                                      f"{bundle['id']} is used twice")
                precise = [c for c, v in bundle["prices"].items()
                           if Decimal(str(v)) != Decimal(str(v)).quantize(Decimal("0.01"))]
                if precise:
                    raise ConfigError(f"{key}.bundles[{b_index}].prices: more than 2 decimals "
                                      "for " + ", ".join(precise))
                missing = [c for c in raw["countries"] if c not in bundle["prices"]]
                if missing:
                    raise ConfigError(f"{key}.bundles[{b_index}].prices: no price for "
                                      + ", ".join(missing))
                image = bundle.get("image")
                bundles.append(Bundle(bundle["id"], bundle["sku"], bundle["name"],
                                      bundle["tokens"],
                                      {c: Decimal(str(v)) for c, v in bundle["prices"].items()},
                                      bundle.get("active", True),
                                      load_image(image, f"{key}.bundles[{b_index}].image", base)
                                      if image else None))
            auth = raw.get("basic_auth", {"username": f"product{raw['id']}",
                                          "password": "change-me"})
            currency = raw.get("digital_currency", {"name": "Credits", "code": "CRE"})
            callbacks = raw.get("callbacks", {})
            products.append(Product(
                id=raw["id"], partner_id=partner_id, name=raw["name"],
                countries=tuple(raw["countries"]), currency_name=currency["name"],
                currency_code=currency["code"], username=auth["username"],
                password=auth["password"], user_info_url=raw.get("user_info_url"),
                summary_url=raw.get("summary_url"),
                callbacks={k: callbacks.get(k) for k in ("success", "failure", "pending")},
                bundles=tuple(bundles),
                image=load_image(raw["image"], f"{key}.image", base) if raw.get("image")
                else None, basic_auth="basic_auth" in raw))
        _check_image_paths(products, where)
        return cls(products)

    def product(self, product_id: int) -> Product | None:
        """Return a product by id."""
        return self.products.get(product_id)

    def products_of(self, partner_id: int) -> list[Product]:
        """A partner's products, by id."""
        return sorted((p for p in self.products.values() if p.partner_id == partner_id),
                      key=lambda p: p.id)

    def bundle(self, bundle_id: int) -> tuple[Product, Bundle] | None:
        """Return the product and bundle of a ``productBundleId``."""
        return self._bundles.get(bundle_id)

    def sends_basic_auth(self, summary_key_text: str) -> bool:
        """Whether a product whose Summary key this is configured its Basic Auth pair, so its
        webhook calls carry ``Authorization: Basic <that key>``."""
        return any(p.basic_auth and summary_key(p.username, p.password) == summary_key_text
                   for p in self.products.values())

    def by_username(self, username: str) -> list[Product]:
        """Return the products whose Basic Auth username is ``username``."""
        return [p for p in self.products.values() if p.username == username]
