"""The go-live checklist's evidence (``milestones``) and manual ticks (``checklist_ticks``)."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import Any

from pay1st_mock.records import Milestone, Tick
from pay1st_mock.store.database import Database


def _milestone(row: sqlite3.Row) -> Milestone:
    return Milestone(row["partner_id"], row["name"], row["reference"], bool(row["ok"]),
                     row["message"], json.loads(row["evidence"]), row["first_at"], row["at"])


class MilestoneRepository:
    """Records facts once per (partner, name, reference, success or problem).

    A success already recorded is not written again (a partner's hundredth token call costs no
    write); a problem keeps its latest message and evidence, so the page shows what to fix now.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._known: set[tuple[int, str, str]] = set()  # successes already stored
        self._lock = threading.Lock()
        self._batching = threading.local()  # .stack: the ExitStack of this thread's batch

    def record(self, partner_id: int, name: str, reference: str, ok: bool, message: str,
               evidence: dict[str, Any], at: float) -> None:
        """Store the fact (a success only the first time; a problem each time, latest wins).

        A success about no payment (``reference`` empty: token issued, methods listed) is
        remembered, so saying it again on every call costs nothing; one about a payment is said
        once or twice in its life, and remembering each would grow without bound.
        """
        key = (partner_id, name, reference)
        remember = ok and not reference
        if remember:
            with self._lock:
                if key in self._known:
                    return
        with self._transaction() as conn:
            conn.execute(
                """INSERT INTO milestones (partner_id, name, reference, ok, message, evidence,
                       first_at, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (partner_id, name, reference, ok) DO UPDATE SET
                       message = excluded.message, evidence = excluded.evidence,
                       at = excluded.at WHERE excluded.ok = 0""",
                (partner_id, name, reference, int(ok), message, json.dumps(evidence), at, at))
            if remember:  # known once committed (inside a batch: when the batch is)
                self._db.after_commit(lambda: self._remember(key))

    def _remember(self, key: tuple[int, str, str]) -> None:
        with self._lock:
            self._known.add(key)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One transaction for the facts recorded inside it (one commit, not one per fact),
        begun at the first that is written: facts already known cost no transaction."""
        if getattr(self._batching, "stack", None) is not None:
            yield  # already in a batch: join it
            return
        with ExitStack() as stack:
            self._batching.stack = stack
            try:
                yield
            finally:
                self._batching.stack = None

    def _transaction(self) -> AbstractContextManager[Any]:
        stack: ExitStack | None = getattr(self._batching, "stack", None)
        if stack is not None and not self._db.in_transaction():
            stack.enter_context(self._db.transaction())  # held until the batch ends
        return self._db.transaction()

    def for_partner(self, partner_id: int) -> list[Milestone]:
        """Every fact about a partner, oldest first."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT * FROM milestones WHERE partner_id = ? ORDER BY at",
                                (partner_id,)).fetchall()
        return [_milestone(row) for row in rows]

    def names_for(self, partner_id: int, reference: str) -> set[str]:
        """The successes recorded about one payment of a partner."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT name FROM milestones WHERE partner_id = ? AND "
                                "reference = ? AND ok = 1", (partner_id, reference)).fetchall()
        return {row[0] for row in rows}

    def tick(self, tick: Tick) -> None:
        """Store a manual tick (replacing the item's earlier one)."""
        with self._db.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO checklist_ticks (partner_id, item, done, note, "
                         "at) VALUES (?, ?, ?, ?, ?)",
                         (tick.partner_id, tick.item, int(tick.done), tick.note, tick.at))

    def ticks(self, partner_id: int) -> dict[str, Tick]:
        """A partner's manual ticks by item."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT * FROM checklist_ticks WHERE partner_id = ?",
                                (partner_id,)).fetchall()
        return {row["item"]: Tick(row["partner_id"], row["item"], bool(row["done"]),
                                  row["note"], row["at"]) for row in rows}

    def delete_for_partner(self, partner_id: int) -> None:
        """Forget a partner's checklist (a partner reset)."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM milestones WHERE partner_id = ?", (partner_id,))
            conn.execute("DELETE FROM checklist_ticks WHERE partner_id = ?", (partner_id,))
        with self._lock:  # a full reset deletes API partners, whose ids may come back: forget all
            self._known.clear()
