"""Payments, their status history and their fulfilments in SQLite."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from typing import Any

from pay1st_mock import jsontext
from pay1st_mock.config import Callbacks
from pay1st_mock.records import Fulfilment, Payment, StatusChange
from pay1st_mock.store.database import Database, matching


def _row_to_payment(row: sqlite3.Row) -> Payment:
    return Payment(
        reference=row["reference"], partner_id=row["partner_id"],
        partner_reference=row["partner_reference"], country_code=row["country_code"],
        currency_code=row["currency_code"], amount=Decimal(row["amount"]), status=row["status"],
        callbacks=Callbacks(row["success_url"], row["failure_url"], row["pending_url"],
                            row["cancel_url"]),
        webhook_url=row["webhook_url"], products=jsontext.loads(row["products"]),
        metadata=jsontext.loads(row["metadata"]), channel_id=row["channel_id"],
        channel_name=row["channel_name"], created_at=row["created_at"],
        updated_at=row["updated_at"], step=row["step"], step_data=jsontext.loads(row["step_data"]),
        origin=row["origin"],
    )


class PaymentRepository:
    """Reads and writes ``payments``, ``payment_history`` and ``fulfilments``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def insert(self, payment: Payment) -> bool:
        """Store a new payment and its first history entry.

        Returns False, storing nothing, when the partner already used ``partner_reference``.
        """
        c = payment.callbacks
        try:
            with self._db.transaction() as conn:
                conn.execute(
                    """INSERT INTO payments (reference, partner_id, partner_reference,
                           country_code, currency_code, amount, status, success_url, failure_url,
                           pending_url, cancel_url, webhook_url, products, metadata, channel_id,
                           channel_name, created_at, updated_at, origin)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (payment.reference, payment.partner_id, payment.partner_reference,
                     payment.country_code, payment.currency_code, str(payment.amount),
                     payment.status, c.success, c.failure, c.pending, c.cancel,
                     payment.webhook_url, jsontext.dumps(payment.products),
                     jsontext.dumps(payment.metadata), payment.channel_id, payment.channel_name,
                     payment.created_at, payment.updated_at, payment.origin),
                )
                conn.execute("INSERT INTO payment_history (reference, status, at) VALUES (?,?,?)",
                             (payment.reference, payment.status, payment.created_at))
        except sqlite3.IntegrityError as exc:
            if "partner_reference" in str(exc):
                return False
            raise
        return True

    def get(self, reference: str, partner_id: int | None = None) -> Payment | None:
        """Return the payment, only if it belongs to ``partner_id`` when one is given."""
        query, args = "SELECT * FROM payments WHERE reference = ?", list[object]([reference])
        if partner_id is not None:
            query += " AND partner_id = ?"
            args.append(partner_id)
        with self._db.read() as conn:
            row = conn.execute(query, args).fetchone()
        return _row_to_payment(row) if row else None

    def find_by_partner_reference(self, partner_id: int, partner_reference: str) -> Payment | None:
        """Return the partner's payment created with ``partner_reference``, if any."""
        with self._db.read() as conn:
            row = conn.execute("SELECT * FROM payments WHERE partner_id = ? AND "
                               "partner_reference = ?", (partner_id, partner_reference)).fetchone()
        return _row_to_payment(row) if row else None

    def search(self, partner_id: int | None = None, status: str | None = None,
             limit: int = 100) -> list[Payment]:
        """Return payments, newest first, optionally of one partner and one status."""
        query, args = matching("payments", partner_id=partner_id, status=status)
        query += " ORDER BY created_at DESC, rowid DESC LIMIT ?"
        args.append(limit)
        with self._db.read() as conn:
            rows = conn.execute(query, args).fetchall()
        return [_row_to_payment(row) for row in rows]

    def update(self, reference: str, *, at: float, status: str | None = None,
               step: str | None = None, step_data: dict[str, Any] | None = None,
               channel_id: int | None = None, channel_name: str | None = None) -> None:
        """Change what is given; log a history entry when the status changes."""
        with self._db.transaction() as conn:
            conn.execute(
                """UPDATE payments SET status = COALESCE(?, status), step = COALESCE(?, step),
                       step_data = COALESCE(?, step_data), updated_at = ?,
                       channel_id = COALESCE(?, channel_id),
                       channel_name = COALESCE(?, channel_name)
                   WHERE reference = ?""",
                (status, step, None if step_data is None else jsontext.dumps(step_data), at,
                 channel_id, channel_name, reference))
            if status is not None:
                conn.execute("INSERT INTO payment_history (reference, status, at) "
                             "VALUES (?, ?, ?)", (reference, status, at))

    def stale(self, status: str, updated_before: float, limit: int = 100) -> list[Payment]:
        """Return payments in ``status`` untouched since ``updated_before`` (oldest first)."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT * FROM payments WHERE status = ? AND updated_at <= ? "
                                "ORDER BY updated_at LIMIT ?",
                                (status, updated_before, limit)).fetchall()
        return [_row_to_payment(row) for row in rows]

    def history(self, reference: str) -> list[StatusChange]:
        """Return the payment's status changes, oldest first."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT status, at FROM payment_history WHERE reference = ? "
                                "ORDER BY id", (reference,)).fetchall()
        return [StatusChange(row["status"], row["at"]) for row in rows]

    def add_fulfilments(self, reference: str, lines: list[Fulfilment]) -> None:
        """Record the lines of one fulfilment call."""
        with self._db.transaction() as conn:
            conn.executemany(
                "INSERT INTO fulfilments (reference, sku, quantity, fulfilment_status, "
                "fulfilment_time, received_at) VALUES (?, ?, ?, ?, ?, ?)",
                [(reference, f.sku, f.quantity, f.fulfilment_status, f.fulfilment_time,
                  f.received_at) for f in lines])

    def fulfilments(self, reference: str) -> list[Fulfilment]:
        """Return every fulfilment line recorded for the payment, oldest first."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT sku, quantity, fulfilment_status, fulfilment_time, received_at "
                "FROM fulfilments WHERE reference = ? ORDER BY id", (reference,)).fetchall()
        return [Fulfilment(*row) for row in rows]

    def delete_for_partner(self, partner_id: int) -> None:
        """Forget every payment of a partner (history and fulfilments follow by cascade)."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM payments WHERE partner_id = ?", (partner_id,))
