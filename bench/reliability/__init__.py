"""Reliability benchmarks: soak under load, crash safety, growth (issue "Reliability and
security", points 1, 2 and 6).

Everything runs against real ``pay1st-mock serve --data DIR --seed N --port 0`` subprocesses on
127.0.0.1, with real partner listeners: one raw-socket HTTP/1.1 server (keep-alive, a thread per
connection) per partner, in this process.

* ``soak``: 16 partners, each created with ``POST /_mock/partners`` and its own ``webhookUrl``
  (its own listener), run full gateway flows concurrently for 60 s (quick 10 s): token → create
  (signed) → ``POST /_mock/payments/REF/complete`` with an outcome drawn from success / declined /
  cancel → fulfilment (signed) when SUCCESSFUL. The listeners answer 500 to 30 % of deliveries,
  so the emulator retries. At the end the remaining retries are driven by advancing the emulator
  clock until no delivery is PENDING (time limit); the listeners fail for the first rounds of
  that too, then stop (see ``clock_drive.drain``). Then every count is checked against the
  emulator's own view (``GET /_mock/payments``, deliveries) and against what the clients and
  listeners saw. The server's RSS is sampled every second.
* ``crash_safety``: the same load, with a SIGKILL of the server in the middle; ``PRAGMA
  integrity_check`` on the SQLite file, a restart on the same data (new port; partners keep their
  credentials, listeners keep running), clients retry what the kill cut, then the same accounting.
* ``growth``: create and query latency with 1,000 and with 100,000 stored payments (filled through
  the store layer in a child process before the server opens the data), and the 100k / 1k ratio.
* ``connections``: health and token latency on new connections while 1,000 idle and slow
  connections are open (target 100 ms), and the time until the server closes them on its idle
  timeout (``connections.py``).
* ``clean_stop``: journal entries lost on SIGTERM (none), on a SIGKILL right after the calls (at
  most a batch) and on one a moment later (none), with the time from SIGTERM to exit
  (``clean_stop.py``).

The modules: ``soak``, ``crash``, ``growth``, ``connections`` and ``clean_stop`` hold the five
benchmarks; ``listeners`` the partners' webhook endpoints; ``clients`` the partners' backends
(the load); ``clock_drive`` the draining of retries; ``accounting`` the comparison of the three
views and its rows; ``emulator`` the server process, its control API and its SQLite file;
``memory`` the RSS sampling; ``fill`` the growth run's store-layer fill (a child process);
``signing`` and ``settings`` the rest.

``python bench/run.py --only reliability`` prints the rows; ``--strict`` makes a missed target
(any loss, duplicate, 5xx, ...) exit 1. ``python bench/reliability [--quick] [--only NAME]``
runs them alone and exits 1 on any missed target (``__main__.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
if str(BENCH_DIR) not in sys.path:  # the modules import harness, rawhttp and gateway from there
    sys.path.insert(0, str(BENCH_DIR))

from .clean_stop import clean_stop  # noqa: E402
from .connections import connections  # noqa: E402
from .crash import crash_safety  # noqa: E402
from .growth import growth  # noqa: E402
from .soak import soak  # noqa: E402

BENCHMARKS = [soak, crash_safety, growth, connections, clean_stop]
