"""Runner overhead per step: the child that runs in-memory scenarios against the instant partner
(then replays each request over a bare ``requests.Session``) and emulator-facing pairs against
the shared ``serve`` subprocess, and the ``runner_overhead`` benchmark that reads its result."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import ci  # _profiled; imports nothing from the package
from harness import Context, Metric, percentile

from .child import failure_messages, run_child, step_durations
from .documents import emulator_scenarios, partner_scenarios
from .instant_partner import InstantPartner
from .settings import (
    CONFIG,
    EMULATOR_KINDS,
    PARTNER_KINDS,
    SEED,
    STEP_OVERHEAD_P50_MS,
    STEPS_PER_SCENARIO,
    WARMUP_STEPS,
)


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
            raise RuntimeError("warm-up failed: " + " | ".join(failure_messages(warm)))
        _bare_replay(bare_session, [o for _, _, o in step_durations(warm) if o])

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
                    raise RuntimeError("partner steps failed: "
                                       + " | ".join(failure_messages(finished)))
                rows = step_durations(finished)
                total_steps += len(rows)
                step_rows += [(action, ms) for action, ms, _ in rows]
                if not profile:
                    bare_ms += _bare_replay(bare_session, [o for _, _, o in rows])

            emulator_scenarios_ = parsed(emulator_scenarios(pairs), "emulator")
            t0 = perf()
            finished = run_scenarios(engine, emulator_scenarios_, [])
            emulator_wall_s = perf() - t0
        if finished.failed:
            raise RuntimeError("emulator steps failed: " + " | ".join(failure_messages(finished)))
        emulator_rows = [(action, ms) for action, ms, _ in step_durations(finished)]
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


def overhead_args(quick: bool, url: str) -> list[str]:
    steps, pairs, chunks = (500, 50, 2) if quick else (2000, 200, 4)
    return ["overhead", "--url", url, "--steps", str(steps), "--pairs", str(pairs),
            "--chunks", str(chunks)]


def runner_overhead(ctx: Context) -> list[Metric]:
    """Runner time per step against an instant partner, and minus the bare round trip."""
    result = run_child(overhead_args(ctx.quick, ctx.server().wait_for_url()))
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
