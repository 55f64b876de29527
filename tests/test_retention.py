"""History is bounded: the journal and the finished deliveries keep their configured number of
entries, pending deliveries are never dropped, and the bounds come from the config."""

from __future__ import annotations

import pytest

from pay1st_mock.config import SANDBOX_PARTNER, ConfigError, settings_from_mapping
from pay1st_mock.records import JournalEntry
from pay1st_mock.store.database import Database
from pay1st_mock.store.deliveries import DeliveryRepository
from pay1st_mock.store.journal import JournalRepository
from pay1st_mock.store.partners import PartnerRepository
from pay1st_mock.store.tokens import FORGET_EXPIRED_AFTER, TokenRepository


@pytest.fixture
def db() -> Database:
    database = Database(":memory:")
    PartnerRepository(database).save(SANDBOX_PARTNER, "sandbox", 0.0)  # deliveries belong to one
    return database


def _enqueue(repo: DeliveryRepository, count: int, url: str | None) -> list[int]:
    return [repo.enqueue(partner_id=1, kind="payment_event", reference=f"C-{i:015d}-P",
                         event="SUCCESSFUL", url=url, body="{}", now=0.0) for i in range(count)]


def test_finished_deliveries_are_trimmed_to_the_bound_pending_ones_stay(db: Database) -> None:
    repo = DeliveryRepository(db, max_finished=100)
    pending = _enqueue(repo, 50, "http://127.0.0.1:9/hook")
    skipped = _enqueue(repo, 450, None)  # SKIPPED: finished at once
    repo.trim()
    kept = {d.id for d in repo.search(limit=1000)}
    assert set(pending) <= kept, "a pending delivery was dropped"
    assert kept - set(pending) == set(skipped[-100:]), "not the newest 100 finished"


def test_trimming_happens_as_deliveries_finish(db: Database) -> None:
    repo = DeliveryRepository(db, max_finished=100)
    _enqueue(repo, 1000, None)
    assert len(repo.search(limit=1000)) <= 200  # the bound + one trim interval


def test_the_journal_keeps_its_bound(db: Database) -> None:
    repo = JournalRepository(db, max_entries=100)
    for number in range(1000):
        repo.add(JournalEntry(id=0, partner_id=1, method="GET", path=f"/{number}", query="",
                              request_headers={}, request_body="", status=200,
                              response_body="", duration_ms=1.0, reference=None, findings=[],
                              at=0.0))
    entries = repo.search(limit=1000)
    assert len(entries) == 100 and entries[0].path == "/999"


def test_the_bounds_come_from_the_config() -> None:
    settings = settings_from_mapping({"version": 1, "retention": {
        "journal_entries": 500, "finished_deliveries": 2000}})
    assert (settings.journal_max_entries, settings.deliveries_max_finished) == (500, 2000)
    with pytest.raises(ConfigError, match=r"retention.journal_entries: expected a number ≥ 100"):
        settings_from_mapping({"version": 1, "retention": {"journal_entries": 5}})


def test_long_expired_tokens_are_forgotten_recent_ones_kept(db: Database) -> None:
    repo = TokenRepository(db)
    repo.add(1, 0.0, ("old", "access", 3600.0), ("recent", "access", 90000.0))
    assert repo.find("old") is not None  # read once: kept in memory until the table changes
    later = 3600.0 + FORGET_EXPIRED_AFTER + 1
    for number in range(100):  # enough new tokens to make the repository prune
        repo.add(1, later, (f"new-{number}", "access", later + 3600))
    assert repo.find("old") is None, "a pruned token must not be found in memory either"
    assert repo.find("recent") is not None  # expired, but recently: still says EXPIRED
