"""One SQLite database, shared safely by every request thread.

A single connection guarded by a lock serialises access: SQLite writes are serial anyway, each
statement takes microseconds, and one connection is the only way threads can share an
in-memory database (``:memory:``). Files use WAL so a killed process never corrupts the database.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Generic, TypeVar

from pay1st_mock.config import MEMORY

SCHEMA_VERSION = "1"


def matching(table: str, **equal: object) -> tuple[str, list[object]]:
    """``SELECT * FROM table`` with ``column = ?`` for each filter that is not None, and its
    arguments (columns are the caller's keyword names, never user text)."""
    wanted = {column: value for column, value in equal.items() if value is not None}
    where = " AND ".join(f"{column} = ?" for column in wanted) or "1 = 1"
    return f"SELECT * FROM {table} WHERE {where}", list(wanted.values())
# Columns added to tables after their first release: (table, column, definition).
ADDED_COLUMNS = (("partners", "access", "TEXT"),)
DB_FILE_NAME = "pay1st-mock.sqlite3"


class Database:
    """The emulator's SQLite database.

    ``location`` is a directory (the file ``pay1st-mock.sqlite3`` is created inside it) or
    ``:memory:``. Use ``transaction()`` for every read or write.
    """

    def __init__(self, location: str) -> None:
        self.location = location
        if location == MEMORY:
            self.path: Path | None = None
            target = MEMORY
        else:
            folder = Path(location)
            folder.mkdir(parents=True, exist_ok=True)
            self.path = folder / DB_FILE_NAME
            target = str(self.path)
        # isolation_level=None: we issue BEGIN ourselves so a transaction spans what we decide.
        self._connection = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._connection.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._depth = 0
        self._after: list[Callable[[], None]] = []
        self._changes: dict[str, int] = {}
        self._configure()

    def _configure(self) -> None:
        with self._lock:
            run = self._connection.execute
            run("PRAGMA foreign_keys = ON")
            if self.path is not None:
                run("PRAGMA journal_mode = WAL")
                # NORMAL in WAL mode survives a process crash; only power loss may drop the tail.
                run("PRAGMA synchronous = NORMAL")
            script = (resources.files("pay1st_mock") / "store" / "schema.sql").read_text("utf-8")
            self._connection.executescript(script)
            self._add_missing_columns()
            run("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)",
                (SCHEMA_VERSION,))

    def _add_missing_columns(self) -> None:
        """Bring a data file written by an older version up to date: ``CREATE TABLE IF NOT
        EXISTS`` keeps an existing table as it was, so columns added since are added here."""
        for table, column, definition in ADDED_COLUMNS:
            present = {row[1] for row in self._connection.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                self._connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the database for one atomic unit of work; nested calls join the outer one.

        Callbacks registered with ``after_commit`` run once the outermost transaction has
        committed and the lock is released (and are dropped on rollback).
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._connection
                finally:
                    self._depth -= 1
                return
            self._connection.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._connection
            except BaseException:
                self._connection.execute("ROLLBACK")
                self._after.clear()
                raise
            else:
                self._connection.execute("COMMIT")
            finally:
                self._depth = 0
            callbacks, self._after = self._after, []
        for callback in callbacks:
            callback()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """Hold the database for reads only: no write lock is taken in SQLite.

        Inside a ``transaction()`` it simply joins it.
        """
        with self._lock:
            yield self._connection

    def changed(self, *tables: str) -> None:
        """Note that rows of ``tables`` were updated or deleted: what was read from them before
        may be stale (``change_count``). Inserts need no note: a cache only holds rows it read."""
        with self._lock:
            for table in tables:
                self._changes[table] = self._changes.get(table, 0) + 1

    def change_count(self, table: str) -> int:
        """How many ``changed`` notes ``table`` has had: a cache keeps the count it read at and
        drops its rows when the count has moved."""
        return self._changes.get(table, 0)

    def in_transaction(self) -> bool:
        """Whether this thread is inside ``transaction()`` now."""
        if not self._lock.acquire(blocking=False):
            return False  # another thread holds the database: this one is not in it
        try:
            return self._depth > 0
        finally:
            self._lock.release()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` when the current transaction commits (at once outside one)."""
        with self._lock:
            if self._depth:
                self._after.append(callback)
                return
        callback()

    def record_start(self) -> int:
        """Count one more start of the emulator on this database; return the count (1 = first)."""
        with self.transaction() as conn:
            conn.execute("INSERT INTO meta(key, value) VALUES ('starts', '1') ON CONFLICT(key) "
                         "DO UPDATE SET value = CAST(value AS INTEGER) + 1")
            (count,) = conn.execute("SELECT value FROM meta WHERE key = 'starts'").fetchone()
        return int(count)

    def integrity_check(self) -> str:
        """Return SQLite's ``PRAGMA integrity_check`` verdict (``ok`` when sound)."""
        with self._lock:
            return str(self._connection.execute("PRAGMA integrity_check").fetchone()[0])

    def close(self) -> None:
        """Close the connection; the object is unusable afterwards."""
        with self._lock:
            self._connection.close()


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TableCache(Generic[K, V]):
    """Values read from one table, kept in memory until ``Database.changed`` notes that table
    (or ``limit`` are held): for rows read on every call and rarely updated or deleted."""

    def __init__(self, db: Database, table: str, limit: int = 1024) -> None:
        self._db = db
        self._table = table
        self._limit = limit
        self._values: dict[K, V] = {}
        self._count = -1  # the table's change count the values were read at

    def current(self) -> dict[K, V]:
        """The values still valid (forgotten first if the table changed or the cache is full)."""
        count = self._db.change_count(self._table)
        if count != self._count or len(self._values) >= self._limit:
            self._values, self._count = {}, count
        return self._values

    def get(self, key: K, load: Callable[[], V | None]) -> V | None:
        """The value of ``key``: from memory, or ``load()`` (kept unless the table changed
        meanwhile: the count is read before loading)."""
        values = self.current()
        found = values.get(key)
        if found is not None:
            return found
        count = self._count
        found = load()
        if found is not None and self._count == count == self._db.change_count(self._table):
            values[key] = found
        return found

