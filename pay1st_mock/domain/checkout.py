"""The outcome engine: every way a payment moves after creation (design.md §5).

The hosted checkout page, the control API's headless completion and (later) the Shop all call
``Checkout``. Each move happens in one transaction that also writes the Payment Webhook Event to
the outbox, so a status change and its webhook are never separated. A step submitted twice (a
double-clicked form) finds the payment already past that step and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pay1st_mock import jsontext
from pay1st_mock.clock import Clock
from pay1st_mock.domain import outcome_table as table
from pay1st_mock.domain.catalogue import Catalogue, Channel
from pay1st_mock.errors import Pay1stError
from pay1st_mock.randomness import Randomness
from pay1st_mock.records import Partner, Payment
from pay1st_mock.store.database import Database
from pay1st_mock.store.deliveries import DeliveryRepository
from pay1st_mock.store.partners import PartnerRepository
from pay1st_mock.store.payments import PaymentRepository


class OutboxEventLike(Protocol):
    """A webhook to write: its kind, URL (None: no URL configured) and exact body."""

    @property
    def kind(self) -> str: ...

    @property
    def url(self) -> str | None: ...

    @property
    def body(self) -> str: ...

    @property
    def no_url_note(self) -> str: ...


# Given the moved payment, its partner and the new status: the webhooks to write.
EventsOf = Callable[[Payment, Partner, str], Sequence[OutboxEventLike]]

# The first step of each flow once the customer has picked a channel.
FIRST_STEP = {"card": "card", "phone_otp": "phone", "phone_pin": "phone", "voucher": "voucher",
              "redirect": "bank"}
# Steps at which the customer can still cancel.
CANCELLABLE_STEPS = frozenset({"choose", "card", "otp", "pin", "phone", "bank"})
# Steps from which the customer can go back to the method list (nothing is paid yet).
CHANGEABLE_STEPS = CANCELLABLE_STEPS - {"choose"}
_CALLBACK_FOR = {"SUCCESSFUL": "success", "FAILED": "failure", "PENDING": "pending",
                 "CANCELLED": "cancel", "ABANDONED": "failure"}


class FormError(Exception):
    """Customer input the step cannot use; the page shows the message and nothing changes.

    ``errors`` holds one message per field (every field found wrong, not only the first);
    ``hint`` is for the developer testing the page (a test value that works), not the customer.
    """

    def __init__(self, field: str, message: str, *, errors: dict[str, str] | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.errors = errors or {field: message}
        self.hint = hint

    @classmethod
    def of(cls, errors: dict[str, str], hint: str | None = None) -> FormError:
        """One error for every field in ``errors`` (in form order)."""
        first = next(iter(errors))
        return cls(first, " ".join(errors.values()), errors=errors, hint=hint)


class StaleStep(Exception):
    """The payment already left the step the form was for (a double submit)."""

    def __init__(self, payment: Payment) -> None:
        super().__init__(f"payment {payment.reference} is at step {payment.step}")
        self.payment = payment


class Checkout:
    """Moves payments through their channel's flow and writes their webhooks."""

    def __init__(self, db: Database, payments: PaymentRepository, partners: PartnerRepository,
                 deliveries: DeliveryRepository, catalogue: Catalogue, clock: Clock,
                 randomness: Randomness, abandon_after: float,
                 outbox_changed: Callable[[], None], events: EventsOf) -> None:
        self._db = db
        self._payments = payments
        self._partners = partners
        self._deliveries = deliveries
        self._catalogue = catalogue
        self._clock = clock
        self._random = randomness
        self._abandon_after = abandon_after
        self._outbox_changed = outbox_changed
        self._events = events

    # -- what the customer does -------------------------------------------------------------

    def choose(self, reference: str, channel_id: int) -> Payment:
        """The customer picks a channel: go to its first step (a voucher is issued at once)."""
        with self._db.transaction():
            return self._choose(self._open(reference, "choose"), channel_id)

    def _choose(self, payment: Payment, channel_id: int) -> Payment:
        channel = self.channel_for(payment, channel_id)
        first = FIRST_STEP[channel.flow]
        if first == "voucher":
            voucher = "".join(self._random.payment_reference()[2:14])
            return self._move(payment, status="PENDING", step="voucher", channel=channel,
                              step_data={"voucherNumber": voucher})
        return self._move(payment, step=first, channel=channel, step_data={})

    def submit(self, reference: str, step: str, form: dict[str, str]) -> Payment:
        """The customer submits the form of ``step``; returns the payment after the move.

        Raises ``FormError`` for unusable input and ``StaleStep`` if the payment is past it.
        """
        with self._db.transaction():
            return self._submit(self._open(reference, step), step, form)

    def _submit(self, payment: Payment, step: str, form: dict[str, str]) -> Payment:
        handler = _HANDLERS.get(step)
        if handler is None:
            raise Pay1stError("VALIDATION_ERROR", f"step {step!r} takes no input")
        return handler(self, payment, form)

    def change_method(self, reference: str) -> Payment:
        """The customer goes back to the list of methods ("Change method"); the method last
        tried stays the payment's channel until another is chosen."""
        with self._db.transaction():
            payment = self._get(reference)
            if payment.status != "NEW" or payment.step not in CHANGEABLE_STEPS:
                raise StaleStep(payment)
            return self._move(payment, step="choose", step_data={})

    def cancel(self, reference: str) -> Payment:
        """The customer cancels: CANCELLED, unless the payment is past cancelling."""
        with self._db.transaction():
            payment = self._get(reference)
            if payment.status != "NEW" or payment.step not in CANCELLABLE_STEPS:
                raise StaleStep(payment)
            return self._move(payment, status="CANCELLED", step="done")

    # -- headless ---------------------------------------------------------------------------

    def run(self, reference: str, outcome: str | None = None, channel_id: int | None = None,
            status: str | None = None) -> Payment:
        """Drive a payment to ``outcome`` through the same steps a customer would take.

        ``outcome`` is ``cancel``, ``abandon`` or one of the channel flow's outcomes
        (``outcome_table.OUTCOME_SCRIPTS``); a bare ``status`` is translated for the flow. With
        a ``status`` and no channel chosen yet, the first channel of the payment's country whose
        flow can end that way is used (PENDING needs a phone or voucher channel).
        """
        with self._db.transaction():
            payment = self._get(reference)
            if payment.status not in ("NEW", "PENDING"):
                raise Pay1stError("INVALID_TRANSITION",
                                  f"payment {reference} is already {payment.status}; only NEW or "
                                  "PENDING payments move on")
            chosen = payment.channel_id if payment.step != "choose" else channel_id
            if chosen is None and outcome is None and status is not None:
                chosen = self._channel_ending(payment.country_code, status).id
            channel = self.channel_for(payment, chosen)
            outcome = outcome or _outcome_for(status or "SUCCESSFUL", channel, payment.status)
            if outcome == "abandon":
                return self._abandon(payment)
            if outcome == "cancel":
                try:
                    return self.cancel(reference)
                except StaleStep as stale:
                    raise Pay1stError(
                        "INVALID_TRANSITION",
                        f"payment {reference} is {stale.payment.status} at step "
                        f"{stale.payment.step!r}, past the point where a customer can cancel"
                    ) from None
            self.check_outcome(channel, outcome)
            scripts = table.OUTCOME_SCRIPTS[channel.flow]
            before = (payment.status, payment.step)
            # One transaction holds the payment: each step moves the one the last returned.
            if payment.step == "choose":
                payment = self._choose(payment, channel.id)
            for step, form in scripts[outcome]:
                if payment.step == step:
                    payment = self._submit(payment, step, form)
            if (payment.status, payment.step) == before:
                raise Pay1stError("INVALID_TRANSITION",
                                  f"payment {reference} is {payment.status} at step "
                                  f"{payment.step!r}; outcome {outcome!r} cannot move it from "
                                  "there")
            return payment

    def sweep_abandoned(self, now: float) -> int:
        """Mark payments left NEW longer than the abandonment delay ABANDONED; return how many."""
        stale = self._payments.stale("NEW", now - self._abandon_after)
        for payment in stale:
            with self._db.transaction():
                fresh = self._payments.get(payment.reference)
                if fresh is not None and fresh.status == "NEW":
                    self._abandon(fresh)
        return len(stale)

    # -- shared helpers ---------------------------------------------------------------------

    def _channel_ending(self, country_code: str, status: str) -> Channel:
        """The first channel of the country whose flow can end ``status``."""
        offered = self._catalogue.channels_of(country_code)
        # The country's first method when it fits (as without a status); else the one that can
        # end the most ways, so a PENDING payment can still succeed or fail.
        fitting = sorted((c for c in offered if status in {**table.STATUS_OUTCOMES[c.flow],
                                                           **table.ANY_FLOW_OUTCOMES}),
                         key=lambda c: (c is not offered[0],
                                        -len(table.STATUS_OUTCOMES[c.flow])))
        if not fitting:
            raise Pay1stError("VALIDATION_ERROR",
                              f"$.status: no payment method in {country_code} can end {status}; "
                              "its methods: " + ", ".join(f"{c.id} {c.name} ({c.flow})"
                                                          for c in offered))
        return fitting[0]

    def channel_for(self, payment: Payment, channel_id: int | None) -> Channel:
        """The channel with that id, which must be offered in the payment's country."""
        return self.channel_in(payment.country_code, channel_id)

    def channel_in(self, country_code: str, channel_id: int | None) -> Channel:
        """The channel with that id offered in ``country_code`` (default: the first offered)."""
        offered = self._catalogue.channels_of(country_code)
        if channel_id is None:
            return offered[0]
        channel = self._catalogue.channel(channel_id)
        if channel is None or channel.country_code != country_code:
            choices = ", ".join(f"{c.id} ({c.name})" for c in offered)
            raise Pay1stError("VALIDATION_ERROR",
                              f"$.channelId: channel {channel_id} is not offered in "
                              f"{country_code}; choose one of {choices}")
        return channel

    def check_outcome(self, channel: Channel, outcome: str) -> None:
        """Refuse an outcome the channel's flow cannot produce, naming those it can."""
        scripts = table.OUTCOME_SCRIPTS[channel.flow]
        if outcome not in scripts and outcome not in ("cancel", "abandon"):
            raise Pay1stError(
                "VALIDATION_ERROR",
                f"$.outcome: {outcome!r} does not apply to {channel.name} ({channel.flow}); "
                "choose one of " + ", ".join([*scripts, "cancel", "abandon"]))

    def callback_url(self, payment: Payment) -> str | None:
        """Where the browser goes after ``payment``'s status, with the result appended."""
        partner = self._partner(payment)
        kind = _CALLBACK_FOR.get(payment.status)
        if kind is None:
            return None
        base: str | None = (getattr(payment.callbacks, kind)
                            or getattr(partner.config.callbacks, kind))
        if not base:
            return None
        parts = urlsplit(base)
        query = [*parse_qsl(parts.query, keep_blank_values=True),
                 ("reference", payment.reference), ("partnerReference", payment.partner_reference),
                 ("status", payment.status)]
        return urlunsplit(parts._replace(query=urlencode(query)))

    def _get(self, reference: str) -> Payment:
        payment = self._payments.get(reference)
        if payment is None:
            raise Pay1stError("PAYMENT_NOT_FOUND", f"no payment has reference {reference!r}")
        return payment

    def _open(self, reference: str, step: str) -> Payment:
        payment = self._get(reference)
        if payment.step != step or payment.status not in ("NEW", "PENDING"):
            raise StaleStep(payment)
        return payment

    def _partner(self, payment: Payment) -> Partner:
        partner = self._partners.get(payment.partner_id)
        assert partner is not None  # payments cascade with their partner
        return partner

    def _abandon(self, payment: Payment) -> Payment:
        if payment.status != "NEW":
            raise Pay1stError("INVALID_TRANSITION",
                              f"payment {payment.reference} is {payment.status}; only a NEW "
                              "payment can be abandoned")
        return self._move(payment, status="ABANDONED", step="done")

    def _move(self, payment: Payment, *, status: str | None = None, step: str | None = None,
              step_data: dict[str, Any] | None = None, channel: Channel | None = None) -> Payment:
        """Apply a change and write the webhooks it causes to the outbox, atomically."""
        now = self._clock.now()
        with self._db.transaction():
            self._payments.update(payment.reference, at=now, status=status, step=step,
                                  step_data=step_data, channel_id=channel.id if channel else None,
                                  channel_name=channel.name if channel else None)
            # What the update wrote, without reading it back (the transaction holds the row).
            moved = replace(payment, updated_at=now, **_given(
                status=status, step=step, channel_id=channel.id if channel else None,
                channel_name=channel.name if channel else None,
                step_data=None if step_data is None else jsontext.loads(jsontext.dumps(step_data))))
            if status is None:
                return moved
            partner = self._partner(moved)
            for event in self._events(moved, partner, status):
                self._deliveries.enqueue(partner_id=partner.id, kind=event.kind,
                                         reference=moved.reference, event=status, url=event.url,
                                         body=event.body, now=now, no_url_note=event.no_url_note)
                # Wake the dispatcher only once the event is committed, or it may look too soon.
                self._db.after_commit(self._outbox_changed)
        return moved

    # -- step handlers: (engine, payment, form) -> payment ---------------------------------

    def _card(self, payment: Payment, form: dict[str, str]) -> Payment:
        number = re.sub(r"[\s-]", "", form.get("cardNumber", ""))
        errors = {}
        if not re.fullmatch(r"\d{12,19}", number) or not _luhn_ok(number):
            errors["cardNumber"] = "Enter a valid card number (12 to 19 digits)."
        if not re.fullmatch(r"(0[1-9]|1[0-2])\s*/\s*\d{2}", form.get("expiry", "").strip()):
            errors["expiry"] = "Enter the expiry as MM/YY, e.g. 12/30."
        if not re.fullmatch(r"\d{3,4}", form.get("cvv", "").strip()):
            errors["cvv"] = "Enter the 3 or 4 digit security code."
        if errors:
            raise FormError.of(errors, f"Test card that succeeds: {table.SUCCESS_CARD}, with "
                                       "any expiry and security code."
                               if "cardNumber" in errors else None)
        if number == table.OTP_CARD:
            return self._move(payment, step="otp",
                              step_data={"target": f"the phone linked to card •••• {number[-4:]}"})
        status, reason = table.CARD_RESULTS.get(number, ("SUCCESSFUL", None))
        return self._finish(payment, status, reason)

    def _phone(self, payment: Payment, form: dict[str, str]) -> Payment:
        digits = re.sub(r"\D", "", form.get("phone", ""))
        if not 7 <= len(digits) <= 15:
            raise FormError("phone", "Enter the phone number of the wallet (7 to 15 digits).")
        if digits == table.NO_ANSWER_PHONE:
            return self._move(payment, status="PENDING", step="waiting",
                              step_data={"target": _masked(digits)})
        channel = self.channel_for(payment, payment.channel_id)
        next_step = "pin" if channel.flow == "phone_pin" else "otp"
        return self._move(payment, step=next_step, step_data={"target": _masked(digits)})

    def _code(self, payment: Payment, form: dict[str, str]) -> Payment:
        code = form.get("code", "").strip()
        channel = self.channel_for(payment, payment.channel_id)
        if code == table.GOOD_CODE or code in table.STAGING_CODES.get(channel.code, ()):
            return self._finish(payment, "SUCCESSFUL", None)
        if not re.fullmatch(r"\d{4,8}", code):
            raise FormError("code", "Enter the code you received (4 to 8 digits).")
        label = "PIN" if payment.step == "pin" else "OTP"
        return self._finish(payment, "FAILED", f"The {label} was wrong.")

    def _voucher(self, payment: Payment, form: dict[str, str]) -> Payment:
        if form.get("paid") != "yes":
            raise FormError("paid", "The voucher is paid at a shop; nothing to submit here.")
        return self._finish(payment, "SUCCESSFUL", None)

    def _bank(self, payment: Payment, form: dict[str, str]) -> Payment:
        decision = form.get("decision")
        if decision == "approve":
            return self._finish(payment, "SUCCESSFUL", None)
        if decision == "decline":
            return self._finish(payment, "FAILED", "The bank declined the payment.")
        raise FormError("decision", "Choose Approve or Decline.")

    def _finish(self, payment: Payment, status: str, reason: str | None) -> Payment:
        data = {**payment.step_data, **({"reason": reason} if reason else {})}
        return self._move(payment, status=status, step="done", step_data=data)


