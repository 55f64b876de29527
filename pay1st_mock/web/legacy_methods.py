"""Legacy List Payment Methods (pay1st-api.md §8.2): the payment methods of a Shop product's
bundle, for the v3.x Gateway built on the Shop, with the product's Basic credentials.

Importing this module adds its view to the legacy blueprint (``web/storefront.py``).
"""

from __future__ import annotations

from flask import Response, request

from pay1st_mock.errors import Pay1stError
from pay1st_mock.shop.legacy import products_with_credentials
from pay1st_mock.web.http import basic_credentials, json_response, services
from pay1st_mock.web.operations import BASIC_AUTH, Operation, Param
from pay1st_mock.web.storefront import legacy

PATH = "/api/shop/payments/channels/hosted/external-groupings"
_QUERY = (
    Param("platform", "Must be SHOP.", required=True, extra=(("enum", ["SHOP"]),)),
    Param("countryCode", "ISO 3166-1 alpha-2 country the customer pays in.", required=True),
    Param("productBundleId", "The bundle the customer buys (one of these credentials' "
          "products).", required=True, type="integer"),
    Param("quantity", "How many bundles: 1 to 100.", required=True, type="integer"),
    Param("amount", "The amount in the country's currency (price × quantity; a different one "
          "earns a warning).", required=True, type="number"),
    Param("statuses", "ACTIVE and/or SUSPENDED; repeat the parameter for both.", required=True,
          extra=(("enum", ["ACTIVE", "SUSPENDED"]),)),
)


@legacy.get(PATH)
@Operation(response="shop/legacy-payment-methods-response.json", security=BASIC_AUTH,
           query=_QUERY)
def legacy_payment_methods() -> Response:
    """Basic (product username:password) + the mandatory query → 200 `{data: {groups: [...]}}`
    with flat channels (§8.2), from the same catalogue as the v4 list.

    400 `INVALID_PARAMETER` naming every missing or malformed parameter; 404 for an unknown
    bundle; 403 `ACCESS_DENIED` for another product's bundle.
    """
    credentials = basic_credentials("USERNAME:PASSWORD of the product's Basic Auth")
    if credentials is None:
        raise Pay1stError("MISSING_CREDENTIALS",
                          "send Authorization: Basic base64(username:password) with the "
                          "product's Basic Auth username and password")
    svc = services()
    products = products_with_credentials(svc.shop.catalogue, *credentials)
    svc.rate_limits.admit(products[0].partner_id)
    statuses = [s.strip().upper() for s in request.args.getlist("statuses") if s.strip()]
    body, warnings = svc.legacy_methods.groups(
        products, {name: request.args.get(name, "").strip() for name in
                   ("platform", "countryCode", "productBundleId", "quantity", "amount")},
        statuses)
    return json_response(body, warnings=warnings)
