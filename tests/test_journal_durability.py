"""The request journal survives a clean stop, and a crash loses at most its last second.

The journal is written in batches; these tests show the batch never outlives a clean stop
(SIGINT or SIGTERM of ``serve --data DIR``, or ``close()`` of an app) and that a lone entry
reaches the file within about a second, without any read or stop to flush it.
"""

from __future__ import annotations

import contextlib
import signal
import sqlite3
from pathlib import Path

import pytest
import requests

from pay1st_mock.app import create_app, services
from pay1st_mock.config import Settings
from pay1st_mock.process import ServerProcess
from pay1st_mock.store.database import DB_FILE_NAME
from tests.harness import wait_until
from tests.support import AUTH, SANDBOX, basic


def _token_call(url: str) -> None:
    answer = requests.post(f"{url}/api/pay1st/auth/token", data='{"role":"API_USER"}',
                           headers={"Authorization": basic(SANDBOX["api_key"],
                                                           SANDBOX["api_secret"]),
                                    "Content-Type": AUTH}, timeout=10)
    assert answer.status_code == 200, answer.text


def _rows_in_file(data: Path) -> int:
    with contextlib.closing(sqlite3.connect(data / DB_FILE_NAME)) as db:
        return int(db.execute("SELECT COUNT(*) FROM journal").fetchone()[0])


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_clean_stop_keeps_every_journal_entry(tmp_path: Path, signum: signal.Signals) -> None:
    data = tmp_path / "data"
    with ServerProcess("--data", str(data), cwd=tmp_path) as first:
        assert first.url is not None
        for _ in range(3):
            _token_call(first.url)
        assert first.stop(signum) == 0, first.stderr

    with ServerProcess("--data", str(data), cwd=tmp_path) as second:
        assert second.url is not None
        entries = requests.get(f"{second.url}/_mock/journal", timeout=10).json()["entries"]
        assert [e["path"] for e in entries] == ["/api/pay1st/auth/token"] * 3
        assert second.stop() == 0


def test_closing_the_app_writes_the_buffered_entries(tmp_path: Path) -> None:
    data = tmp_path / "data"
    app = create_app(Settings(data=str(data)))
    client = app.test_client()
    answer = client.post("/api/pay1st/auth/token", data='{"role":"API_USER"}', headers={
        "Authorization": basic(SANDBOX["api_key"], SANDBOX["api_secret"]), "Content-Type": AUTH})
    assert answer.status_code == 200
    services(app).close()
    assert _rows_in_file(data) == 1


def test_an_entry_reaches_the_file_within_about_a_second(tmp_path: Path) -> None:
    """What a crash (SIGKILL, power loss) can take is bounded in time, not only by the batch."""
    data = tmp_path / "data"
    app = create_app(Settings(data=str(data)))
    try:
        client = app.test_client()
        client.post("/api/pay1st/auth/token", data='{"role":"API_USER"}', headers={
            "Authorization": basic(SANDBOX["api_key"], SANDBOX["api_secret"]),
            "Content-Type": AUTH})
        # Nothing reads the journal here: only the periodic write can put it in the file.
        wait_until(lambda: _rows_in_file(data) == 1, 5, "the journal entry in the file")
    finally:
        services(app).close()
