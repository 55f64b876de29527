"""Access and refresh tokens in SQLite. Only a SHA-256 of each token is stored."""

from __future__ import annotations

import hashlib

from pay1st_mock.records import TokenRecord
from pay1st_mock.store.database import Database, TableCache


def token_hash(token: str) -> str:
    """Return the key a token is stored under (its SHA-256, hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# A token expired this long ago is forgotten; until then it still answers EXPIRED_ACCESS_TOKEN
# (more useful than INVALID_ACCESS_TOKEN to a partner whose refresh logic is late).
FORGET_EXPIRED_AFTER = 86400.0
_PRUNE_EVERY = 100  # issued tokens between two prunes
_CACHED = 1024  # token records kept in memory at most (every call looks its token up)


class TokenRepository:
    """Reads and writes the ``tokens`` table; long-expired tokens are pruned as new ones come,
    so the table does not grow without bound on a long-running server."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._added_since_prune = 0
        self._found: TableCache[str, TokenRecord] = TableCache(db, "tokens", _CACHED)

    def add(self, partner_id: int, issued_at: float, *tokens: tuple[str, str, float]) -> None:
        """Store newly issued tokens, each ``(token, kind, expires_at)``, in one transaction."""
        self._added_since_prune += len(tokens)  # rough is enough: it only paces the prunes
        prune = self._added_since_prune >= _PRUNE_EVERY
        with self._db.transaction() as conn:
            conn.execute(  # one statement for all (executemany steps once per row)
                "INSERT INTO tokens (token_hash, partner_id, kind, issued_at, expires_at) "
                "VALUES " + ", ".join(["(?, ?, ?, ?, ?)"] * len(tokens)),
                [value for token, kind, expires_at in tokens
                 for value in (token_hash(token), partner_id, kind, issued_at, expires_at)])
            if prune:
                self._added_since_prune = 0
                conn.execute("DELETE FROM tokens WHERE expires_at < ?",
                             (issued_at - FORGET_EXPIRED_AFTER,))
                self._db.changed("tokens")

    def find(self, token: str) -> TokenRecord | None:
        """Return the record of ``token``, if it was ever issued (from memory when the table
        has not changed since it was read: every partner call looks its token up)."""
        key = token_hash(token)
        return self._found.get(key, lambda: self._read(key))

    def _read(self, key: str) -> TokenRecord | None:
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT partner_id, kind, issued_at, expires_at, revoked_at FROM tokens "
                "WHERE token_hash = ?", (key,)).fetchone()
        return TokenRecord(*row) if row else None

    def revoke(self, token: str, at: float) -> bool:
        """Revoke ``token`` unless it already was; tell whether this call revoked it."""
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "UPDATE tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
                (at, token_hash(token)))
            self._db.changed("tokens")
        return cursor.rowcount == 1

    def delete_for_partner(self, partner_id: int) -> None:
        """Forget every token of a partner."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM tokens WHERE partner_id = ?", (partner_id,))
            self._db.changed("tokens")
