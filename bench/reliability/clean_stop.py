"""The clean-stop run: nothing is lost when ``serve`` is stopped (issue 16, point 1), and a
crash loses at most the last second of the request journal.

On ``serve --data DIR``, three rounds of ``CALLS`` gateway calls (token calls, each journaled;
the count is not a multiple of the journal's batch, so entries are buffered at the end):

* SIGTERM right after the last call: the time to exit, then, after a restart on the same data,
  the journal entries missing (target 0) and whether the payments created survived;
* SIGKILL right after the last call (a crash): the entries missing, at most one batch (100) and
  one second's worth;
* SIGKILL after a pause of 1.5 s: none missing (the buffer is written within a second).
"""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import tempfile
import time
from pathlib import Path

import requests
from gateway import API_KEY, API_SECRET, AUTH_MEDIA_TYPE, TOKEN_PATH
from harness import Context, Metric

from pay1st_mock.process import ServerProcess

from .settings import DB_FILE, JOURNAL_BATCH, TOKEN_BODY
from .signing import basic

CALLS = 250
PAUSE_S = 1.5


def _journal_rows(data: Path) -> int:
    with contextlib.closing(sqlite3.connect(data / DB_FILE)) as db:
        return int(db.execute("SELECT COUNT(*) FROM journal").fetchone()[0])


def _payment_rows(data: Path) -> int:
    with contextlib.closing(sqlite3.connect(data / DB_FILE)) as db:
        return int(db.execute("SELECT COUNT(*) FROM payments").fetchone()[0])


def _round(data: Path, stop: signal.Signals, pause: float) -> tuple[int, float, int]:
    """``CALLS`` token calls and one payment, then ``stop``; return (journal entries missing,
    seconds from the signal to the exit, payments stored)."""
    before = _journal_rows(data) if (data / DB_FILE).exists() else 0
    with ServerProcess("--data", str(data)) as server, requests.Session() as http:
        url = server.wait_for_url()
        headers = {"Authorization": basic(API_KEY, API_SECRET), "Content-Type": AUTH_MEDIA_TYPE}
        for _ in range(CALLS):
            answer = http.post(url + TOKEN_PATH, data=TOKEN_BODY, headers=headers, timeout=10)
            answer.raise_for_status()
        created = http.post(f"{url}/_mock/partners", json={}, timeout=10)
        created.raise_for_status()
        time.sleep(pause)
        started = time.perf_counter()
        code = server.stop(stop)
        took = time.perf_counter() - started
    if stop != signal.SIGKILL and code != 0:
        raise RuntimeError(f"serve exited {code} on {stop.name}")
    return before + CALLS - _journal_rows(data), took, _payment_rows(data)


def clean_stop(ctx: Context) -> list[Metric]:
    """Journal entries lost on SIGTERM (none), on SIGKILL (a bounded tail), after a pause."""
    with tempfile.TemporaryDirectory(prefix="pay1st-stop-") as tmp:
        data = Path(tmp) / "data"
        lost_term, exit_s, _ = _round(data, signal.SIGTERM, 0.0)
        lost_kill, _, _ = _round(data, signal.SIGKILL, 0.0)
        lost_later, _, _ = _round(data, signal.SIGKILL, PAUSE_S)
    ctx.details["reliability_clean_stop"] = {
        "calls_per_round": CALLS, "lost_on_sigterm": lost_term, "sigterm_to_exit_s": exit_s,
        "lost_on_sigkill_at_once": lost_kill, f"lost_on_sigkill_after_{PAUSE_S}s": lost_later,
    }
    return [
        Metric(f"clean stop: {CALLS} journaled gateway calls, then a signal", None, ""),
        Metric("  SIGTERM: journal entries lost", lost_term, "count", 0),
        Metric("  SIGTERM: signal to exit", exit_s * 1000, "ms"),
        Metric("  SIGKILL right after the last call: journal entries lost", lost_kill, "count",
               JOURNAL_BATCH),
        Metric(f"  SIGKILL {PAUSE_S:g} s after the last call: journal entries lost", lost_later,
               "count", 0),
    ]
