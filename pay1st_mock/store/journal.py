"""The request journal: what each partner sent to the gateway, what it got, and the findings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pay1st_mock.store.database import Database


@dataclass(frozen=True)
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


class JournalRepository:
    """Appends to and reads the journal, keeping at most ``max_entries``."""

    def __init__(self, db: Database, max_entries: int) -> None:
        self._db = db
        self._max = max_entries

    def add(self, entry: JournalEntry) -> None:
        """Append an entry and drop the oldest beyond the bound."""
        with self._db.transaction() as conn:
            cursor = conn.execute(
                """INSERT INTO journal (partner_id, method, path, query, request_headers,
                       request_body, status, response_body, duration_ms, reference, findings, at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (entry.partner_id, entry.method, entry.path, entry.query,
                 json.dumps(entry.request_headers), entry.request_body, entry.status,
                 entry.response_body, entry.duration_ms, entry.reference,
                 json.dumps(entry.findings), entry.at))
            newest = int(cursor.lastrowid or 0)
            if newest % 100 == 0:  # prune in batches: one DELETE per hundred entries
                conn.execute("DELETE FROM journal WHERE id <= ?", (newest - self._max,))

    def search(self, partner_id: int | None = None, reference: str | None = None,
               limit: int = 100) -> list[JournalEntry]:
        """Return entries, newest first."""
        query, args = "SELECT * FROM journal WHERE 1 = 1", list[object]()
        for column, value in (("partner_id", partner_id), ("reference", reference)):
            if value is not None:
                query += f" AND {column} = ?"
                args.append(value)
        with self._db.read() as conn:
            rows = conn.execute(query + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        return [JournalEntry(**{**dict(row), "request_headers": json.loads(row["request_headers"]),
                                "findings": json.loads(row["findings"])}) for row in rows]

    def delete_for_partner(self, partner_id: int) -> None:
        """Forget a partner's entries."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM journal WHERE partner_id = ?", (partner_id,))

    def clear(self) -> None:
        """Forget every entry (a full reset)."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM journal")
