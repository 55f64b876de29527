"""Refunds and their status history in SQLite."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from pay1st_mock.records import Refund, StatusChange
from pay1st_mock.store.database import Database, matching


def _refund(row: sqlite3.Row) -> Refund:
    return Refund(
        reference=row["reference"], partner_id=row["partner_id"],
        payment_reference=row["payment_reference"],
        partner_refund_reference=row["partner_refund_reference"], amount=Decimal(row["amount"]),
        currency_code=row["currency_code"], full_refund=bool(row["full_refund"]),
        reason=row["reason"], webhook_url=row["webhook_url"], status=row["status"],
        handling_type=row["handling_type"], note=row["note"], created_at=row["created_at"],
        updated_at=row["updated_at"])


class RefundRepository:
    """Reads and writes ``refunds`` and ``refund_history``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def insert(self, refund: Refund) -> bool:
        """Store a new refund and its first history entry; False (nothing stored) when the
        partner already used its ``partner_refund_reference``."""
        try:
            with self._db.transaction() as conn:
                conn.execute(
                    """INSERT INTO refunds (reference, partner_id, payment_reference,
                           partner_refund_reference, amount, currency_code, full_refund, reason,
                           webhook_url, status, handling_type, note, created_at, updated_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (refund.reference, refund.partner_id, refund.payment_reference,
                     refund.partner_refund_reference, str(refund.amount), refund.currency_code,
                     int(refund.full_refund), refund.reason, refund.webhook_url, refund.status,
                     refund.handling_type, refund.note, refund.created_at, refund.updated_at))
                conn.execute("INSERT INTO refund_history (reference, status, at) VALUES (?,?,?)",
                             (refund.reference, refund.status, refund.created_at))
        except sqlite3.IntegrityError as exc:
            if "partner_refund_reference" in str(exc):
                return False
            raise
        return True

    def get(self, reference: str, partner_id: int | None = None) -> Refund | None:
        """The refund, only if it belongs to ``partner_id`` when one is given."""
        query, args = "SELECT * FROM refunds WHERE reference = ?", list[object]([reference])
        if partner_id is not None:
            query += " AND partner_id = ?"
            args.append(partner_id)
        with self._db.read() as conn:
            row = conn.execute(query, args).fetchone()
        return _refund(row) if row else None

    def by_partner_reference(self, partner_id: int, partner_refund_reference: str
                             ) -> Refund | None:
        """The partner's refund created with ``partner_refund_reference``, if any."""
        with self._db.read() as conn:
            row = conn.execute("SELECT * FROM refunds WHERE partner_id = ? AND "
                               "partner_refund_reference = ?",
                               (partner_id, partner_refund_reference)).fetchone()
        return _refund(row) if row else None

    def of_payment(self, payment_reference: str) -> list[Refund]:
        """A payment's refunds, oldest first."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT * FROM refunds WHERE payment_reference = ? "
                                "ORDER BY created_at, rowid", (payment_reference,)).fetchall()
        return [_refund(row) for row in rows]

    def search(self, partner_id: int | None = None, payment_reference: str | None = None,
               status: str | None = None, limit: int = 100) -> list[Refund]:
        """Refunds, newest first, filtered as asked."""
        query, args = matching("refunds", partner_id=partner_id,
                               payment_reference=payment_reference, status=status)
        query += " ORDER BY created_at DESC, rowid DESC LIMIT ?"
        args.append(limit)
        with self._db.read() as conn:
            return [_refund(row) for row in conn.execute(query, args).fetchall()]

    def due(self, status: str, updated_before: float, limit: int = 100) -> list[Refund]:
        """Refunds in ``status`` untouched since ``updated_before``, oldest first."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT * FROM refunds WHERE status = ? AND updated_at <= ? "
                                "ORDER BY updated_at LIMIT ?",
                                (status, updated_before, limit)).fetchall()
        return [_refund(row) for row in rows]

    def update(self, reference: str, status: str, at: float, note: str | None = None) -> None:
        """Move a refund to ``status`` (keeping its note unless one is given) and log it."""
        with self._db.transaction() as conn:
            conn.execute("UPDATE refunds SET status = ?, note = COALESCE(?, note), "
                         "updated_at = ? WHERE reference = ?", (status, note, at, reference))
            conn.execute("INSERT INTO refund_history (reference, status, at) VALUES (?, ?, ?)",
                         (reference, status, at))

    def history(self, reference: str) -> list[StatusChange]:
        """A refund's status changes, oldest first."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT status, at FROM refund_history WHERE reference = ? "
                                "ORDER BY id", (reference,)).fetchall()
        return [StatusChange(row["status"], row["at"]) for row in rows]

    def delete_for_partner(self, partner_id: int) -> None:
        """Forget every refund of a partner (history follows by cascade)."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM refunds WHERE partner_id = ?", (partner_id,))
