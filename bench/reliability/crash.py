"""The crash run: the soak's load with a SIGKILL of the server part-way and a restart on the
same data; the clients re-send what the kill cut, then the clock drive and the accounting.

After 40 % of the load the server is killed (no shutdown code runs); ``PRAGMA integrity_check``
and the PENDING deliveries are read from the file; the server restarts on the same directory
(new port; the listeners keep running) and the clients carry on. The partners' credentials must
survive, and the accounting must find nothing lost or duplicated by the emulator's fault.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from harness import Context, Metric

from pay1st_mock.process import ServerProcess

from .accounting import account, accounting_metrics, json_stats, merged_stats, short
from .clients import Target, create_partners, start_workers
from .clock_drive import drain
from .emulator import Control, db_counts, integrity, kill_server, pending_in_file, start_server
from .listeners import FlakyListener
from .settings import (
    CRASH_SECONDS,
    CRASH_SECONDS_QUICK,
    DB_FILE,
    DRAIN_LIMIT_S,
    DRAIN_LIMIT_S_QUICK,
    KILL_AT,
    PARTNERS,
    RETRY_WINDOW_S,
    SEED,
)


def crash_safety(ctx: Context) -> list[Metric]:
    """The same load with a SIGKILL mid-run and a restart on the same data: nothing lost."""
    seconds = CRASH_SECONDS_QUICK if ctx.quick else CRASH_SECONDS
    limit = DRAIN_LIMIT_S_QUICK if ctx.quick else DRAIN_LIMIT_S
    listeners = [FlakyListener(i, SEED + 1) for i in range(PARTNERS)]
    restarted: ServerProcess | None = None
    with tempfile.TemporaryDirectory(prefix="pay1st-crash-") as tmp:
        data = Path(tmp) / "data"
        first = start_server(data, SEED + 1)
        control = Control(first.wait_for_url())
        try:
            partners = create_partners(control, listeners)
            target = Target(first.wait_for_url())
            deadline = time.monotonic() + seconds
            workers, threads = start_workers(partners, target, SEED + 1, RETRY_WINDOW_S,
                                             deadline)
            time.sleep(seconds * KILL_AT)
            flows_before_kill = sum(len(w.flows) for w in workers)
            kill_server(first)
            killed_at = time.monotonic()
            check_after_kill = integrity(data / DB_FILE)
            pending_at_kill = pending_in_file(data / DB_FILE)
            restart_t0 = time.monotonic()
            restarted = start_server(data, SEED + 1)
            restart_s = time.monotonic() - restart_t0
            target.point(restarted.wait_for_url())
            control.base = restarted.wait_for_url()
            for thread in threads:
                thread.join(seconds + RETRY_WINDOW_S + 60)
            after = {p["apiKey"]: p for p in control.get("/_mock/partners")["partners"]}
            partners_lost = sum(1 for p in partners if after.get(p.api_key, {}).get(
                "signingKey") != p.signing_key)
            drained = drain(control, listeners, limit)
            flows = [f for w in workers for f in w.flows]
            result = account(control, partners, flows, killed_at)
        finally:
            control.close()
            first.stop()
            if restarted is not None:
                restarted.stop()
            for listener in listeners:
                listener.close()
        check_at_end = integrity(data / DB_FILE)
        counts = db_counts(data / DB_FILE)
    stats = merged_stats(workers)
    cut = sum(len(f.retried) for f in flows)  # calls without an answer, each re-sent
    retried_flows = sum(1 for f in flows if f.retried)
    ctx.details["reliability_crash"] = {
        "partners": PARTNERS, "seconds": seconds, "kill_after_s": round(seconds * KILL_AT, 2),
        "flows_before_kill": flows_before_kill, "restart_to_healthy_s": round(restart_s, 3),
        "integrity_after_kill": check_after_kill, "integrity_at_end": check_at_end,
        "pending_deliveries_at_kill": pending_at_kill, "partners_lost": partners_lost,
        "drain": drained, "accounting": short(result), "clients": json_stats(stats),
        "flows_with_a_retried_step": retried_flows, "control_statuses": dict(control.statuses),
        "tables_after": counts,
    }
    control_5xx = sum(n for status, n in control.statuses.items() if status >= 500)
    return [
        Metric(f"crash: SIGKILL after {seconds * KILL_AT:g} s of {seconds:g} s load, restart "
               "on the same data", result["payments_created"], "payments"),
        Metric("  calls cut by the kill (re-sent by the clients)", cut, "count"),
        Metric("  creates found committed on re-send (DUPLICATE_PARTNER_REFERENCE)",
               result["payments_found_on_retry"], "count"),
        Metric("  restart on the same data until healthy", restart_s * 1000, "ms"),
        Metric("  integrity_check after SIGKILL (1 = ok)", float(check_after_kill == "ok"),
               "ok", 1, better="higher"),
        Metric("  integrity_check at the end (1 = ok)", float(check_at_end == "ok"), "ok", 1,
               better="higher"),
        Metric("  partners whose credentials did not survive", partners_lost, "count", 0),
        Metric("  deliveries PENDING in the file at the kill", pending_at_kill, "count"),
        *accounting_metrics("  ", result, stats, control_5xx),
        Metric("  other unexpected answers / calls given up",
               sum(stats.unexpected.values()), "count", 0),
    ]
