"""The Carry1st Shop storefront (``/shop``), the legacy payment link (``/payment``) and the
legacy status query (``/api/fulfilments/status``) — pay1st-api.md §7, §8.

Storefront: product → player ID (the partner's User Info Webhook is called and its answer
shown) → bundle and quantity → the same hosted checkout as the gateway → a receipt showing the
payment and the Summary Webhook's delivery. The products' and bundles' pictures are served here
too (the configured files, or drawn ones: ``shop/images.py``). The legacy link skips to the
checkout for one bundle and ends on the product's callback.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from pay1st_mock.config import Callbacks
from pay1st_mock.errors import Pay1stError
from pay1st_mock.records import Payment
from pay1st_mock.shop import images
from pay1st_mock.shop.catalogue import Bundle, Product
from pay1st_mock.shop.purchases import Order
from pay1st_mock.shop.user_info import UserInfoResult
from pay1st_mock.web.display import initials
from pay1st_mock.web.http import basic_credentials, json_response, query_parameter, services
from pay1st_mock.web.operations import BASIC_AUTH, Form, Operation, Param
from pay1st_mock.webhooks.kinds import SummaryKind

MAX_PREFILL = 128  # a player ID is at most this long (the Shop refuses longer ones)

blueprint = Blueprint("shop", __name__, url_prefix="/shop", template_folder="templates")
legacy = Blueprint("legacy", __name__, template_folder="templates")


class ShopPageError(Exception):
    """A Shop request that cannot go on; rendered as a page saying why."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


def _page_error(error: ShopPageError) -> tuple[str, int]:
    return render_template("shop/error.html", title=error.title,
                           message=error.message), error.status


blueprint.register_error_handler(ShopPageError, _page_error)
legacy.register_error_handler(ShopPageError, _page_error)

# Pictures may be shown by any page; the response may not run anything if opened on its own
# (an SVG file from the config is a document too).
_IMAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


@blueprint.context_processor
def _shop_helpers() -> dict[str, Any]:
    return {"product_image": _product_image_url, "bundle_image": _bundle_image_url,
            "countries_of": _countries_of, "bundle_label": _bundle_label}


def _product_image_url(product: Product) -> str:
    if product.image is not None and product.image.url is not None:
        return product.image.url
    return url_for("shop.product_image", product_id=product.id)


def _bundle_image_url(product: Product, bundle: Bundle) -> str:
    if bundle.image is not None and bundle.image.url is not None:
        return bundle.image.url
    return url_for("shop.bundle_image", product_id=product.id, bundle_id=bundle.id)


def _countries_of(product: Product) -> list[dict[str, str]]:
    """The product's countries with their names and currencies, in the config's order."""
    catalogue = services().catalogue
    found = []
    for code in product.countries:
        country = catalogue.country(code)
        found.append({"code": code, "name": country.name if country else code,
                      "currency": country.currency if country else ""})
    return found


def _bundle_label(product: Product, bundle: Bundle) -> str:
    """What a bundle credits, said once: its name, or its name and amount when they differ."""
    amount = f"{bundle.tokens:,} {product.currency_name}"
    return bundle.name if bundle.name.strip() in (amount, amount.replace(",", "")) \
        else f"{bundle.name} · {amount}"


def _int(name: str, value: str | None, default: int | None = None) -> int:
    if (value is None or value == "") and default is not None:
        return default
    if value is None or not value.strip().lstrip("-").isdigit():
        raise ShopPageError(400, f"Bad {name}", f"{name} must be a whole number; got {value!r}.")
    return int(value)


def _product(product_id: int) -> Product:
    try:
        return services().shop.product(product_id)
    except Pay1stError as exc:
        raise ShopPageError(404, "Unknown product", exc.message) from None


def _checkout_redirect(payment: Payment, channel_id: str | None = None) -> Response:
    """Send the customer to the hosted checkout, as the Shop does, with a token of its own."""
    token = services().tokens.issue(payment.partner_id).access_token
    query = {"reference": payment.reference, "accessToken": token}
    if channel_id:
        query["channelId"] = channel_id
    return redirect("/checkout?" + urlencode(query), code=303)


def _player_refused(product: Product, form: Any, verdict: UserInfoResult) -> tuple[str, int]:
    """The player page again, with the partner's refusal (400) or the partner's fault (502)."""
    status = 400 if verdict.verdict == "rejected" else 502
    return _player_page(product, form, verdict.message, verdict.verdict), status


