"""What the dashboard pages list, gathered from the services: payments and the timeline of one,
webhook deliveries and journal entries, filtered (``web/dashboard.py`` renders them).

Read-only: nothing here changes state. A payment's timeline merges, in time order, the partner's
calls about it (the journal), its status changes, its webhook deliveries and their attempts, the
fulfilments the partner reported, and money going back: each refund and chargeback with its
status changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import field, replace
from typing import Any

from pay1st_mock.frozen import frozen
from pay1st_mock.records import (
    Attempt,
    Chargeback,
    Delivery,
    Fulfilment,
    JournalEntry,
    Partner,
    Payment,
    Purchase,
    Refund,
    StatusChange,
)
from pay1st_mock.services import Services

PAYMENT_STATUSES = ("NEW", "PENDING", "SUCCESSFUL", "FAILED", "CANCELLED", "ABANDONED", "REFUND",
                    "CHARGEBACK")
REFUNDS_IN_FLIGHT = frozenset({"PENDING", "PROCESSING"})
DELIVERY_STATUSES = ("PENDING", "DELIVERED", "EXHAUSTED", "SKIPPED")
# Finding kinds as the journal records them, and the highlight each gets (warnings share one).
FINDING_KINDS = ("schema", "signature", "token", "rule", "warning")
IN_FLIGHT = frozenset({"NEW", "PENDING"})
SEARCHED = 1000  # rows looked through when a filter the store cannot apply is set (newest first)
_CALLBACK_KINDS = ("success", "failure", "pending", "cancel")


def finding_kind(finding: dict[str, Any]) -> str:
    """The highlight of a journal finding: its kind, or ``warning`` for anything tolerated."""
    if finding.get("severity") == "warning":
        return "warning"
    kind = str(finding.get("kind", "rule"))
    return kind if kind in FINDING_KINDS else "rule"


def partners_by_id(svc: Services) -> dict[int, Partner]:
    """Every partner, by id (for names in lists)."""
    return {p.id: p for p in svc.partners.all()}


def search_payments(svc: Services, partner_id: int | None, status: str | None, text: str | None,
                    limit: int) -> list[Payment]:
    """Payments, newest first; ``text`` matches part of the reference or partnerReference
    (case-insensitive) among the newest ``SEARCHED``, or any payment's exact reference."""
    if not text:
        return svc.payments.search(partner_id, status, limit)
    needle = text.strip().lower()
    found = [p for p in svc.payments.search(partner_id, status, SEARCHED)
             if needle in p.reference.lower() or needle in p.partner_reference.lower()]
    exact = svc.payments.find_for_checkout(text.strip())
    if (exact is not None and exact.reference not in {p.reference for p in found}
            and partner_id in (None, exact.partner_id) and status in (None, exact.status)):
        found.insert(0, exact)
    return found[:limit]


@frozen
class CallbackUrl:
    """A redirect (or webhook) URL in force for a payment, and where it is configured."""

    kind: str
    url: str | None
    source: str  # "payment", "partner" or "none"


def _in_force(kind: str, own: str | None, default: str | None) -> CallbackUrl:
    if own:
        return CallbackUrl(kind, own, "payment")
    return CallbackUrl(kind, default, "partner" if default else "none")


def callback_urls(payment: Payment, partner: Partner) -> list[CallbackUrl]:
    """The webhook URL and the four callback URLs in force for ``payment``."""
    own, default = payment.callbacks, partner.config.callbacks
    urls = [_in_force("webhook", payment.webhook_url, partner.config.webhook_url)]
    return urls + [_in_force(kind, getattr(own, kind), getattr(default, kind))
                   for kind in _CALLBACK_KINDS]


@frozen
class TimelineItem:
    """One moment of a payment's life; ``kind`` says which of the optional fields is set."""

    at: float
    kind: str  # request, status, delivery, attempt, fulfilment, refund(-status), chargeback(-…)
    entry: JournalEntry | None = None
    status: str | None = None
    delivery: Delivery | None = None
    attempt: Attempt | None = None
    fulfilment: Fulfilment | None = None
    refund: Refund | None = None
    chargeback: Chargeback | None = None


@frozen
class PaymentView:
    """A payment with everything that happened to it."""

    payment: Payment
    partner: Partner
    history: list[StatusChange]
    fulfilments: list[Fulfilment]
    deliveries: list[tuple[Delivery, list[Attempt]]]
    entries: list[JournalEntry]
    callbacks: list[CallbackUrl]
    purchase: Purchase | None
    refunds: list[tuple[Refund, list[StatusChange]]] = field(default_factory=list)
    chargeback: tuple[Chargeback, list[StatusChange]] | None = None
    timeline: list[TimelineItem] = field(default_factory=list)

    @property
    def in_flight(self) -> bool:
        """Whether something may still change: the payment, one of its webhooks or one of its
        refunds is open."""
        return (self.payment.status in IN_FLIGHT
                or any(d.status == "PENDING" for d, _ in self.deliveries)
                or any(r.status in REFUNDS_IN_FLIGHT for r, _ in self.refunds))

    @property
    def may_charge_back(self) -> bool:
        """Whether the card network could open a chargeback on it now."""
        return self.payment.status == "SUCCESSFUL" and self.chargeback is None


