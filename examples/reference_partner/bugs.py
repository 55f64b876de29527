"""Deliberate bugs: each name flips exactly one behaviour of the reference partner.

They exist so the conformance scenarios can be tested: a scenario that passes against the correct
partner must fail against the partner with the bug it is meant to catch. Nothing turns a bug on
by default; ``PartnerSettings(bugs=...)``, ``--bug NAME`` or ``REFERENCE_PARTNER_BUGS`` do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

BUG_DESCRIPTIONS: Mapping[str, str] = MappingProxyType({
    "user-info-accepts-unknown": "User Info answers 200 for unknown and inactive players",
    "user-info-500-on-missing-player": "User Info answers 500 when playerId is missing",
    "user-info-wrong-shape": 'User Info answers 200 {"id": playerId}, without userId',
    "slow-user-info": "User Info sleeps slow_seconds before answering",
    "summary-no-signature-check": "the Summary Webhook accepts missing and wrong signatures",
    "summary-decoded-key": "the Summary Webhook is verified with the decoded username:password "
                           "as the key, so correct signatures are refused",
    "summary-double-credit": "every SUCCESSFUL Summary is credited, duplicates too",
    "webhook-no-signature-check": "payment events are accepted with missing or wrong signatures",
    "webhook-no-timestamp-check": "payment events are accepted with stale timestamps",
    "webhook-double-fulfil": "every SUCCESSFUL event credits and fulfils, duplicates too",
    "webhook-fulfil-any-status": "FAILED, CANCELLED and ABANDONED events credit and fulfil too",
    "webhook-regress-status": "the last event wins: PENDING after SUCCESSFUL reopens the order, "
                              "so a later SUCCESSFUL fulfils again",
    "fulfil-wrong-sku": "the fulfilment names SKU <sku>-WRONG",
    "no-fulfilment": "the fulfilment endpoint is never called",
    "slow-payment-webhook": "payment events sleep slow_seconds before answering",
})
BUGS: frozenset[str] = frozenset(BUG_DESCRIPTIONS)


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


def decoded_summary_key(username: str, password: str) -> bytes:
    """The usual Summary Webhook mistake (bug ``summary-decoded-key``): the raw
    ``username:password`` bytes as the HMAC key instead of their Base64 text."""
    return f"{username}:{password}".encode()
