"""Scenario-runner benchmarks: what ``pay1st-mock run`` costs on top of the partner's own time.

- runner overhead per step: scenarios built in memory (``parse_scenario``) with steps toward an
  *instant partner* (a raw-socket keep-alive HTTP/1.1 responder that answers ``200 {}`` to
  anything), run through ``Engine`` + ``run_scenarios`` with no reporters; each step's time,
  and the same step minus the bare round trip of the same request sent with a plain
  ``requests.Session``. Emulator-facing steps (``create_payment``, ``complete_payment``) against
  the shared ``serve`` subprocess, for information;
- the conformance pack (``scenarios/``) against the reference partner
  (``examples/reference_partner``), a fresh emulator per run, as ``tests/runner/conftest.py``
  runs it but with default settings: wall time, scenarios passed, and how much of the time is
  deliberate ``no_call`` waiting.

Whatever imports the package runs in a child interpreter (``python bench/scenarios --child
overhead|pack ...``, one JSON line out), as in ``ci.py``, so the benchmark process stays
black-box. The instant partner, the runner and (for the pack) the reference partner and the
``MockServer`` share that child's interpreter, as they do in a test suite.

The modules: ``overhead`` and ``pack`` hold the two benchmarks, each with its child's side;
``instant_partner`` the partner that answers at once; ``documents`` the scenarios built in
memory; ``child`` starting a child and reading its result; ``settings`` the constants and
targets; ``profiling`` the diagnosis below; ``__main__`` the command line (children included).

Diagnosis (not run by run.py)::

    python bench/scenarios --profile overhead|pack [--timer cpu|wall] [--top 25]

runs a child under cProfile in every thread and writes
``bench/results/profile-scenarios-<what>-<timer>.prof``.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
if str(BENCH_DIR) not in sys.path:  # the modules import ci, harness and rawhttp from there
    sys.path.insert(0, str(BENCH_DIR))

from .overhead import runner_overhead  # noqa: E402
from .pack import conformance_pack  # noqa: E402

BENCHMARKS = [runner_overhead, conformance_pack]