def _player_page(product: Product, form: Any, error: str | None = None,
                 fault: str | None = None) -> str:
    return render_template("shop/player.html", product=product, form=form, error=error,
                           fault=fault, partner=_seller(product))


def _seller(product: Product) -> str:
    """The name of the partner selling ``product``."""
    try:
        return services().partners.get(product.partner_id).config.name
    except Pay1stError:
        return ""


def _image(content: bytes, media_type: str) -> Response:
    response = Response(content, mimetype=media_type)
    response.headers["Content-Security-Policy"] = _IMAGE_POLICY
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get("")
@Operation(page=True)
def products() -> str:
    """The storefront: every product on sale."""
    return render_template("shop/products.html",
                           products=list(services().shop.catalogue.products.values()))


@blueprint.get("/<int:product_id>")
@Operation(page=True, query=(
    Param("playerId", "Fill in the player ID (the receipt's \"Buy again\")."),
    Param("countryCode", "Preselect this country (ISO 3166-1 alpha-2).")))
def product_page(product_id: int) -> str:
    """A product: enter the player ID and country; its bundles and their prices."""
    product = _product(product_id)
    form = {"playerId": request.args.get("playerId", "")[:MAX_PREFILL],
            "countryCode": request.args.get("countryCode", "").upper()[:2]}
    return _player_page(product, form)


@blueprint.get("/<int:product_id>/image")
@Operation(file="The product's picture: the configured file, or an SVG drawn from its name.")
def product_image(product_id: int) -> Response:
    """The product's picture; 303 to the picture it reuses when the config names one."""
    product = _product(product_id)
    if product.image is None:
        return _image(images.product_art(product.name, initials(product.name)), images.SVG)
    if product.image.url is not None:
        return redirect(product.image.url, code=303)
    assert product.image.content is not None and product.image.media_type is not None
    return _image(product.image.content, product.image.media_type)


@blueprint.get("/<int:product_id>/bundles/<int:bundle_id>/image")
@Operation(file="The bundle's picture: the configured file, or an SVG pile of gems that grows "
                "with the bundle.")
def bundle_image(product_id: int, bundle_id: int) -> Response:
    """The bundle's picture; 303 to the picture it reuses when the config names one."""
    product = _product(product_id)
    try:
        _, bundle = services().shop.bundle(bundle_id, product)
    except Pay1stError as exc:
        raise ShopPageError(404, "Unknown bundle", exc.message) from None
    if bundle.image is None:
        sizes = images.pile_sizes([b.tokens for b in product.bundles])
        size = sizes[[b.id for b in product.bundles].index(bundle.id)]
        return _image(images.bundle_art(product.name, size), images.SVG)
    if bundle.image.url is not None:
        return redirect(bundle.image.url, code=303)
    assert bundle.image.content is not None and bundle.image.media_type is not None
    return _image(bundle.image.content, bundle.image.media_type)


@blueprint.post("/<int:product_id>/player")
@Operation(page=True, form=Form(
    (("playerId", "The player ID to check with the partner."),
     ("countryCode", "ISO 3166-1 alpha-2 country code.")), ("playerId", "countryCode")))
def check_player(product_id: int) -> tuple[str, int]:
    """Form ``playerId``, ``countryCode`` → the partner's verdict; bundles if it accepts."""
    product = _product(product_id)
    form = request.form
    order = Order(product, None, 1, form.get("countryCode", ""), form.get("playerId", ""))
    try:
        verdict = services().shop.check_player(order)
    except Pay1stError as exc:
        return _player_page(product, form, exc.message), 400
    if not verdict.accepted:
        return _player_refused(product, form, verdict)
    return render_template("shop/bundles.html", product=product, order=order,
                           verdict=verdict, currency=services().shop.currency(order),
                           partner=_seller(product)), 200


@blueprint.post("/<int:product_id>/buy")
@Operation(redirect="The hosted checkout for the new payment.", form=Form(
    (("playerId", "The checked player ID."), ("countryCode", "ISO 3166-1 alpha-2 country code."),
     ("bundleId", "The bundle to buy."), ("quantity", "How many bundles (default 1).")),
    ("playerId", "countryCode", "bundleId")))
