"""Partners (tenants) in SQLite."""

from __future__ import annotations

import sqlite3

from pay1st_mock.config import ACCESS_GROUPS, Callbacks, PartnerConfig
from pay1st_mock.records import Partner
from pay1st_mock.store.database import Database, TableCache


def _row_to_partner(row: sqlite3.Row) -> Partner:
    config = PartnerConfig(
        id=row["id"], code=row["code"], name=row["name"], api_key=row["api_key"],
        api_secret=row["api_secret"], signing_key=row["signing_key"],
        webhook_url=row["webhook_url"],
        callbacks=Callbacks(row["success_url"], row["failure_url"], row["pending_url"],
                            row["cancel_url"]),
        access=tuple(g for g in (row["access"] or "").split(",") if g) if row["access"]
        is not None else ACCESS_GROUPS,
    )
    return Partner(config=config, origin=row["origin"], created_at=row["created_at"])


class PartnerRepository:
    """Reads and writes the ``partners`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._by_id: TableCache[int, Partner] = TableCache(db, "partners")

    def save(self, config: PartnerConfig, origin: str, now: float) -> Partner:
        """Insert the partner, or replace the stored one with the same id (its data is kept)."""
        callbacks = config.callbacks
        with self._db.transaction() as conn:
            conn.execute(
                """INSERT INTO partners (id, code, name, api_key, api_secret, signing_key,
                       webhook_url, success_url, failure_url, pending_url, cancel_url, access,
                       origin, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(id) DO UPDATE SET code = excluded.code, name = excluded.name,
                       api_key = excluded.api_key, api_secret = excluded.api_secret,
                       signing_key = excluded.signing_key, webhook_url = excluded.webhook_url,
                       success_url = excluded.success_url, failure_url = excluded.failure_url,
                       pending_url = excluded.pending_url, cancel_url = excluded.cancel_url,
                       access = excluded.access, origin = excluded.origin""",
                (config.id, config.code, config.name, config.api_key, config.api_secret,
                 config.signing_key, config.webhook_url, callbacks.success, callbacks.failure,
                 callbacks.pending, callbacks.cancel, ",".join(config.access), origin, now),
            )
            self._db.changed("partners")
            found = self.get(config.id)
        assert found is not None
        return found

    def get(self, partner_id: int) -> Partner | None:
        """Return the partner with that id, if any (from memory when the table has not changed
        since it was read: every partner call needs its partner)."""
        return self._by_id.get(partner_id, lambda: self._read(partner_id))

    def _read(self, partner_id: int) -> Partner | None:
        with self._db.read() as conn:
            row = conn.execute("SELECT * FROM partners WHERE id = ?", (partner_id,)).fetchone()
        return _row_to_partner(row) if row else None

    def find_by_api_key(self, api_key: str) -> Partner | None:
        """Return the partner owning ``api_key``, if any (every token call asks)."""
        for partner in self._by_id.current().values():
            if partner.config.api_key == api_key:
                return partner
        with self._db.read() as conn:
            row = conn.execute("SELECT id FROM partners WHERE api_key = ?", (api_key,)).fetchone()
        return self.get(row[0]) if row else None

    def code_taken(self, code: str) -> bool:
        """Tell whether a partner already uses ``code``."""
        with self._db.read() as conn:
            return conn.execute("SELECT 1 FROM partners WHERE code = ?", (code,)).fetchone() \
                is not None

    def all(self) -> list[Partner]:
        """Return every partner, by id."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT * FROM partners ORDER BY id").fetchall()
        return [_row_to_partner(row) for row in rows]

    def next_id(self) -> int:
        """Return an id no partner uses (above every stored id)."""
        with self._db.read() as conn:
            (highest,) = conn.execute("SELECT COALESCE(MAX(id), 0) FROM partners").fetchone()
        return int(highest) + 1

    def delete_except(self, keep_ids: set[int]) -> None:
        """Delete every partner (and, by cascade, its data) whose id is not in ``keep_ids``."""
        with self._db.transaction() as conn:
            placeholders = ",".join("?" * len(keep_ids)) or "NULL"
            conn.execute(f"DELETE FROM partners WHERE id NOT IN ({placeholders})",
                         tuple(keep_ids))
            self._db.changed("partners", "tokens")  # tokens go with their partner (cascade)
