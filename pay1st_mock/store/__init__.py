"""SQLite persistence: the database handle and one repository module per aggregate."""

from pay1st_mock.store.database import Database

__all__ = ["Database"]
