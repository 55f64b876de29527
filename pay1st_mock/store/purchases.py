"""Shop purchases and the log of calls made to partners (User Info Webhook exchanges)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace

from pay1st_mock.records import Exchange, Purchase
from pay1st_mock.store.database import Database


def _purchase(row: sqlite3.Row) -> Purchase:
    return Purchase(*tuple(row))


class PurchaseRepository:
    """Reads and writes ``purchases`` and ``exchanges``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def insert(self, purchase: Purchase) -> Purchase:
        """Store a purchase (its id is assigned) and return it."""
        with self._db.transaction() as conn:
            cursor = conn.execute(
                """INSERT INTO purchases (payment_reference, external_reference, product_id,
                       bundle_id, quantity, country_code, player_id, user_id, source, platform,
                       created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (purchase.payment_reference, purchase.external_reference, purchase.product_id,
                 purchase.bundle_id, purchase.quantity, purchase.country_code, purchase.player_id,
                 purchase.user_id, purchase.source, purchase.platform, purchase.created_at))
            row = conn.execute("SELECT * FROM purchases WHERE id = ?",
                               (cursor.lastrowid,)).fetchone()
        return _purchase(row)

    def get(self, purchase_id: int) -> Purchase | None:
        """Return a purchase by id."""
        with self._db.read() as conn:
            row = conn.execute("SELECT * FROM purchases WHERE id = ?", (purchase_id,)).fetchone()
        return _purchase(row) if row else None

    def for_payment(self, reference: str) -> Purchase | None:
        """Return the purchase a payment pays for, if it is a Shop payment."""
        with self._db.read() as conn:
            row = conn.execute("SELECT * FROM purchases WHERE payment_reference = ?",
                               (reference,)).fetchone()
        return _purchase(row) if row else None

    def by_external_reference(self, product_ids: list[int], external: str) -> Purchase | None:
        """Return the purchase of those products with that ``externalReference``: the newest
        SUCCESSFUL one if any was paid (a link reopened after paying must not hide it), else
        the newest."""
        marks = ",".join("?" * len(product_ids)) or "NULL"
        with self._db.read() as conn:
            row = conn.execute(
                f"SELECT purchases.* FROM purchases JOIN payments "
                f"ON payments.reference = purchases.payment_reference "
                f"WHERE purchases.product_id IN ({marks}) AND purchases.external_reference = ? "
                "ORDER BY payments.status = 'SUCCESSFUL' DESC, purchases.id DESC LIMIT 1",
                (*product_ids, external)).fetchone()
        return _purchase(row) if row else None

    def search(self, limit: int = 100) -> list[Purchase]:
        """Return purchases, newest first."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT * FROM purchases ORDER BY id DESC LIMIT ?",
                                (limit,)).fetchall()
        return [_purchase(row) for row in rows]

    def log_exchange(self, exchange: Exchange) -> Exchange:
        """Store an exchange (its id is assigned) and return it."""
        with self._db.transaction() as conn:
            cursor = conn.execute(
                """INSERT INTO exchanges (partner_id, product_id, kind, request_url,
                       response_status, response_body, duration_ms, verdict, message, findings,
                       at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (exchange.partner_id, exchange.product_id, exchange.kind, exchange.request_url,
                 exchange.response_status, exchange.response_body, exchange.duration_ms,
                 exchange.verdict, exchange.message, json.dumps(exchange.findings), exchange.at))
        return replace(exchange, id=int(cursor.lastrowid or 0))

    def delete_for_partner(self, partner_id: int) -> None:
        """Forget a partner's exchanges (its purchases go with its payments)."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM exchanges WHERE partner_id = ?", (partner_id,))

    def exchanges(self, limit: int = 100, partner_id: int | None = None) -> list[Exchange]:
        """Return exchanges, newest first."""
        query, args = "SELECT * FROM exchanges", list[object]()
        if partner_id is not None:
            query += " WHERE partner_id = ?"
            args.append(partner_id)
        with self._db.read() as conn:
            rows = conn.execute(query + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        return [Exchange(**{**dict(row), "findings": json.loads(row["findings"])}) for row in rows]
