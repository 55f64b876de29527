"""The conformance pack: the child that runs ``scenarios/`` against the reference partner and a
fresh ``MockServer`` per run, and the ``conformance_pack`` benchmark that reads its result."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import ci  # _profiled; imports nothing from the package
import harness
from harness import Context, Metric, median

from .child import failure_messages, run_child
from .settings import CONFIG, EXAMPLES, PACK, PACK_WORK_SECONDS, SEED


def child_pack(runs: int, profile: str | None, timer: str) -> dict[str, Any]:
    """The pack against the reference partner, ``runs`` times, each with fresh servers."""
    sys.path.insert(0, str(EXAMPLES))  # the reference partner is an example, not a package
    from reference_partner.server import PartnerServer
    from reference_partner.settings import PartnerSettings

    import pay1st_mock.app  # noqa: F401 — what MockServer.start() imports: done here, untimed
    from pay1st_mock.config import settings_from_mapping
    from pay1st_mock.runner.engine import Engine
    from pay1st_mock.runner.model import load_scenarios
    from pay1st_mock.runner.session import run_scenarios
    from pay1st_mock.runner.target import build_target, with_partner_url
    from pay1st_mock.server import MockServer

    perf = time.perf_counter
    out: list[dict[str, Any]] = []
    with ci._profiled(profile, timer):  # both servers stop inside: their threads are profiled
        for _ in range(runs):
            t0 = perf()
            partner = PartnerServer(PartnerSettings()).start()
            mock = None
            try:
                settings = with_partner_url(settings_from_mapping(CONFIG, "<bench>"), partner.url)
                mock = MockServer(settings).start()
                partner.settings.pay1st_url = mock.url
                t1 = perf()
                scenarios = load_scenarios([PACK])
                t2 = perf()
                engine = Engine(build_target(settings), mock.url, seed=SEED)
                finished = run_scenarios(engine, scenarios, [])
                t3 = perf()
            finally:
                partner.stop()
                if mock is not None:
                    mock.stop()
            t4 = perf()
            no_call_windows = 0.0
            by_action: dict[str, float] = {}
            for result in finished.results:
                for step in result.steps:
                    by_action[step.step.action] = (by_action.get(step.step.action, 0.0)
                                                   + step.duration_ms / 1000)
                    if step.step.action == "no_call":
                        seconds = step.step.arguments.get("for_seconds", 1)
                        no_call_windows += float(seconds) if isinstance(seconds, int | float) \
                            else 0.0
            out.append({"total_s": t3 - t0, "setup_s": t1 - t0, "load_s": t2 - t1,
                        "run_s": t3 - t2, "teardown_s": t4 - t3,
                        "run_finished_ms": finished.duration_ms, "passed": finished.passed,
                        "failed": finished.failed, "scenarios": len(finished.results),
                        "no_call_windows_s": no_call_windows, "by_action_s": by_action,
                        "scenario_ms": {r.scenario.file.removeprefix(str(harness.ROOT) + "/"):
                                        round(r.duration_ms, 1) for r in finished.results},
                        "failures": failure_messages(finished)})
    return {"runs": out, "files": len(list(PACK.rglob("*.json"))),
            "leftover_threads": [t.name for t in threading.enumerate()
                                 if t is not threading.main_thread()]}


def conformance_pack(ctx: Context) -> list[Metric]:
    """The scenarios/ pack against the reference partner, a fresh emulator per run."""
    runs = 1 if ctx.quick else 3
    result = run_child(["pack", "--runs", str(runs)])
    done = result["runs"]
    totals = [r["total_s"] for r in done]
    ctx.details["scenarios_conformance_pack"] = result
    worst = min(done, key=lambda r: r["passed"])
    waits = ("wait_for_delivery", "wait_for_call")
    return [
        Metric(f"conformance pack wall time (median of {runs})", median(totals), "s"),
        Metric("  min", min(totals), "s"),
        Metric("  first run in the process", totals[0], "s"),
        Metric("  of which start partner + emulator (median)",
               median([r["setup_s"] for r in done]) * 1000, "ms"),
        Metric(f"  of which load_scenarios, {result['files']} files (median)",
               median([r["load_s"] for r in done]) * 1000, "ms"),
        Metric("  of which no_call windows (Σ for_seconds)", worst["no_call_windows_s"], "s"),
        Metric("  of which wait_for_delivery + wait_for_call (median)",
               median([sum(r["by_action_s"].get(a, 0.0) for a in waits) for r in done]), "s"),
        Metric("  wall time − no_call windows (median)",
               median([r["total_s"] - r["no_call_windows_s"] for r in done]), "s",
               PACK_WORK_SECONDS),
        Metric("  teardown: stop partner + emulator (median, not in the total)",
               median([r["teardown_s"] for r in done]) * 1000, "ms"),
        Metric("conformance pack scenarios passed (worst run)", worst["passed"], "count",
               result["files"], better="higher"),
    ]