def payment_view(svc: Services, reference: str, journal_limit: int = 200) -> PaymentView:
    """The payment ``reference`` (404 when unknown) with its timeline."""
    payment = svc.payments.find(reference)
    partner = svc.partners.get(payment.partner_id)
    deliveries = list(reversed(svc.outbox.search_with_attempts(None, reference, None, 1000)))
    entries = list(reversed(svc.journal.search(None, reference, journal_limit)))
    chargeback = svc.chargebacks.of_payment(reference)
    view = PaymentView(payment, partner, svc.payments.history(payment),
                       svc.payments.fulfilments(payment), deliveries, entries,
                       callback_urls(payment, partner), svc.shop.purchase_for(reference),
                       [(r, svc.refunds.history(r)) for r in svc.refunds.of_payment(reference)],
                       (chargeback, svc.chargebacks.history(chargeback)) if chargeback else None)
    return replace(view, timeline=_timeline(view))


def _timeline(view: PaymentView) -> list[TimelineItem]:
    # A journal entry's time is when the call arrived, so it comes before the status it created.
    items = [TimelineItem(e.at, "request", entry=e) for e in view.entries]
    items += [TimelineItem(c.at, "status", status=c.status) for c in view.history]
    for delivery, attempts in view.deliveries:
        items.append(TimelineItem(delivery.created_at, "delivery", delivery=delivery))
        items += [TimelineItem(a.at, "attempt", delivery=delivery, attempt=a) for a in attempts]
    items += [TimelineItem(f.received_at, "fulfilment", fulfilment=f) for f in view.fulfilments]
    for refund, changes in view.refunds:
        items += [TimelineItem(c.at, "refund" if index == 0 else "refund-status",
                               status=c.status, refund=refund) for index, c in enumerate(changes)]
    if view.chargeback is not None:
        chargeback, changes = view.chargeback
        items += [TimelineItem(c.at, "chargeback" if index == 0 else "chargeback-status",
                               status=c.status, chargeback=chargeback)
                  for index, c in enumerate(changes)]
    # Money going back comes after the call that asked for it and before what it sent.
    order = {"request": 0, "refund": 1, "refund-status": 1, "chargeback": 1,
             "chargeback-status": 1, "status": 2, "delivery": 3, "attempt": 4, "fulfilment": 5}
    indexed = sorted(enumerate(items), key=lambda pair: (pair[1].at, order[pair[1].kind],
                                                         pair[0]))
    return [item for _, item in indexed]


def search_deliveries(svc: Services, partner_id: int | None, status: str | None,
                      kind: str | None, limit: int) -> list[Delivery]:
    """Webhook deliveries, newest first, of one partner, status and kind when given."""
    if kind is None:
        return svc.outbox.search(partner_id, None, status, limit)
    return [d for d in svc.outbox.search(partner_id, None, status, SEARCHED)
            if d.kind == kind][:limit]


def resends_of(svc: Services, delivery: Delivery) -> list[Delivery]:
    """The deliveries queued by resending ``delivery``, oldest first."""
    same = svc.outbox.search(delivery.partner_id, delivery.reference, None, 1000)
    return [d for d in reversed(same) if d.resend_of == delivery.id]


@frozen
class JournalRow:
    """A journal entry with its highlights and whether its reference is a known payment."""

    entry: JournalEntry
    kinds: tuple[str, ...]
    reference_known: bool


def journal_rows(svc: Services, partner_id: int | None, reference: str | None, kind: str | None,
                 limit: int) -> list[JournalRow]:
    """Journal entries, newest first; ``kind`` keeps those with a finding of that highlight."""
    entries = svc.journal.search(partner_id, reference, SEARCHED if kind else limit)
    rows = []
    known: dict[str, bool] = {}
    for entry in entries:
        kinds = tuple(dict.fromkeys(finding_kind(f) for f in entry.findings))
        if kind is not None and kind not in kinds:
            continue
        if entry.reference is not None and entry.reference not in known:
            known[entry.reference] = svc.payments.find_for_checkout(entry.reference) is not None
        rows.append(JournalRow(entry, kinds, known.get(entry.reference or "", False)))
    return rows[:limit]


def any_in_flight(statuses: Iterable[str], open_statuses: Iterable[str]) -> bool:
    """Whether any of ``statuses`` is still open (NEW/PENDING payment, PENDING delivery)."""
    opened = set(open_statuses)
    return any(status in opened for status in statuses)
