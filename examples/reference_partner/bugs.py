"""Deliberate bugs: each name flips exactly one behaviour of the reference partner.

They exist so the conformance scenarios can be tested: a scenario that passes against the correct
partner must fail against the partner with the bug it is meant to catch. Nothing turns a bug on
by default; ``PartnerSettings(bugs=...)``, ``--bug NAME`` or ``REFERENCE_PARTNER_BUGS`` do.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from types import MappingProxyType

BUG_DESCRIPTIONS: Mapping[str, str] = MappingProxyType({
    "user-info-accepts-unknown": "User Info answers 200 for unknown and inactive players",
    "user-info-accepts-suspended": "User Info answers 200 for a player who exists but is "
                                   "suspended (inactive); unknown players are still refused",
    "user-info-500-on-missing-player": "User Info answers 500 when playerId is missing",
    "user-info-wrong-shape": 'User Info answers 200 {"id": playerId}, without userId',
    "slow-user-info": "User Info sleeps slow_seconds before answering",
    "summary-no-signature-check": "the Summary Webhook accepts missing and wrong signatures",
    "summary-decoded-key": "the Summary Webhook is verified with the decoded username:password "
                           "as the key, so correct signatures are refused",
    "summary-double-credit": "every SUCCESSFUL Summary is credited, duplicates too",
    "summary-reserialised-hmac": "the Summary signature is computed over the body parsed and "
                                 "serialised again (compact JSON), not over the raw bytes",
    "summary-quantity-twice": "a Summary credits tokensPurchased × quantity, although "
                              "tokensPurchased is already the total",
    "webhook-no-signature-check": "payment events are accepted with missing or wrong signatures",
    "webhook-no-timestamp-check": "payment events are accepted with stale timestamps",
    "webhook-tight-freshness": "payment events more than 5 s old are refused as stale (the "
                               "window is 300 s)",
    "webhook-reserialised-hmac": "the payment event signature is computed over X-TIMESTAMP + "
                                 "the body parsed and serialised again, not the raw bytes",
    "webhook-double-fulfil": "every SUCCESSFUL event credits and fulfils, duplicates too",
    "webhook-fulfil-any-status": "FAILED, CANCELLED and ABANDONED events credit and fulfil too",
    "fulfil-on-pending": "a PENDING event credits and fulfils, as if the payment were made",
    "fulfil-deny-list": "every event but FAILED and CANCELLED credits and fulfils (PENDING and "
                        "ABANDONED too): a deny-list instead of fulfilling SUCCESSFUL only",
    "webhook-regress-status": "the last event wins: PENDING after SUCCESSFUL reopens the order, "
                              "so a later SUCCESSFUL fulfils again",
    "fulfil-wrong-sku": "the fulfilment names SKU <sku>-WRONG",
    "checkout-link-unescaped": "the checkout link carries the access token without URL-escaping "
                               "it, so its '+' arrives as a space",
    "no-fulfilment": "the fulfilment endpoint is never called",
    "amount-in-cents": "Create Payment sends amount and prices in minor units (cents), "
                       "charging 100 times the price",
    "token-never-refreshed": "the access token is fetched once and kept: after it expires every "
                             "Gateway call is refused 401",
    "slow-payment-webhook": "payment events sleep slow_seconds before answering",
    "refund-double-reverse": "every SUCCESSFUL refund notification takes the credit back, "
                             "duplicates too",
    "refund-reverse-any-status": "any refund notification takes the credit back (PENDING, "
                                 "FAILED and REJECTED too), not only a SUCCESSFUL one",
    "chargeback-ignored": "chargeback notifications are acknowledged but change nothing: the "
                          "player keeps what a charged-back payment paid for",
    "user-info-no-basic-auth": "User Info answers calls without (or with wrong) Basic auth",
    "summary-no-basic-auth": "the Summary Webhook accepts calls without (or with wrong) Basic "
                             "auth, as long as the signature holds",
})
BUGS: frozenset[str] = frozenset(BUG_DESCRIPTIONS)
TIGHT_FRESHNESS_SECONDS = 5  # bug webhook-tight-freshness: the window it allows
CENTS_PER_UNIT = 100  # bug amount-in-cents: what it multiplies amounts and prices by


class UnknownBugError(ValueError):
    """A bug name that does not exist; the message lists the valid ones."""


def check_bugs(names: Iterable[str]) -> frozenset[str]:
    """Return ``names`` as a frozenset, or raise ``UnknownBugError`` naming the valid ones."""
    wanted = frozenset(names)
    unknown = sorted(wanted - BUGS)
    if unknown:
        raise UnknownBugError(f"unknown bug name(s): {', '.join(unknown)}; valid names: "
                              + ", ".join(sorted(BUGS)))
    return wanted


def reserialised(raw: bytes) -> bytes:
    """The usual signature mistake (bugs ``webhook-reserialised-hmac`` and
    ``summary-reserialised-hmac``): the body parsed and written again as compact JSON, whose
    bytes differ from the raw ones as soon as Pay1st spaces, orders or escapes differently."""
    try:
        return json.dumps(json.loads(raw), separators=(",", ":"), ensure_ascii=False).encode()
    except ValueError:
        return raw


def decoded_summary_key(username: str, password: str) -> bytes:
    """The usual Summary Webhook mistake (bug ``summary-decoded-key``): the raw
    ``username:password`` bytes as the HMAC key instead of their Base64 text."""
    return f"{username}:{password}".encode()
