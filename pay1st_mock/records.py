"""The records the emulator keeps: partners, payments, refunds, chargebacks, deliveries,
purchases, journal entries and tokens, as plain frozen dataclasses.

They sit below both the domain, which makes and reads them, and the store, which persists them,
so neither depends on the other for its types and views never import the store.
"""

from __future__ import annotations

from dataclasses import field
from decimal import Decimal
from typing import Any

from pay1st_mock.config import Callbacks, PartnerConfig
from pay1st_mock.frozen import frozen


@frozen
class Partner:
    """A stored partner: its configuration plus where it came from."""

    config: PartnerConfig
    origin: str  # 'sandbox', 'config' or 'api'
    created_at: float

    @property
    def id(self) -> int:
        """The numeric ``partnerId``."""
        return self.config.id


@frozen
class Payment:
    """A payment as stored. ``callbacks`` and ``webhook_url`` are the per-request overrides."""

    reference: str
    partner_id: int
    partner_reference: str
    country_code: str
    currency_code: str
    amount: Decimal
    status: str
    callbacks: Callbacks
    webhook_url: str | None
    products: list[dict[str, Any]]
    metadata: list[dict[str, Any]]
    channel_id: int | None
    channel_name: str | None
    created_at: float
    updated_at: float
    step: str = "choose"
    step_data: dict[str, Any] = field(default_factory=dict)
    origin: str = "gateway"


@frozen
class StatusChange:
    """One entry of a payment's history."""

    status: str
    at: float


@frozen
class Fulfilment:
    """One fulfilled (or failed) line reported by the partner."""

    sku: str
    quantity: int
    fulfilment_status: str
    fulfilment_time: str | None
    received_at: float


def transaction_reference(payment_reference: str) -> str:
    """The transaction (``C-…-T``) of a payment (``C-…-P``): the same digits (our choice; Pay1st
    does not document how the two relate)."""
    return payment_reference.removesuffix("-P") + "-T"


def payment_reference_of(transaction_reference: str) -> str | None:
    """The payment reference of a ``C-…-T`` transaction reference (None for any other text)."""
    if transaction_reference.startswith("C-") and transaction_reference.endswith("-T"):
        return transaction_reference.removesuffix("-T") + "-P"
    return None


@frozen
class Refund:
    """Money sent back to the customer of a SUCCESSFUL payment (pay1st-api.md §6.10)."""

    reference: str  # R- + 15 digits
    partner_id: int
    payment_reference: str
    partner_refund_reference: str
    amount: Decimal
    currency_code: str
    full_refund: bool
    reason: str | None
    webhook_url: str | None  # refundWebhookUrl, else the payment's or the partner's
    status: str  # PENDING, PROCESSING, SUCCESSFUL, FAILED or REJECTED
    handling_type: str  # PSP_API, PSP_MANUAL or NO_REFUND
    note: str | None  # why it was REJECTED or FAILED
    created_at: float
    updated_at: float

    @property
    def transaction_reference(self) -> str:
        """The transaction refunded (``C-…-T``)."""
        return transaction_reference(self.payment_reference)


@frozen
class Chargeback:
    """A customer's dispute of a SUCCESSFUL payment, opened by the card network."""

    reference: str  # CB- + 15 digits
    partner_id: int
    payment_reference: str
    amount: Decimal
    currency_code: str
    reason: str
    reason_code: str
    status: str  # OPEN, WON or LOST
    due_at: float  # evidence is due by then
    created_at: float
    updated_at: float

    @property
    def transaction_reference(self) -> str:
        """The transaction disputed (``C-…-T``)."""
        return transaction_reference(self.payment_reference)


@frozen
class Evidence:
    """One document of a chargeback's case (the emulator compiles them from what it saw)."""

    id: int
    chargeback_reference: str
    file_name: str
    content_type: str
    content: str
    created_at: float


@frozen
class Delivery:
    """One webhook to deliver, with its retry state."""

    id: int
    partner_id: int
    kind: str
    reference: str
    event: str
    url: str | None
    body: str
    status: str
    note: str | None
    attempts: int
    next_attempt_at: float | None
    resend_of: int | None
    created_at: float
    updated_at: float


@frozen
class Attempt:
    """One try at delivering: what was sent and what came back."""

    number: int
    at: float
    url: str
    request_headers: dict[str, str]
    request_body: str
    response_status: int | None
    response_body: str | None
    duration_ms: float
    error: str | None

    @property
    def succeeded(self) -> bool:
        """A complete 2xx answer in time (a 2xx whose body was still arriving at the deadline
        carries an error and does not count)."""
        return (self.error is None and self.response_status is not None
                and 200 <= self.response_status < 300)


@frozen
class Purchase:
    """A bundle bought for a player, paid by the payment ``payment_reference``."""

    id: int
    payment_reference: str
    external_reference: str
    product_id: int
    bundle_id: int
    quantity: int
    country_code: str
    player_id: str
    user_id: str | None
    source: str
    platform: str | None
    created_at: float


@frozen
class Exchange:
    """One call to a partner endpoint and what came of it."""

    id: int
    partner_id: int
    product_id: int | None
    kind: str
    request_url: str
    response_status: int | None
    response_body: str | None
    duration_ms: float
    verdict: str
    message: str
    findings: list[dict[str, str]]
    at: float


@frozen
class JournalEntry:
    """One gateway call as recorded (secrets already redacted)."""

    id: int
    partner_id: int | None
    method: str
    path: str
    query: str
    request_headers: dict[str, str]
    request_body: str
    status: int
    response_body: str
    duration_ms: float
    reference: str | None
    findings: list[dict[str, Any]]
    at: float


@frozen
class TokenRecord:
    """What the emulator knows about an issued token."""

    partner_id: int
    kind: str  # 'access' or 'refresh'
    issued_at: float
    expires_at: float
    revoked_at: float | None


@frozen
class Milestone:
    """One fact the emulator observed about a partner's integration (go-live checklist)."""

    partner_id: int
    name: str
    reference: str  # the payment it is about; '' when none
    ok: bool  # a success; False: a problem
    message: str
    evidence: dict[str, Any]
    first_at: float
    at: float


@frozen
class Tick:
    """A checklist item a person ticked (or unticked) by hand."""

    partner_id: int
    item: str
    done: bool
    note: str
    at: float
