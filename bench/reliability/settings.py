"""Settings and targets of the reliability benchmarks, and the emulator facts they rely on.

The gateway's paths, media types and sandbox credentials come from ``gateway.py``.
"""

from __future__ import annotations

import json
import re

PARTNERS = 16
FAIL_PROBABILITY = 0.30  # share of deliveries each listener answers 500 while the load runs
SEED = 20240611
SOAK_SECONDS, SOAK_SECONDS_QUICK = 60.0, 10.0
CRASH_SECONDS, CRASH_SECONDS_QUICK = 20.0, 8.0
FAILING_DRAIN_ROUNDS = 3  # clock-drive rounds during which the listeners still fail
KILL_AT = 0.4  # the SIGKILL comes after this share of the crash run
RETRY_WINDOW_S = 20.0  # a client retries a call cut by the kill for this long
DRAIN_LIMIT_S, DRAIN_LIMIT_S_QUICK = 120.0, 60.0
CALL_TIMEOUT_S = 30.0
GROWTH_SIZES = (1_000, 100_000)
GROWTH_CALLS, GROWTH_CALLS_QUICK = 300, 100  # timed creates and queries per size
GROWTH_WARMUP = 30

# Targets.
GROWTH_RATIO_MAX = 1.5
RSS_SLOPE_MAX_MB_PER_MIN = 1.0  # full run only: 10 s of --quick is mostly warm-up
JOURNAL_MAX_ENTRIES = 10_000  # Settings.journal_max_entries
JOURNAL_BATCH = 100  # store/journal.py: entries buffered before a write

# What the partners send.
TOKEN_BODY = json.dumps({"role": "API_USER"}).encode()
SKU = "SOAK-1"
# Every country's first channel is a card, which the headless complete uses by default.
COUNTRIES = (("NG", "NGN"), ("ZA", "ZAR"), ("KE", "KES"), ("EG", "EGP"), ("MA", "MAD"),
             ("GH", "GHS"))
OUTCOMES = {"success": "SUCCESSFUL", "declined": "FAILED", "cancel": "CANCELLED"}

# What the emulator does and stores.
# README "Payment Webhook Events": the statuses whose change sends a webhook.
WEBHOOK_STATUSES = frozenset({"PENDING", "SUCCESSFUL", "FAILED", "CANCELLED", "ABANDONED"})
ALL_STATUSES = ("NEW", "PENDING", "SUCCESSFUL", "FAILED", "CANCELLED", "ABANDONED")
DB_FILE = "pay1st-mock.sqlite3"  # README "Storage": DIR/pay1st-mock.sqlite3
REFERENCE_RE = re.compile(r"C-\d{15}-P")
