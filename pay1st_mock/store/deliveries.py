"""The webhook outbox (``deliveries``) and the log of every attempt (``delivery_attempts``)."""

from __future__ import annotations

import json
import sqlite3
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any

from pay1st_mock.records import Attempt, Delivery
from pay1st_mock.store.database import Database, matching


def _delivery(row: sqlite3.Row) -> Delivery:
    return Delivery(**{key: row[key] for key in row.keys()})  # noqa: SIM118 - Row has no iter


FINISHED = ("DELIVERED", "EXHAUSTED", "SKIPPED")
_TRIM_EVERY = 100  # finished deliveries between two trims: one DELETE per hundred, not each


def _heads(busy_references: set[str]) -> tuple[str, tuple[str, ...]]:
    """The condition (and its arguments) on ``deliveries d`` for pending deliveries that head
    their reference's queue, references being sent now left out."""
    busy = tuple(sorted(busy_references))
    return (f"""d.status = 'PENDING' AND d.reference NOT IN ({",".join("?" * len(busy))})
                AND d.id = (SELECT MIN(h.id) FROM deliveries h
                            WHERE h.reference = d.reference AND h.status = 'PENDING')""", busy)


class DeliveryRepository:
    """Reads and writes the outbox, keeping at most ``max_finished`` finished deliveries (with
    their attempts; + up to one trim interval). Pending deliveries are never dropped."""

    def __init__(self, db: Database, max_finished: int = 10000) -> None:
        self._db = db
        self._max_finished = max_finished
        self._finished_since_trim = 0

    def enqueue(self, *, partner_id: int, kind: str, reference: str, event: str,
                url: str | None, body: str, now: float, resend_of: int | None = None,
                no_url_note: str = "no URL to send to") -> int:
        """Add a delivery, due at once; without a URL it is recorded as SKIPPED with
        ``no_url_note`` (which should say where to configure one). Returns its id."""
        status, note, due = ("PENDING", None, now) if url else ("SKIPPED", no_url_note, None)
        with self._db.transaction() as conn:
            cursor = conn.execute(
                """INSERT INTO deliveries (partner_id, kind, reference, event, url, body, status,
                       note, next_attempt_at, resend_of, created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (partner_id, kind, reference, event, url, body, status, note, due, resend_of,
                 now, now))
        if status in FINISHED:
            self._finished()
        return int(cursor.lastrowid or 0)

    def consistent_read(self) -> AbstractContextManager[object]:
        """Hold the store so that several reads see one moment (no attempt logged between
        reading a delivery and reading its attempts)."""
        return self._db.read()

    def get(self, delivery_id: int) -> Delivery | None:
        """Return one delivery."""
        with self._db.read() as conn:
            row = conn.execute("SELECT * FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
        return _delivery(row) if row else None

    def search(self, partner_id: int | None = None, reference: str | None = None,
               status: str | None = None, limit: int = 100) -> list[Delivery]:
        """Return deliveries, newest first, filtered as asked."""
        query, args = matching("deliveries", partner_id=partner_id, reference=reference,
                               status=status)
        query += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        with self._db.read() as conn:
            return [_delivery(row) for row in conn.execute(query, args).fetchall()]

    def due(self, now: float, busy_references: set[str],
            limit: int = 32) -> tuple[list[Delivery], float | None]:
        """Deliveries due by ``now`` that head their reference's queue (at most ``limit``),
        and when the earliest head not returned falls due (None: no other pending head).

        A delivery waits while an older one of the same reference is still pending, so the
        partner sees one payment's events in order. ``busy_references`` are being sent now and
        are left out of both. One query gives both: the dispatcher takes the first and sleeps
        until the second.
        """
        where, args = _heads(busy_references)
        with self._db.read() as conn:
            rows = conn.execute(f"SELECT d.* FROM deliveries d WHERE {where} "
                                "ORDER BY d.next_attempt_at, d.id LIMIT ?",
                                (*args, limit + 1)).fetchall()
        taken = [_delivery(row) for row in rows[:limit] if row["next_attempt_at"] <= now]
        following = rows[len(taken)] if len(taken) < len(rows) else None
        return taken, (float(following["next_attempt_at"]) if following is not None else None)

    def next_pending_after(self, delivery: Delivery) -> Delivery | None:
        """The next pending delivery of the same reference, if any (for reorder faults)."""
        with self._db.read() as conn:
            row = conn.execute("SELECT * FROM deliveries WHERE reference = ? AND id > ? AND "
                               "status = 'PENDING' ORDER BY id LIMIT 1",
                               (delivery.reference, delivery.id)).fetchone()
        return _delivery(row) if row else None

    def record_attempt(self, delivery: Delivery, attempt: Attempt, status: str,
                       next_attempt_at: float | None) -> Delivery:
        """Log an attempt and move the delivery on, atomically; return it as now stored."""
        with self._db.transaction() as conn:
            conn.execute(
                """INSERT INTO delivery_attempts (delivery_id, number, at, url, request_headers,
                       request_body, response_status, response_body, duration_ms, error)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (delivery.id, attempt.number, attempt.at, attempt.url,
                 json.dumps(attempt.request_headers), attempt.request_body,
                 attempt.response_status, attempt.response_body, attempt.duration_ms,
                 attempt.error))
            conn.execute("UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, "
                         "updated_at = ? WHERE id = ?",
                         (status, attempt.number, next_attempt_at, attempt.at, delivery.id))
        if status in FINISHED:
            self._finished()
        return replace(delivery, status=status, attempts=attempt.number,
                       next_attempt_at=next_attempt_at, updated_at=attempt.at)

    def _finished(self) -> None:
        """Count a finished delivery; every ``_TRIM_EVERY``, drop the oldest beyond the bound."""
        self._finished_since_trim += 1  # a rough count is enough: it only paces the trims
        if self._finished_since_trim < _TRIM_EVERY:
            return
        self._finished_since_trim = 0
        self.trim()

    def trim(self) -> int:
        """Delete the oldest finished deliveries beyond ``max_finished``; return how many."""
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT id FROM deliveries WHERE status IN (?, ?, ?) ORDER BY id DESC "
                "LIMIT 1 OFFSET ?", (*FINISHED, self._max_finished)).fetchone()
            if row is None:
                return 0
            cursor = conn.execute("DELETE FROM deliveries WHERE status IN (?, ?, ?) AND id <= ?",
                                  (*FINISHED, row[0]))
            return cursor.rowcount

    def attempts(self, delivery_id: int) -> list[Attempt]:
        """Return every attempt of a delivery, in order."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT number, at, url, request_headers, request_body, response_status, "
                "response_body, duration_ms, error FROM delivery_attempts WHERE delivery_id = ? "
                "ORDER BY number", (delivery_id,)).fetchall()
        return [Attempt(row[0], row[1], row[2], json.loads(row[3]), *row[4:]) for row in rows]

    def delete_for_partner(self, partner_id: int) -> None:
        """Forget every delivery of a partner (attempts follow by cascade)."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM deliveries WHERE partner_id = ?", (partner_id,))

    def counts(self) -> dict[str, Any]:
        """Return the number of deliveries per status (for health and benchmarks)."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status")
            return {status: count for status, count in rows.fetchall()}
