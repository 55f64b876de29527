"""“Replicate the staging configuration for production”: a partner's configuration written as a
TOML file that ``pay1st-mock serve --config`` accepts, without its secrets, and the list of what
to set in Pay1st's production console.

Secrets never leave: the API key, API secret, signing key and each product's Basic Auth
password are written as placeholders, because production has its own (generated in the Pay1st
Console); everything else — URLs, products, bundles, countries and prices — is copied as is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal

from pay1st_mock.frozen import frozen
from pay1st_mock.records import Partner
from pay1st_mock.shop.catalogue import Product

# Long enough for the config's checks (8 characters at least), obviously not a real value.
PLACEHOLDER = "set-me-from-the-production-console"


@frozen
class Export:
    """The TOML text and the console steps."""

    toml: str
    console: list[str]


def _text(value: str) -> str:
    """A TOML basic string (JSON's escapes are all valid TOML escapes)."""
    return json.dumps(value, ensure_ascii=True)


def _number(value: Decimal | int | float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def export_partner(partner: Partner, products: Iterable[Product]) -> Export:
    """The partner's configuration (never its secrets) and what to set in Pay1st's console."""
    config = partner.config
    lines = [
        f"# pay1st-mock configuration of partner {config.id} ({config.code}), exported for "
        "production.",
        "# Secrets are placeholders: production has its own, from the Pay1st Console.",
        "version = 1", "", "[[partners]]", f"id = {config.id}", f"code = {_text(config.code)}",
        f"name = {_text(config.name)}", f"api_key = {_text(PLACEHOLDER)}",
        f"api_secret = {_text(PLACEHOLDER)}", f"signing_key = {_text(PLACEHOLDER)}"]
    console = ["Generate the production API key, API secret and signing key (Pay1st Console, "
               "API credentials) and store them in your production secrets."]
    if config.webhook_url:
        lines.append(f"webhook_url = {_text(config.webhook_url)}")
        console.append(f"Payment Webhook URL: {config.webhook_url} → your production URL.")
    callbacks = {k: getattr(config.callbacks, k) for k in ("success", "failure", "pending",
                                                           "cancel")}
    if any(callbacks.values()):
        lines += ["", "[partners.callbacks]"] + [f"{k} = {_text(v)}" for k, v in
                                                 callbacks.items() if v]
        console += [f"{k} callback URL: {v} → your production URL."
                    for k, v in callbacks.items() if v]
    for product in products:
        lines += _product(product)
        console.append(f"Product {product.id} ({product.name}): countries "
                       f"{', '.join(product.countries)}; {len(product.bundles)} bundle(s) with "
                       "their prices; User Info and Summary Webhook URLs and the Basic Auth "
                       "username and a new password.")
    console.append("Ask your implementation manager to replicate the products and bundles, "
                   "then tick 'Replicate the staging configuration for production'.")
    return Export("\n".join(lines) + "\n", console)


def _product(product: Product) -> list[str]:
    lines = ["", "[[products]]", f"id = {product.id}", f"partner_id = {product.partner_id}",
             f"name = {_text(product.name)}",
             "countries = [" + ", ".join(_text(c) for c in product.countries) + "]",
             f"digital_currency = {{ name = {_text(product.currency_name)}, code = "
             f"{_text(product.currency_code)} }}",
             f"basic_auth = {{ username = {_text(product.username)}, password = "
             f"{_text(PLACEHOLDER)} }}"]
    for key, url in (("user_info_url", product.user_info_url),
                     ("summary_url", product.summary_url)):
        if url:
            lines.append(f"{key} = {_text(url)}")
    if product.image is not None:  # a file's absolute path, or a picture the emulator serves
        lines.append(f"image = {_text(product.image.source)}")
    callbacks = {k: v for k, v in product.callbacks.items() if v}
    if callbacks:
        lines.append("callbacks = { " + ", ".join(f"{k} = {_text(v)}" for k, v in
                                                   callbacks.items()) + " }")
    for bundle in product.bundles:
        prices = ", ".join(f"{c} = {_number(p)}" for c, p in bundle.prices.items())
        lines += ["", "[[products.bundles]]", f"id = {bundle.id}", f"sku = {_text(bundle.sku)}",
                  f"name = {_text(bundle.name)}", f"tokens = {bundle.tokens}",
                  f"active = {'true' if bundle.active else 'false'}",
                  f"prices = {{ {prices} }}"]
        if bundle.image is not None:
            lines.append(f"image = {_text(bundle.image.source)}")
    return lines
