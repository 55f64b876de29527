"""HTTP surfaces: blueprints parse requests, call the domain, and serialise the answer."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register every surface on ``app``: the error envelope, control-token guard, journal,
    request guard (oversized bodies, cross-site control calls), fault hooks and page headers,
    then the blueprints (gateway, control, checkout, Shop, dashboard, OpenAPI)."""
    from pay1st_mock.web import (
        checklist,
        checkout,
        control,
        control_auth,
        dashboard,
        dashboard_checklist,
        dashboard_money_back,
        display,
        errors,
        events,
        faults,
        gateway,
        index,
        journal,
        legacy_methods,
        money_back_control,
        openapi,
        page_headers,
        refunds,
        request_guard,
        shop_control,
        storefront,
    )

    del dashboard_checklist  # imported for its pages, which join the dashboard blueprint
    # Imported for their views, which join the gateway, control, dashboard and legacy ones.
    del refunds, money_back_control, dashboard_money_back, legacy_methods
    for module in (errors, control_auth, journal, request_guard, faults, page_headers,
                   display):
        module.register(app)
    for blueprint in (gateway.blueprint, control.blueprint, checkout.blueprint,
                      storefront.blueprint, storefront.legacy, shop_control.blueprint,
                      faults.blueprint, events.blueprint, checklist.blueprint,
                      dashboard.blueprint, openapi.blueprint, index.blueprint):
        app.register_blueprint(blueprint)
