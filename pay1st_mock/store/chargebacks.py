"""Chargebacks, their status history and their evidence documents in SQLite."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from pay1st_mock.records import Chargeback, Evidence, StatusChange
from pay1st_mock.store.database import Database, matching


def _chargeback(row: sqlite3.Row) -> Chargeback:
    return Chargeback(
        reference=row["reference"], partner_id=row["partner_id"],
        payment_reference=row["payment_reference"], amount=Decimal(row["amount"]),
        currency_code=row["currency_code"], reason=row["reason"],
        reason_code=row["reason_code"], status=row["status"], due_at=row["due_at"],
        created_at=row["created_at"], updated_at=row["updated_at"])


class ChargebackRepository:
    """Reads and writes ``chargebacks``, ``chargeback_history`` and ``chargeback_evidence``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def insert(self, chargeback: Chargeback, evidence: list[Evidence]) -> None:
        """Store a new chargeback with its first history entry and its evidence."""
        with self._db.transaction() as conn:
            conn.execute(
                """INSERT INTO chargebacks (reference, partner_id, payment_reference, amount,
                       currency_code, reason, reason_code, status, due_at, created_at,
                       updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (chargeback.reference, chargeback.partner_id, chargeback.payment_reference,
                 str(chargeback.amount), chargeback.currency_code, chargeback.reason,
                 chargeback.reason_code, chargeback.status, chargeback.due_at,
                 chargeback.created_at, chargeback.updated_at))
            conn.execute("INSERT INTO chargeback_history (reference, status, at) VALUES (?,?,?)",
                         (chargeback.reference, chargeback.status, chargeback.created_at))
            conn.executemany(
                "INSERT INTO chargeback_evidence (chargeback_reference, id, file_name, "
                "content_type, content, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [(chargeback.reference, e.id, e.file_name, e.content_type, e.content,
                  e.created_at) for e in evidence])

    def get(self, reference: str, partner_id: int | None = None) -> Chargeback | None:
        """The chargeback, only if it belongs to ``partner_id`` when one is given."""
        query, args = "SELECT * FROM chargebacks WHERE reference = ?", list[object]([reference])
        if partner_id is not None:
            query += " AND partner_id = ?"
            args.append(partner_id)
        with self._db.read() as conn:
            row = conn.execute(query, args).fetchone()
        return _chargeback(row) if row else None

    def of_payment(self, payment_reference: str) -> Chargeback | None:
        """The payment's chargeback, if it has one (a payment is charged back at most once)."""
        with self._db.read() as conn:
            row = conn.execute("SELECT * FROM chargebacks WHERE payment_reference = ?",
                               (payment_reference,)).fetchone()
        return _chargeback(row) if row else None

    def search(self, partner_id: int | None = None, payment_reference: str | None = None,
               status: str | None = None, limit: int = 100) -> list[Chargeback]:
        """Chargebacks, newest first, filtered as asked."""
        query, args = matching("chargebacks", partner_id=partner_id,
                               payment_reference=payment_reference, status=status)
        query += " ORDER BY created_at DESC, rowid DESC LIMIT ?"
        args.append(limit)
        with self._db.read() as conn:
            return [_chargeback(row) for row in conn.execute(query, args).fetchall()]

    def due(self, status: str, created_before: float, limit: int = 100) -> list[Chargeback]:
        """Chargebacks in ``status`` opened before ``created_before``, oldest first."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT * FROM chargebacks WHERE status = ? AND created_at <= ? "
                                "ORDER BY created_at LIMIT ?",
                                (status, created_before, limit)).fetchall()
        return [_chargeback(row) for row in rows]

    def update(self, reference: str, status: str, at: float) -> None:
        """Move a chargeback to ``status`` and log it."""
        with self._db.transaction() as conn:
            conn.execute("UPDATE chargebacks SET status = ?, updated_at = ? WHERE reference = ?",
                         (status, at, reference))
            conn.execute("INSERT INTO chargeback_history (reference, status, at) "
                         "VALUES (?, ?, ?)", (reference, status, at))

    def history(self, reference: str) -> list[StatusChange]:
        """A chargeback's status changes, oldest first."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT status, at FROM chargeback_history WHERE reference = ? "
                                "ORDER BY id", (reference,)).fetchall()
        return [StatusChange(row["status"], row["at"]) for row in rows]

    def evidence(self, reference: str) -> list[Evidence]:
        """A chargeback's evidence documents, by id."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT * FROM chargeback_evidence WHERE chargeback_reference = ? "
                                "ORDER BY id", (reference,)).fetchall()
        return [Evidence(row["id"], row["chargeback_reference"], row["file_name"],
                         row["content_type"], row["content"], row["created_at"]) for row in rows]

    def delete_for_partner(self, partner_id: int) -> None:
        """Forget every chargeback of a partner (history and evidence follow by cascade)."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM chargebacks WHERE partner_id = ?", (partner_id,))
