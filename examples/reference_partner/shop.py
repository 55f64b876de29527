"""The Shop integration (§7): who may buy (User Info Webhook) and crediting (Summary Webhook)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from reference_partner.errors import PartnerError
from reference_partner.partner import Partner
from reference_partner.settings import PartnerSettings


class PlayerError(PartnerError):
    """A player that may not buy; ``code`` is our errorCode for Pay1st."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def check_player(settings: PartnerSettings, player_id: str, active: bool = True) -> None:
    """Raise ``PlayerError`` unless ``player_id`` is a player of ours, and an active one (not
    suspended or banned) unless ``active`` is False."""
    shown = player_id if len(player_id) <= 100 else player_id[:100] + "…"
    player = settings.players.get(player_id)
    if player is None:
        raise PlayerError(f"no player has id {shown!r}", "PLAYER_NOT_FOUND")
    if active and not player["active"]:
        raise PlayerError(f"player {shown!r} is not active", "PLAYER_INACTIVE")


def user_info(partner: Partner, query: Mapping[str, str]) -> dict[str, Any]:
    """Answer the User Info Webhook: the 200 body for an active player, else ``PlayerError``.

    We echo Pay1st's ``externalReference`` (or make one), ``amount`` and ``currencyCode``.
    """
    if partner.bug("user-info-500-on-missing-player"):
        player_id = query["playerId"]  # a KeyError when it is missing, unhandled: a 500
    else:
        player_id = query.get("playerId", "")
    if not player_id:
        raise PlayerError("playerId is required", "MISSING_PLAYER_ID")
    if not partner.bug("user-info-accepts-unknown"):  # Pay1st asks: exists AND is active?
        check_player(partner.settings, player_id,
                     active=not partner.bug("user-info-accepts-suspended"))
    if partner.bug("user-info-wrong-shape"):
        return {"id": player_id}
    return {"userId": player_id,
            "externalReference": query.get("externalReference") or str(uuid.uuid4()),
            "amount": parse_amount(query.get("amount")),
            "currencyCode": query.get("currencyCode") or None}


def parse_amount(text: str | None) -> int | float:
    """The ``amount`` query parameter as a JSON number (0 when absent)."""
    if not text:
        return 0
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise PlayerError(f"amount must be a number; got {text[:50]!r}", "INVALID_AMOUNT")
    return int(value) if value == value.to_integral_value() else float(value)


def credit_summary(partner: Partner, summary: Mapping[str, Any]) -> str:
    """Credit a SUCCESSFUL Summary's ``tokensPurchased`` to its player, once per ``reference``.

    Returns a note for the answer. Anything we will not credit still answers 200: a 4xx would
    only make Pay1st retry a delivery that can never succeed.
    """
    status = summary.get("status")
    if status != "SUCCESSFUL":
        return f"status {status}: nothing to credit"
    reference, player_id = summary.get("reference"), summary.get("playerId")
    tokens = summary.get("tokensPurchased")
    if (not isinstance(reference, str) or not isinstance(player_id, str)
            or type(tokens) is not int or tokens < 0):
        raise PartnerError("a SUCCESSFUL Summary needs reference and playerId (strings) and "
                           "tokensPurchased (a whole number ≥ 0)")
    if player_id not in partner.settings.players:
        return f"unknown player {player_id[:100]!r}: nothing credited"
    quantity = summary.get("quantity")
    if partner.bug("summary-quantity-twice") and type(quantity) is int and quantity > 0:
        tokens *= quantity  # wrong: tokensPurchased is already the total for every bundle
    with partner.store.transaction():  # check and credit as one step: duplicates may race
        if not partner.store.first_summary(reference) and not partner.bug("summary-double-credit"):
            return f"{reference} was already credited"
        partner.store.credit(player_id, tokens)
    return f"credited {tokens} to {player_id}"
