"""The parameters the OpenAPI document describes but the views read by hand: the query
parameters of GETs and the fields of the HTML forms (data for ``web/openapi.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Param:
    """One query parameter of a GET."""

    name: str
    description: str
    required: bool = False
    type: str = "string"
    extra: tuple[tuple[str, Any], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "in": "query", "required": self.required,
                "description": self.description, "schema": {"type": self.type, **dict(self.extra)}}


_LIMIT = Param("limit", "How many to answer, newest first: 1 to 1000 (default 100).",
                type="integer", extra=(("minimum", 1), ("maximum", 1000), ("default", 100)))
_PARTNER_ID = Param("partnerId", "Only this partner's (404 if no partner has the id).",
                     type="integer")
_LINK = (Param("reference", "The payment's reference from Create Payment (C-<15 digits>-P).",
                required=True),
         Param("accessToken", "An access token of the partner that created the payment, "
                "URL-escaped.", required=True))
QUERY: dict[str, tuple[Param, ...]] = {
    "gateway.payment_methods": (
        Param("countryCode", "ISO 3166-1 alpha-2 country code, such as NG.", required=True),),
    "gateway.query_payment": (
        Param("reference", "The payment's reference (C-<15 digits>-P).", required=True),),
    "control.list_payments": (
        _PARTNER_ID, Param("status", "Only payments in this status (case-insensitive)."),
        _LIMIT),
    "control.list_deliveries": (
        _PARTNER_ID, Param("reference", "Only deliveries about this payment reference."),
        Param("status", "Only deliveries in this status (case-insensitive)."), _LIMIT),
    "control.list_journal": (
        _PARTNER_ID, Param("reference", "Only calls about this payment reference."), _LIMIT),
    "checkout.page": (
        *_LINK, Param("channelId", "Skip the method choice: a channels[].id from List "
                       "Payment Methods.", type="integer")),
    "checkout.result": _LINK,
    "legacy.payment_link": (
        Param("productBundleId", "The bundle to buy.", required=True, type="integer"),
        Param("username", "The player ID the partner's User Info Webhook is asked about.",
               required=True),
        Param("countryCode", "ISO 3166-1 alpha-2 country the customer pays in.", required=True),
        Param("quantity", "How many bundles: 1 to 100.", type="integer",
               extra=(("default", 1),)),
        Param("platform", "AND, IOS or WEB (case-insensitive).", extra=(("default", "WEB"),)),
        Param("externalReference", "The partner's own reference, for the legacy status call."),
        Param("channelId", "Skip the method choice: a channel id.", type="integer")),
    "legacy.legacy_status": (
        Param("externalReference", "The externalReference given to the payment link.",
               required=True),),
    "dashboard.overview": (
        Param("token", "The server's control token (when it requires one): kept in a cookie "
               "so the browser can use the dashboard."),),
    "dashboard.payments": (
        _PARTNER_ID, Param("status", "Only payments in this status (case-insensitive)."),
        Param("q", "Part of a reference or partnerReference (case-insensitive)."), _LIMIT),
    "dashboard.deliveries": (
        _PARTNER_ID, Param("status", "Only deliveries in this status (case-insensitive)."),
        Param("kind", "Only this kind: payment_event or summary."), _LIMIT),
    "dashboard.journal": (
        _PARTNER_ID, Param("reference", "Only calls about this payment reference."),
        Param("kind", "Only calls with a finding of this kind: schema, signature, token, rule "
               "or warning."), _LIMIT),
}


@dataclass(frozen=True)
class Form:
    """The fields of an HTML form a page posts (all text, as forms are)."""

    fields: tuple[tuple[str, str], ...]
    required: tuple[str, ...]
    more_fields: str | None = None

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {name: {"type": "string", "description": text}
                           for name, text in self.fields},
            "required": list(self.required)}
        if self.more_fields:
            schema["additionalProperties"] = {"type": "string", "description": self.more_fields}
        return schema


_FORM_LINK = (("reference", "The payment's reference."),
              ("accessToken", "The access token the checkout link carried."))
FORMS = {
    "checkout.choose": Form((*_FORM_LINK, ("channelId", "The chosen channels[].id.")),
                             ("reference", "accessToken", "channelId")),
    "checkout.submit": Form((*_FORM_LINK, ("step", "The step the form belongs to.")),
                             ("reference", "accessToken", "step"),
                             "The step's own fields (card number, phone, code, ...)."),
    "checkout.cancel": Form(_FORM_LINK, ("reference", "accessToken")),
    "checkout.leave": Form(_FORM_LINK, ("reference", "accessToken")),
    "shop.check_player": Form((("playerId", "The player ID to check with the partner."),
                                ("countryCode", "ISO 3166-1 alpha-2 country code.")),
                               ("playerId", "countryCode")),
    "shop.buy": Form((("playerId", "The checked player ID."),
                       ("countryCode", "ISO 3166-1 alpha-2 country code."),
                       ("bundleId", "The bundle to buy."),
                       ("quantity", "How many bundles (default 1).")),
                      ("playerId", "countryCode", "bundleId")),
    "dashboard.advance_clock": Form((("amount", "How far to move the clock: a number ≥ 0."),
                                     ("unit", "seconds (default), minutes, hours or days.")),
                                    ("amount",)),
}
