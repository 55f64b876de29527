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

Whatever imports the package runs in a child interpreter (``python bench/scenarios.py --child
overhead|pack ...``, one JSON line out), as in ``ci.py``, so the benchmark process stays
black-box. The instant partner, the runner and (for the pack) the reference partner and the
``MockServer`` share that child's interpreter, as they do in a test suite.

Diagnosis (not run by run.py)::

    python bench/scenarios.py --profile overhead|pack [--timer cpu|wall] [--top 25]

runs a child under cProfile in every thread and writes
``bench/results/profile-scenarios-<what>-<timer>.prof``.
"""

from __future__ import annotations

import argparse
import io
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import ci  # noqa: E402 — child_env and _profiled; imports nothing from the package
import harness  # noqa: E402
from harness import Context, Metric, median, percentile  # noqa: E402
from rawhttp import Responder  # noqa: E402

# Targets from the issue (2-core machine).
STEP_OVERHEAD_P50_MS = 3.0
PACK_SECONDS = 5.0

PACK = harness.ROOT / "scenarios"
EXAMPLES = harness.ROOT / "examples"
RESULT_MARKER = "SCENARIOS_RESULT="
# Default settings, only the store in memory; ``with_partner_url`` fills the partner's URLs.
CONFIG = {"version": 1, "server": {"data": ":memory:"}}
SEED = 7

STEPS_PER_SCENARIO = 100  # engine.run_scenario asks the emulator's journal once per scenario
PARTNER_KINDS = ("http", "user_info", "payment_webhook", "summary_webhook")
EMULATOR_KINDS = ("create_payment", "complete_payment")
WARMUP_STEPS = 40
# The one shipped schema that the instant partner's ``{}`` satisfies: it is there to time the
# validator on every user_info and summary_webhook step, not to say anything about the answer.
EMPTY_OK_SCHEMA = "control/reset-request.json"


# --------------------------------------------------------------------------- instant partner

_ANSWER = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")


class InstantPartner:
    """HTTP/1.1 on 127.0.0.1:<free port>: ``200 {}`` to any request as soon as it is in.

    One thread per connection, keep-alive (``rawhttp.Responder``); reads the head and a
    ``Content-Length`` body (all the runner sends), nothing else. Runs in the runner's process:
    each request is a GIL hand-off to a thread that was waiting in ``recv``, the same for the
    runner and the bare client.
    """

    def __init__(self) -> None:
        self._server = Responder(self._answer, name="instant-partner", backlog=16)

    @staticmethod
    def _answer(conn: socket.socket, head: bytes, body: bytes) -> None:
        conn.sendall(_ANSWER)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}"

    @property
    def requests(self) -> int:
        return self._server.requests

    @property
    def connections(self) -> int:
        return self._server.connections

    def close(self) -> None:
        self._server.close()


# --------------------------------------------------------------------------- in-memory scenarios


def partner_step(kind: str, number: int) -> dict[str, Any]:
    """One partner-facing step of ``kind`` with the checks a pack step of that kind makes."""
    name = f"{kind} #{number}"
    if kind == "http":
        return {"name": name,
                "http": {"method": "GET",
                         "url": "{{ partner.hooks_url }}/players/{{ partner.player_id }}"},
                "expect": {"status": 200, "body": {}},
                "capture": {"answered": "$.status"}}
    if kind == "user_info":
        return {"name": name,
                "user_info": {"query": {"playerId": "{{ partner.player_id }}",
                                        "productBundleId": "{{ bundle.id }}",
                                        "productBundleExternalId": "{{ bundle.sku }}",
                                        "amount": "{{ bundle.price }}",
                                        "currencyCode": "{{ partner.currency }}",
                                        "countryCode": "{{ partner.country }}",
                                        "quantity": 1}},
                "expect": {"status": 200, "schema": EMPTY_OK_SCHEMA, "body": {},
                           "max_latency_ms": "{{ limits.user_info_timeout_ms }}"}}
    if kind == "payment_webhook":
        return {"name": name,
                "payment_webhook": {"status": "SUCCESSFUL", "signature": "valid"},
                "expect": {"status": "2xx", "body": {},
                           "max_latency_ms": "{{ limits.webhook_timeout_ms }}"}}
    if kind == "summary_webhook":
        return {"name": name,
                "summary_webhook": {"signature": "valid",
                                    "body": {"playerId": "{{ partner.player_id }}"}},
                "expect": {"status": [200, 204], "schema": EMPTY_OK_SCHEMA, "body": {}}}
    raise ValueError(kind)


def partner_scenarios(steps: int, per_scenario: int = STEPS_PER_SCENARIO,
                      prefix: str = "partner") -> list[dict[str, Any]]:
    """Scenario documents with ``steps`` steps in all, the partner-facing kinds in turn."""
    documents = []
    for first in range(0, steps, per_scenario):
        count = min(per_scenario, steps - first)
        documents.append({
            "version": 1, "name": f"{prefix} steps {first}–{first + count - 1}",
            "steps": [partner_step(PARTNER_KINDS[n % len(PARTNER_KINDS)], n)
                      for n in range(first, first + count)]})
    return documents


def emulator_scenarios(pairs: int, per_scenario: int = STEPS_PER_SCENARIO) -> list[dict[str, Any]]:
    """``create_payment`` then ``complete_payment`` of it, ``pairs`` times in all."""
    documents = []
    per_pairs = per_scenario // 2
    for first in range(0, pairs, per_pairs):
        steps = []
        for n in range(first, min(pairs, first + per_pairs)):
            steps += [{"name": f"create #{n}", "create_payment": {},
                       "expect": {"status": [200, 201],
                                  "schema": "gateway/create-payment-response.json"},
                       "capture": {"reference": "$.body.reference"}},
                      {"name": f"complete #{n}",
                       "complete_payment": {"reference": "{{ vars.reference }}",
                                            "outcome": "success"},
                       "expect": {"status": 200, "body": {"status": "SUCCESSFUL"}}}]
        documents.append({"version": 1, "name": f"emulator pairs {first}–", "steps": steps})
    return documents


# --------------------------------------------------------------------------- children


def _emit(result: dict[str, Any]) -> None:
    print(RESULT_MARKER + json.dumps(result), flush=True)


def run_child(args: Sequence[str], timeout: float = 600.0) -> dict[str, Any]:
    """Run ``python bench/scenarios.py --child ARGS`` and return its JSON result."""
    ci.PYCACHE.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([sys.executable, str(BENCH_DIR / "scenarios.py"), "--child", *args],
                          cwd=harness.ROOT, env=ci.child_env(), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            result: dict[str, Any] = json.loads(line[len(RESULT_MARKER):])
            return result
    raise RuntimeError(f"child {' '.join(args)} exited with {proc.returncode} and no result; "
                       f"stderr:\n{proc.stderr[-3000:]}")


def _step_durations(finished: Any) -> list[tuple[str, float, Any]]:
    """(action, ms, last observation) of every step a ``RunFinished`` ran."""
    return [(step.step.action, step.duration_ms,
             step.observations[-1] if step.observations else None)
            for result in finished.results for step in result.steps]


def _failures(finished: Any) -> list[str]:
    return [f"{r.scenario.file} :: {r.scenario.name}: {'; '.join(r.messages())[:500]}"
            for r in finished.results if r.outcome != "passed"]


def _bare_replay(session: Any, observations: Sequence[Any]) -> list[float]:
    """Each step's request again, over a plain ``requests.Session``: the round trip's ms."""
    perf = time.perf_counter
    times = []
    for observation in observations:
        exchange = observation.exchange
        headers = {k: v for k, v in exchange.request_headers.items()
                   if k.lower() == "content-type" or k.lower().startswith("x-")}
        data = exchange.request_body.encode() if exchange.request_body else None
        t0 = perf()
        response = session.request(exchange.method, exchange.url, headers=headers, data=data)
        response.content  # noqa: B018 — read the whole answer, as the runner does
        times.append((perf() - t0) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"bare {exchange.method} {exchange.url}: {response.status_code}")
    return times


def child_overhead(url: str, steps: int, pairs: int, chunks: int,
                   profile: str | None, timer: str) -> dict[str, Any]:
    """Partner-facing steps against an instant partner, each chunk followed by a bare replay of
    its requests; then emulator-facing steps against the emulator at ``url``."""
    import requests

    from pay1st_mock.config import settings_from_mapping
    from pay1st_mock.runner.engine import Engine
    from pay1st_mock.runner.http import new_session
    from pay1st_mock.runner.model import parse_scenario
    from pay1st_mock.runner.session import run_scenarios
    from pay1st_mock.runner.target import build_target, with_partner_url

    partner = InstantPartner()
    perf = time.perf_counter
    try:
        settings = with_partner_url(settings_from_mapping(CONFIG, "<bench>"), partner.url)
        engine = Engine(build_target(settings), url, seed=SEED)
        bare_session = new_session()  # trust_env off as the runner's: no proxy/.netrc lookups
        assert isinstance(bare_session, requests.Session)

        def parsed(documents: list[dict[str, Any]], source: str) -> list[Any]:
            return [parse_scenario(d, f"<bench {source} {i}>") for i, d in enumerate(documents)]

        # Warm-up, untimed: the first of each kind (validators built, signing keys, imports).
        warm = run_scenarios(engine, parsed(partner_scenarios(WARMUP_STEPS, prefix="warm-up"),
                                            "warm-up"), [])
        if warm.failed:
            raise RuntimeError("warm-up failed: " + " | ".join(_failures(warm)))
        _bare_replay(bare_session, [o for _, _, o in _step_durations(warm) if o])

        per_chunk = -(-steps // chunks)
        step_rows: list[tuple[str, float]] = []
        bare_ms: list[float] = []
        wall_s = parse_s = 0.0
        total_steps = 0
        with ci._profiled(profile, timer):
            for chunk in range(chunks):
                count = min(per_chunk, steps - chunk * per_chunk)
                if count <= 0:
                    break
                documents = partner_scenarios(count, prefix=f"chunk {chunk}")
                t0 = perf()
                scenarios = parsed(documents, "partner")
                parse_s += perf() - t0
                t0 = perf()
                finished = run_scenarios(engine, scenarios, [])
                wall_s += perf() - t0
                if finished.failed:
                    raise RuntimeError("partner steps failed: " + " | ".join(_failures(finished)))
                rows = _step_durations(finished)
                total_steps += len(rows)
                step_rows += [(action, ms) for action, ms, _ in rows]
                if not profile:
                    bare_ms += _bare_replay(bare_session, [o for _, _, o in rows])

            emulator_scenarios_ = parsed(emulator_scenarios(pairs), "emulator")
            t0 = perf()
            finished = run_scenarios(engine, emulator_scenarios_, [])
            emulator_wall_s = perf() - t0
        if finished.failed:
            raise RuntimeError("emulator steps failed: " + " | ".join(_failures(finished)))
        emulator_rows = [(action, ms) for action, ms, _ in _step_durations(finished)]
        return {"steps": total_steps, "chunks": chunks, "partner_wall_s": wall_s,
                "parse_s": parse_s,
                "step_actions": [a for a, _ in step_rows], "step_ms": [m for _, m in step_rows],
                "bare_ms": bare_ms, "emulator_wall_s": emulator_wall_s,
                "emulator_actions": [a for a, _ in emulator_rows],
                "emulator_ms": [m for _, m in emulator_rows],
                "instant_partner": {"requests": partner.requests,
                                    "connections": partner.connections}}
    finally:
        partner.close()


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
                        "failures": _failures(finished)})
    return {"runs": out, "files": len(list(PACK.rglob("*.json"))),
            "leftover_threads": [t.name for t in threading.enumerate()
                                 if t is not threading.main_thread()]}


def child_main(args: argparse.Namespace) -> int:
    if args.child == "overhead":
        _emit(child_overhead(args.url, args.steps, args.pairs, args.chunks, args.profile_out,
                             args.timer))
    else:
        _emit(child_pack(args.runs, args.profile_out, args.timer))
    return 0


# --------------------------------------------------------------------------- benchmarks


def _overhead_args(quick: bool, url: str) -> list[str]:
    steps, pairs, chunks = (500, 50, 2) if quick else (2000, 200, 4)
    return ["overhead", "--url", url, "--steps", str(steps), "--pairs", str(pairs),
            "--chunks", str(chunks)]


def runner_overhead(ctx: Context) -> list[Metric]:
    """Runner time per step against an instant partner, and minus the bare round trip."""
    result = run_child(_overhead_args(ctx.quick, ctx.server().wait_url()))
    actions, step_ms, bare_ms = result["step_actions"], result["step_ms"], result["bare_ms"]
    if len(bare_ms) != len(step_ms):
        raise RuntimeError(f"{len(step_ms)} steps but {len(bare_ms)} bare round trips")
    overhead = [s - b for s, b in zip(step_ms, bare_ms, strict=True)]
    mean_step = result["partner_wall_s"] * 1000 / result["steps"]
    mean_bare = sum(bare_ms) / len(bare_ms)

    def of(kind: str, values: Sequence[float], names: Sequence[str] = actions) -> list[float]:
        return [v for v, a in zip(values, names, strict=True) if a == kind]

    details: dict[str, Any] = {
        "steps": result["steps"], "chunks": result["chunks"],
        "steps_per_scenario": STEPS_PER_SCENARIO, "instant_partner": result["instant_partner"],
        "partner_wall_s": result["partner_wall_s"], "emulator_wall_s": result["emulator_wall_s"],
        "by_kind_ms": {kind: {"step_p50": percentile(of(kind, step_ms), 50),
                              "step_p99": percentile(of(kind, step_ms), 99),
                              "bare_p50": percentile(of(kind, bare_ms), 50),
                              "overhead_p50": percentile(of(kind, overhead), 50),
                              "count": len(of(kind, step_ms))} for kind in PARTNER_KINDS},
        "emulator_by_kind_ms": {
            kind: {"p50": percentile(of(kind, result["emulator_ms"], result["emulator_actions"]),
                                     50),
                   "p99": percentile(of(kind, result["emulator_ms"], result["emulator_actions"]),
                                     99)} for kind in EMULATOR_KINDS},
    }
    ctx.details["scenarios_runner_overhead"] = details
    metrics = [
        Metric("scenario step vs instant partner (p50)", percentile(step_ms, 50), "ms"),
        Metric("  p99", percentile(step_ms, 99), "ms"),
        Metric("  mean (run_scenarios wall / steps)", mean_step, "ms"),
        Metric("  same request, bare requests.Session (p50)", percentile(bare_ms, 50), "ms"),
        Metric("runner overhead per step (p50 of step − bare)", percentile(overhead, 50), "ms",
               STEP_OVERHEAD_P50_MS),
        Metric("  mean overhead (mean step − mean bare)", mean_step - mean_bare, "ms"),
    ]
    metrics += [Metric(f"  overhead p50: {kind}", details["by_kind_ms"][kind]["overhead_p50"],
                       "ms") for kind in PARTNER_KINDS]
    metrics.append(Metric("  parse_scenario (scenario-schema check), per step",
                          result["parse_s"] * 1000 / result["steps"], "ms"))
    metrics += [Metric(f"emulator-facing step p50: {kind}",
                       details["emulator_by_kind_ms"][kind]["p50"], "ms")
                for kind in EMULATOR_KINDS]
    return metrics


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
        Metric(f"conformance pack wall time (median of {runs})", median(totals), "s",
               PACK_SECONDS),
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
               median([r["total_s"] - r["no_call_windows_s"] for r in done]), "s"),
        Metric("  teardown: stop partner + emulator (median, not in the total)",
               median([r["teardown_s"] for r in done]) * 1000, "ms"),
        Metric("conformance pack scenarios passed (worst run)", worst["passed"], "count",
               result["files"], better="higher"),
    ]


BENCHMARKS = [runner_overhead, conformance_pack]


# --------------------------------------------------------------------------- diagnosis


def print_profile(what: str, timer: str, top: int) -> None:
    import pstats

    out = BENCH_DIR / "results" / f"profile-scenarios-{what}-{timer}.prof"
    out.parent.mkdir(parents=True, exist_ok=True)
    extra = ["--profile-out", str(out), "--timer", timer]
    if what == "overhead":
        with harness.running_server() as server:
            result = run_child([*_overhead_args(False, server.wait_url()), *extra])
        print(f"overhead: {result['steps']} partner-facing steps in "
              f"{result['partner_wall_s']:.2f} s under cProfile ({timer} timer, all threads; read "
              "the shares); parse_scenario and the emulator-facing steps are in the profile too")
    else:
        result = run_child(["pack", "--runs", "1", *extra])
        print(f"pack: {result['runs'][0]['total_s']:.2f} s under cProfile ({timer} timer, all "
              "threads: runner, reference partner, MockServer)")
    buffer = io.StringIO()
    stats = pstats.Stats(str(out), stream=buffer)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    print(buffer.getvalue())
    print(f"stats written to {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=["overhead", "pack"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=2000, help=argparse.SUPPRESS)
    parser.add_argument("--pairs", type=int, default=200, help=argparse.SUPPRESS)
    parser.add_argument("--chunks", type=int, default=4, help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=3, help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    parser.add_argument("--profile", choices=["overhead", "pack"],
                        help="cProfile a child (all threads) and print the top functions")
    parser.add_argument("--timer", choices=["cpu", "wall"], default="cpu",
                        help="--profile: each thread's CPU time (default) or wall clock")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args)
    if not args.profile:
        parser.error("nothing to do: --profile overhead|pack (run.py runs the benchmarks)")
    print_profile(args.profile, args.timer, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