_HANDLERS: dict[str, Callable[[Checkout, Payment, dict[str, str]], Payment]] = {
    "card": Checkout._card, "phone": Checkout._phone, "otp": Checkout._code,
    "pin": Checkout._code, "voucher": Checkout._voucher, "bank": Checkout._bank,
    "waiting": Checkout._bank,  # the customer finally answers on the phone: approve or decline
}


def _given(**fields: Any) -> dict[str, Any]:
    """The fields an update sets (``None``: left as stored, as its ``COALESCE`` does)."""
    return {name: value for name, value in fields.items() if value is not None}


def _outcome_for(status: str, channel: Channel, current: str = "NEW") -> str:
    """Translate a bare status into the channel flow's outcome, or say which statuses fit.

    A PENDING phone payment waits for the customer's approval: FAILED there is a decline."""
    choices = {**table.STATUS_OUTCOMES[channel.flow], **table.ANY_FLOW_OUTCOMES}
    if current == "PENDING":
        choices |= table.STATUS_OUTCOMES_WHEN_PENDING.get(channel.flow, {})
    if status not in choices:
        raise Pay1stError("VALIDATION_ERROR",
                          f"$.status: {channel.name} ({channel.flow}) cannot end {status}; it can "
                          "end " + ", ".join(choices) + " (or name an outcome)")
    return choices[status]


def _luhn_ok(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _masked(digits: str) -> str:
    return "•" * (len(digits) - 3) + digits[-3:]