def buy(product_id: int) -> Response | tuple[str, int]:
    """Form ``playerId``, ``countryCode``, ``bundleId``, ``quantity`` → the hosted checkout.

    The User Info Webhook is asked again, now with the bundle, amount and quantity (the
    parameters Pay1st documents), so a form posted without a checked player buys nothing.
    """
    svc = services()
    product = _product(product_id)
    form = request.form
    try:
        _, bundle = svc.shop.bundle(_int("bundleId", form.get("bundleId")), product)
        order = Order(product, bundle, _int("quantity", form.get("quantity"), 1),
                      form.get("countryCode", ""), form.get("playerId", ""))
        verdict = svc.shop.check_player(order)
        if not verdict.accepted:
            return _player_refused(product, form, verdict)
        _, payment = svc.shop.buy(order, verdict, "shop", _receipt_callbacks)
    except Pay1stError as exc:
        raise ShopPageError(400, "Cannot buy this", exc.message) from None
    return _checkout_redirect(payment)


def _receipt_callbacks(reference: str) -> Callbacks:
    """Every outcome of a storefront payment comes back to its receipt page."""
    receipt = f"/shop/receipts/{reference}"
    return Callbacks(receipt, receipt, receipt, receipt)


@blueprint.get("/receipts/<reference>")
@Operation(page=True)
def receipt(reference: str) -> tuple[str, int]:
    """The confirmation: the purchase, the payment's status, the Summary Webhook's delivery."""
    svc = services()
    purchase = svc.shop.purchase_for(reference)
    if purchase is None:
        raise ShopPageError(404, "Unknown purchase", f"No Shop purchase is paid by {reference}.")
    payment = svc.payments.find(reference)
    product, bundle = svc.shop.bundle(purchase.bundle_id)
    deliveries = svc.outbox.search(None, reference, None, 10)
    return render_template("shop/receipt.html", purchase=purchase, payment=payment,
                           product=product, bundle=bundle, partner=_seller(product),
                           summary=next((d for d in deliveries if d.kind == SummaryKind.name),
                                        None)), 200


@legacy.get("/payment")
@Operation(redirect="The hosted checkout for the new payment.", query=(
    Param("productBundleId", "The bundle to buy.", required=True, type="integer"),
    Param("username", "The player ID the partner's User Info Webhook is asked about.",
          required=True),
    Param("countryCode", "ISO 3166-1 alpha-2 country the customer pays in.", required=True),
    Param("quantity", "How many bundles: 1 to 100.", type="integer", extra=(("default", 1),)),
    Param("platform", "AND, IOS or WEB (case-insensitive).", extra=(("default", "WEB"),)),
    Param("externalReference", "The partner's own reference, for the legacy status call."),
    Param("channelId", "Skip the method choice: a channel id.", type="integer")))
def payment_link() -> Response:
    """The legacy hosted payment link (§8.1): one bundle for ``username`` → the checkout."""
    svc = services()
    args = request.args
    try:
        product, bundle = svc.shop.bundle(_int("productBundleId", args.get("productBundleId")))
    except Pay1stError as exc:
        raise ShopPageError(404, "Unknown bundle", exc.message) from None
    platform = args.get("platform", "WEB").upper()
    if platform not in ("AND", "IOS", "WEB"):
        raise ShopPageError(400, "Bad platform", f"platform must be AND, IOS or WEB; got "
                                                 f"{platform!r}.")
    order = Order(product, bundle, _int("quantity", args.get("quantity"), 1),
                  args.get("countryCode", "").upper(), args.get("username", ""),
                  args.get("externalReference") or None)
    try:
        verdict = svc.shop.check_player(order)
        if not verdict.accepted:
            code = "PLAYER_REJECTED" if verdict.verdict == "rejected" else "PARTNER_FAULT"
            raise Pay1stError(code, verdict.message)
        callbacks = Callbacks(product.callbacks.get("success"), product.callbacks.get("failure"),
                              product.callbacks.get("pending"), product.callbacks.get("failure"))
        _, payment = svc.shop.buy(order, verdict, "legacy", callbacks, platform)
    except Pay1stError as exc:
        raise ShopPageError(400, "Cannot open this payment link", exc.message) from None
    return _checkout_redirect(payment, args.get("channelId"))


@legacy.get("/api/fulfilments/status")
@Operation(security=BASIC_AUTH, query=(
    Param("externalReference", "The externalReference given to the payment link.",
          required=True),))
def legacy_status() -> Response:
    """Basic (product username:password) + ``?externalReference=`` → 200 status (§8.3)."""
    credentials = basic_credentials("USERNAME:PASSWORD of the product's Basic Auth")
    if credentials is None:
        raise Pay1stError("MISSING_CREDENTIALS",
                          "send Authorization: Basic base64(username:password) with the "
                          "product's Basic Auth username and password")
    body: dict[str, Any] = services().shop.legacy_status(
        *credentials, query_parameter("externalReference"))
    return json_response(body)
