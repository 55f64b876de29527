"""The queries a payment's flow runs stay index look-ups as the store grows (issue 18).

A query that scans a partner's or a table's rows costs nothing on a fresh store and grows with
every payment: the full flow once slowed down run after run, because the end-to-end check read
every milestone of its partner. These read SQLite's plan, not a clock.
"""

from __future__ import annotations

import pytest

from pay1st_mock.store.database import Database

# (what, query, arguments): each run on every payment or every token.
HOT_QUERIES = [
    ("one payment's milestones", "SELECT name FROM milestones WHERE partner_id = ? AND "
     "reference = ? AND ok = 1", (1, "C-1-P")),
    ("the prune of expired tokens", "DELETE FROM tokens WHERE expires_at < ?", (0.0,)),
    ("a token", "SELECT partner_id FROM tokens WHERE token_hash = ?", ("x",)),
    ("a payment", "SELECT * FROM payments WHERE reference = ?", ("C-1-P",)),
    ("a payment's fulfilments", "SELECT * FROM fulfilments WHERE reference = ?", ("C-1-P",)),
    ("a payment's history", "SELECT status FROM payment_history WHERE reference = ?",
     ("C-1-P",)),
    ("the pending deliveries", "SELECT d.* FROM deliveries d WHERE d.status = 'PENDING' AND "
     "d.next_attempt_at <= ? AND d.id = (SELECT MIN(h.id) FROM deliveries h WHERE "
     "h.reference = d.reference AND h.status = 'PENDING') LIMIT 4", (1.0,)),
]


@pytest.mark.parametrize(("what", "query", "args"), HOT_QUERIES,
                         ids=[what for what, _, _ in HOT_QUERIES])
def test_a_hot_query_searches_an_index(what: str, query: str, args: tuple[object, ...]) -> None:
    db = Database(":memory:")
    with db.read() as conn:
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + query, args)]
    scans = [step for step in plan if step.startswith("SCAN")]
    assert not scans, f"{what}: SQLite reads rows one by one ({scans}); plan: {plan}"
    if what == "one payment's milestones":
        assert any("partner_id=? AND reference=?" in step for step in plan), (
            f"{what}: the index must cover the reference, not just the partner; plan: {plan}")
