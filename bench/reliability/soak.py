"""The soak: 16 partners run full flows for 60 s (quick 10 s) against one server, with
listeners failing 30 % of webhooks; then the clock drive and the accounting.

The server is ``serve --data TMP --seed N``; each partner is created with ``POST
/_mock/partners`` and its own ``webhookUrl`` (its own listener). The server's RSS is sampled
every second; row counts and ``PRAGMA integrity_check`` come from the SQLite file after a clean
stop. Every loss, duplicate or 5xx is a missed target.
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

from harness import Context, Metric, process_cpu_seconds

from .accounting import account, accounting_metrics, json_stats, merged_stats, short
from .clients import Target, create_partners, start_workers
from .clock_drive import drain
from .emulator import Control, db_counts, integrity, start_server
from .listeners import FlakyListener
from .memory import RssSampler, rss_kb, slope_per_minute
from .settings import (
    DB_FILE,
    DRAIN_LIMIT_S,
    DRAIN_LIMIT_S_QUICK,
    FAIL_PROBABILITY,
    FAILING_DRAIN_ROUNDS,
    JOURNAL_BATCH,
    JOURNAL_MAX_ENTRIES,
    PARTNERS,
    RSS_SLOPE_MAX_MB_PER_MIN,
    SEED,
    SOAK_SECONDS,
    SOAK_SECONDS_QUICK,
)


def soak(ctx: Context) -> list[Metric]:
    """16 partners × full flows for 60 s, listeners failing 30 %: no loss, duplicate or 5xx."""
    seconds = SOAK_SECONDS_QUICK if ctx.quick else SOAK_SECONDS
    limit = DRAIN_LIMIT_S_QUICK if ctx.quick else DRAIN_LIMIT_S
    listeners = [FlakyListener(i, SEED) for i in range(PARTNERS)]
    with tempfile.TemporaryDirectory(prefix="pay1st-soak-") as tmp:
        data = Path(tmp) / "data"
        server = start_server(data, SEED)
        control = Control(server.wait_for_url())
        sampler = RssSampler(server.pid)
        try:
            partners = create_partners(control, listeners)
            target = Target(server.wait_for_url())
            load_start = sampler.now()
            t0 = time.perf_counter()
            cpu0 = process_cpu_seconds(server.pid) or 0.0
            workers, threads = start_workers(partners, target, SEED, 5.0,
                                             time.monotonic() + seconds)
            for thread in threads:
                thread.join(seconds + 120)
            elapsed = time.perf_counter() - t0
            server_cpu = ((process_cpu_seconds(server.pid) or 0.0) - cpu0) / elapsed * 100
            load_end = sampler.now()
            pending_at_end = len(control.get("/_mock/deliveries", status="PENDING",
                                             limit=1000)["deliveries"])
            drained = drain(control, listeners, limit)
            flows = [f for w in workers for f in w.flows]
            result = account(control, partners, flows)
            rss_after = rss_kb(server.pid)
        finally:
            sampler.stop()
            control.close()
            server.stop()
            for listener in listeners:
                listener.close()
        counts = db_counts(data / DB_FILE)
        check = integrity(data / DB_FILE)
    stats = merged_stats(workers)

    window = sampler.since(load_start, load_end)
    half = sampler.since(load_start + (load_end - load_start) / 2, load_end)
    rss = [mb for _, mb in window] or [math.nan]
    slope = slope_per_minute(half)
    flows_done = result["flows_completed"]
    payments = max(1, counts["payments"])
    ctx.details["reliability_soak"] = {
        "partners": PARTNERS, "seconds": round(elapsed, 2), "fail_probability": FAIL_PROBABILITY,
        "seed": SEED, "server_cpu_pct_of_one_core": round(server_cpu, 1),
        "pending_when_load_stopped": pending_at_end, "drain": drained,
        "accounting": short(result), "clients": json_stats(stats),
        "control_statuses": dict(control.statuses),
        "rss_mb": {"samples": [(round(t, 1), round(mb, 2)) for t, mb in sampler.samples],
                   "load_window_s": [round(load_start, 1), round(load_end, 1)],
                   "after_drain": round((rss_after or 0) / 1024, 2)},
        "tables_after": counts, "integrity_check": check,
        "listener_connections": [listener.connections for listener in listeners],
        "policy": f"listeners fail 30 % while the load runs and for the first "
                  f"{FAILING_DRAIN_ROUNDS} clock-drive rounds (retry levels 5 min, 30 min, 2 h), "
                  "then stop failing: a delivery fails at most 2 + that many attempts, fewer "
                  "than the 8 after which it is EXHAUSTED (a correct outcome, not a loss, that "
                  "failing for ever would make happen with probability 0.3^8 per delivery)",
    }
    control_5xx = sum(n for status, n in control.statuses.items() if status >= 500)
    p = "soak: "
    return [
        Metric(f"soak: full flows, {PARTNERS} partners × {seconds:g} s, 30 % webhook failures",
               flows_done / elapsed, "flows/s", better="higher"),
        Metric("  payments created (201)", result["payments_created"], "count"),
        *accounting_metrics("  ", result, stats, control_5xx),
        Metric("  other unexpected answers / transport errors",
               sum(stats.unexpected.values()) + sum(stats.transport.values()), "count", 0),
        Metric("  emulator clock advanced to drain the retries", drained["clock_advanced_s"],
               "s"),
        Metric("  most attempts one delivery needed", max(counts["deliveries_by_attempts"],
                                                          default=0), "attempts"),
        Metric("  server RSS at start of load", rss[0], "MB"),
        Metric("  server RSS peak during load", max(rss), "MB"),
        Metric("  server RSS at end of load", rss[-1], "MB"),
        Metric("  server RSS slope over the second half of the load"
               + (" (info: warm-up dominates a quick run)" if ctx.quick else ""), slope,
               "MB/min", None if ctx.quick else RSS_SLOPE_MAX_MB_PER_MIN),
        Metric("  server RSS after the clock drive and the accounting calls",
               (rss_after or 0) / 1024, "MB"),
        Metric("  journal rows after the soak (bounded)", counts["journal"], "rows",
               JOURNAL_MAX_ENTRIES + JOURNAL_BATCH),
        Metric("  deliveries rows per payment (one per event; finished ones capped at 10,000)",
               counts["deliveries"] / payments, "rows"),
        Metric("  delivery_attempts rows per payment (go with their delivery)",
               counts["delivery_attempts"] / payments, "rows"),
        Metric("  tokens rows per payment (2 per token call; pruned a day after expiry)",
               counts["tokens"] / payments, "rows"),
        Metric(f"{p}integrity_check after a clean stop (1 = ok)", float(check == "ok"), "ok",
               1, better="higher"),
    ]
