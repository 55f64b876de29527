"""The partner's state, in memory and thread-safe: orders, player balances, credited Summaries.

A real partner keeps this in its database; what matters is the same: every check-then-change
(is this order already paid? was this Summary already credited?) happens inside one
``transaction()``, so two deliveries of the same webhook racing each other credit once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class OrderLine:
    """One SKU of an order."""

    sku: str
    quantity: int
    tokens: int  # per unit


@dataclass(frozen=True)
class Order:
    """A Gateway payment we asked for, keyed by our ``partner_reference``."""

    partner_reference: str
    player_id: str
    lines: tuple[OrderLine, ...]
    reference: str | None = None  # Pay1st's, known once Create Payment answered
    status: str = "NEW"  # the last Pay1st payment status we accepted
    fulfilled: bool = False  # Pay1st accepted our fulfilment report
    amount: float = 0  # what Create Payment asked for, in major units

    @property
    def tokens(self) -> int:
        """What the player gets when the order is paid."""
        return sum(line.tokens * line.quantity for line in self.lines)


@dataclass(frozen=True)
class Account:
    """A player's balance and how many times it was credited."""

    balance: int = 0
    credits: int = 0


class Store:
    """All state behind one re-entrant lock."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._orders: dict[str, Order] = {}
        self._by_reference: dict[str, str] = {}  # Pay1st reference → partner reference
        self._accounts: dict[str, Account] = {}
        self._summaries: set[str] = set()  # references of Summaries already credited
        self._taken_back: dict[str, int] = {}  # refund/chargeback reference → tokens taken
        self._given_back: set[str] = set()  # chargebacks won: their tokens credited again

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock for a read-check-write sequence."""
        with self._lock:
            yield

    def save_order(self, order: Order) -> None:
        """Insert or replace an order."""
        with self._lock:
            self._orders[order.partner_reference] = order
            if order.reference:
                self._by_reference[order.reference] = order.partner_reference

    def remove_order(self, partner_reference: str) -> None:
        """Forget an order Pay1st refused."""
        with self._lock:
            self._orders.pop(partner_reference, None)

    def find_order(self, reference: str | None = None,
                   partner_reference: str | None = None) -> Order | None:
        """Return the order with Pay1st's ``reference``, else with our ``partner_reference``."""
        with self._lock:
            ours = self._by_reference.get(reference or "") or partner_reference or ""
            return self._orders.get(ours)

    def credit(self, player_id: str, tokens: int) -> Account:
        """Add ``tokens`` to a player's balance; return the new account."""
        with self._lock:
            old = self.account(player_id)
            self._accounts[player_id] = Account(old.balance + tokens, old.credits + 1)
            return self._accounts[player_id]

    def account(self, player_id: str) -> Account:
        """Return a player's account (empty if never credited)."""
        with self._lock:
            return self._accounts.get(player_id, Account())

    def first_summary(self, reference: str) -> bool:
        """Record a Summary's reference; True the first time only."""
        with self._lock:
            if reference in self._summaries:
                return False
            self._summaries.add(reference)
            return True

    def debit(self, player_id: str, tokens: int) -> Account:
        """Take ``tokens`` from a player's balance (a refund or chargeback); return the account."""
        with self._lock:
            old = self.account(player_id)
            self._accounts[player_id] = Account(old.balance - tokens, old.credits)
            return self._accounts[player_id]

    def taken_back(self, reference: str) -> int | None:
        """The tokens a refund or chargeback took back, or None if it took none yet."""
        with self._lock:
            return self._taken_back.get(reference)

    def record_taken_back(self, reference: str, tokens: int) -> None:
        """Note that a refund or chargeback took ``tokens`` back."""
        with self._lock:
            self._taken_back[reference] = self._taken_back.get(reference, 0) + tokens

    def first_given_back(self, reference: str) -> bool:
        """Record a won chargeback's credit given back; True the first time only."""
        with self._lock:
            if reference in self._given_back:
                return False
            self._given_back.add(reference)
            return True
