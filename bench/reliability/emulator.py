"""The emulator under test: its ``serve --data DIR`` process, its control API, its SQLite file.

``start_server`` and ``kill_server`` (SIGKILL, as in a crash) run ``pay1st-mock serve`` on
127.0.0.1 with a free port; ``Control`` is the control API over ``requests`` and counts its
answers; ``db_counts``, ``integrity`` and ``pending_in_file`` read the data file directly, with
the server stopped or killed.
"""

from __future__ import annotations

import contextlib
import signal
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import harness
import requests

from pay1st_mock.process import ServerProcess

from .settings import CALL_TIMEOUT_S, DB_FILE

# --------------------------------------------------------------------------- the server process


def start_server(data: Path, seed: int) -> ServerProcess:
    return harness.start_server("--data", str(data), "--seed", str(seed), timeout=30)


def kill_server(server: ServerProcess) -> None:
    """SIGKILL: no shutdown code runs, as in a crash or an OOM kill."""
    server.stop(signal.SIGKILL)


class Control:
    """The control API over one ``requests.Session``; counts its answers by status."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.trust_env = False  # 127.0.0.1 only, never through a proxy
        self.statuses: Counter[int] = Counter()

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
        response = self.http.request(method, self.base + path, json=body, params=params or None,
                                     timeout=CALL_TIMEOUT_S)
        self.statuses[response.status_code] += 1
        return response

    def get(self, path: str, **params: Any) -> Any:
        response = self.call("GET", path, **params)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: Any) -> Any:
        response = self.call("POST", path, body)
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        self.http.close()


# --------------------------------------------------------------------------- the data file


def db_counts(path: Path) -> dict[str, Any]:
    """Row counts of the SQLite file (server stopped)."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        counts: dict[str, Any] = {
            table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("payments", "payment_history", "fulfilments", "deliveries",
                          "delivery_attempts", "tokens", "journal")}
        counts["deliveries_by_status"] = dict(db.execute(
            "SELECT status, COUNT(*) FROM deliveries GROUP BY status").fetchall())
        counts["deliveries_by_attempts"] = dict(db.execute(
            "SELECT attempts, COUNT(*) FROM deliveries GROUP BY attempts").fetchall())
    counts["file_mb"] = round(sum(p.stat().st_size for p in path.parent.glob(DB_FILE + "*"))
                              / 2 ** 20, 2)
    return counts


def integrity(path: Path) -> str:
    """``PRAGMA integrity_check`` of the file (opening it replays the WAL, as a restart does)."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def pending_in_file(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return int(db.execute("SELECT COUNT(*) FROM deliveries WHERE status = 'PENDING'")
                   .fetchone()[0])
