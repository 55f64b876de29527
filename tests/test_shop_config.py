"""Shop products in the config: each mistake is a ``ConfigError`` naming the file and the key
(``products[0].bundles[1].prices``), whether the schema or the catalogue finds it (design.md §8)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from pay1st_mock.app import create_app, services
from pay1st_mock.config import MEMORY, ConfigError, load_settings, settings_from_mapping

SOURCE = "conf/shop.toml"


def bundle(bundle_id: int, **changes: Any) -> dict[str, Any]:
    return {"id": bundle_id, "sku": f"SKU-{bundle_id}", "name": f"Pack {bundle_id}",
            "tokens": 10, "prices": {"NG": 500, "ZA": 5}, **changes}


def product(product_id: int = 10, **changes: Any) -> dict[str, Any]:
    return {"id": product_id, "name": f"Game {product_id}", "countries": ["NG", "ZA"],
            "basic_auth": {"username": f"user{product_id}", "password": "pass"},
            "bundles": [bundle(product_id * 10 + 1), bundle(product_id * 10 + 2)], **changes}


def build(raw: dict[str, Any], source: str = SOURCE) -> None:
    """Validate the config and start an app on it (closed again at once)."""
    settings = settings_from_mapping(raw, source=source).with_overrides(data=MEMORY, seed=1)
    app = create_app(settings)
    services(app).close()


def error_of(products: list[dict[str, Any]], **top: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        build({"version": 1, "products": products, **top})
    message = str(caught.value)
    assert SOURCE in message, f"the message should name the file: {message}"
    return message


def test_valid_products_start() -> None:
    build({"version": 1, "products": [product(10), product(11)]})
    build({"version": 1,
           "partners": [{"id": 2, "code": "ACME", "api_key": "acme-key",
                         "api_secret": "acme-secret", "signing_key": "acme-signing"}],
           "products": [product(10, partner_id=2)]})


def test_duplicate_product_id() -> None:
    twin = product(10, bundles=[bundle(901)])
    message = error_of([product(10), twin])
    assert "products[1].id" in message and "10" in message


def test_duplicate_bundle_id_in_one_product() -> None:
    message = error_of([product(10, bundles=[bundle(101), bundle(101)])])
    assert "products[0].bundles[1].id" in message and "101" in message


def test_duplicate_bundle_id_across_products() -> None:
    message = error_of([product(10), product(11, bundles=[bundle(102)])])
    assert "products[1].bundles[0].id" in message and "102" in message


def test_unknown_partner_id() -> None:
    message = error_of([product(10, partner_id=7)])
    assert "products[0].partner_id" in message and "7" in message


def test_country_not_served() -> None:
    message = error_of([product(10), product(11, countries=["NG", "US"])])
    assert "products[1].countries" in message and "US" in message
    assert "NG" in message and "ZA" in message, "the served countries are listed"


def test_bundle_without_a_price_for_a_country() -> None:
    message = error_of([product(10, bundles=[bundle(101), bundle(102, prices={"NG": 500})])])
    assert "products[0].bundles[1].prices" in message and "ZA" in message


def test_basic_auth_username_with_a_colon() -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping({"version": 1, "products": [
            product(10, basic_auth={"username": "api:user", "password": "pass"})]},
            source=SOURCE)
    message = str(caught.value)
    assert SOURCE in message and "products[0].basic_auth.username" in message


def test_schema_errors_name_the_product_key() -> None:
    broken = product(10)
    broken["bundles"] = copy.deepcopy(broken["bundles"])
    broken["bundles"][1]["tokens"] = 0
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping({"version": 1, "products": [broken]}, source=SOURCE)
    assert "products[0].bundles[1].tokens" in str(caught.value)


def test_toml_file_errors_name_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "shop.toml"
    path.write_text("""version = 1

[[products]]
id = 10
name = "Gem Quest"
countries = ["NG", "ZA"]

[[products.bundles]]
id = 101
sku = "GEM-1"
name = "1 Gem"
tokens = 1
prices = { NG = 100, ZA = 1 }

[[products.bundles]]
id = 102
sku = "GEM-2"
name = "2 Gems"
tokens = 2
prices = { NG = 200 }
""", encoding="utf-8")
    settings = load_settings(path).with_overrides(data=MEMORY, seed=1)
    with pytest.raises(ConfigError) as caught:
        create_app(settings)
    message = str(caught.value)
    assert str(path) in message and "products[0].bundles[1].prices" in message
    assert "ZA" in message
