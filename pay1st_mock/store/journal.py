"""The request journal: what each partner sent to the gateway, what it got, and the findings."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from pay1st_mock.records import JournalEntry
from pay1st_mock.store.database import Database, matching

_BATCH = 100  # entries kept in memory before they are written in one transaction
# Seconds an entry waits in memory before the next sweep writes it; sweeps come at least once
# a second, so a crash loses at most the last ~1.2 s (docs/reliability.md).
MAX_DELAY = 0.2


class JournalRepository:
    """Appends to and reads the journal, keeping at most ``max_entries`` (+ one batch).

    Entries are buffered and written a batch at a time, and always before a read, so a reader
    sees every entry while a busy gateway pays one transaction per hundred calls. A clean stop
    writes the buffer (``flush()`` on close); ``flush_stale()``, called by the dispatcher's sweep
    at least once a second, writes the buffer once its oldest entry is ``max_delay`` seconds
    old. So a crash loses at most about the last second (and at most one batch): the journal
    is a debugging aid, not a ledger.
    """

    def __init__(self, db: Database, max_entries: int, max_delay: float = MAX_DELAY) -> None:
        self._db = db
        self._max = max_entries
        self._max_delay = max_delay
        self._pending: list[tuple[Any, ...]] = []
        self._oldest: float | None = None  # time.monotonic() of the oldest buffered entry
        self._lock = threading.Lock()

    def add(self, entry: JournalEntry) -> None:
        """Append an entry (written with its batch, or before the next read)."""
        row = (entry.partner_id, entry.method, entry.path, entry.query,
               json.dumps(entry.request_headers), entry.request_body, entry.status,
               entry.response_body, entry.duration_ms, entry.reference,
               json.dumps(entry.findings) if entry.findings else "[]", entry.at)
        with self._lock:
            if not self._pending:
                self._oldest = time.monotonic()
            self._pending.append(row)
            full = len(self._pending) >= _BATCH
        if full:
            self.flush()

    def flush_stale(self) -> None:
        """Write the buffer if its oldest entry has waited ``max_delay`` seconds or more."""
        with self._lock:
            oldest = self._oldest
        if oldest is not None and time.monotonic() - oldest >= self._max_delay:
            self.flush()

    def flush(self) -> None:
        """Write the buffered entries and drop the oldest beyond the bound."""
        with self._lock:
            if not self._pending:
                return
        # Taken inside the transaction, so batches reach the table in the order they were made.
        with self._db.transaction() as conn:
            with self._lock:
                rows, self._pending, self._oldest = self._pending, [], None
            if not rows:
                return
            conn.executemany(
                """INSERT INTO journal (partner_id, method, path, query, request_headers,
                       request_body, status, response_body, duration_ms, reference, findings, at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", rows)
            (newest,) = conn.execute("SELECT MAX(id) FROM journal").fetchone()
            conn.execute("DELETE FROM journal WHERE id <= ?", (int(newest) - self._max,))

    def search(self, partner_id: int | None = None, reference: str | None = None,
               limit: int = 100) -> list[JournalEntry]:
        """Return entries, newest first."""
        self.flush()
        query, args = matching("journal", partner_id=partner_id, reference=reference)
        with self._db.read() as conn:
            rows = conn.execute(query + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        return [JournalEntry(**{**dict(row), "request_headers": json.loads(row["request_headers"]),
                                "findings": json.loads(row["findings"])}) for row in rows]

    def delete_for_partner(self, partner_id: int) -> None:
        """Forget a partner's entries."""
        self.flush()
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM journal WHERE partner_id = ?", (partner_id,))

    def clear(self) -> None:
        """Forget every entry (a full reset)."""
        with self._lock:
            self._pending.clear()
            self._oldest = None
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM journal")
