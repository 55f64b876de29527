"""Fixtures for grading the reference partner (``examples/reference_partner``) with the pack."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from pay1st_mock.config import Settings, settings_from_mapping
from pay1st_mock.runner.engine import Engine
from pay1st_mock.runner.events import RunFinished
from pay1st_mock.runner.model import load_scenarios
from pay1st_mock.runner.session import run_scenarios
from pay1st_mock.runner.target import build_target, with_partner_url
from pay1st_mock.server import MockServer

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "scenarios"
sys.path.insert(0, str(ROOT / "examples"))  # the reference partner is an example, not a package

from reference_partner.server import PartnerServer  # noqa: E402
from reference_partner.settings import PartnerSettings  # noqa: E402

# Short limits so the slow-partner bugs show in about a second, not ten. The reference partner's
# suspended player is banned-1 (as the Node partner's).
LIMITS: dict[str, Any] = {
    "version": 1, "server": {"data": ":memory:"},
    "webhooks": {"timeout_seconds": 1, "retry_delays_seconds": [60]},
    "shop": {"user_info_timeout_seconds": 1},
    "run": {"suspended_player_id": "banned-1"},
}
SLOW_SECONDS = 1.5
# How long a run against a buggy partner waits for its fulfilment: a bug that never fulfils is
# shown in 2 s instead of the default 30 s ([run] partner_action_seconds).
BUGGY_PARTNER_ACTION_SECONDS = 2

Grade = Callable[..., RunFinished]


@pytest.fixture
def grade() -> Iterator[Grade]:
    """``grade(paths, bugs=(), seed=7, slow_seconds=SLOW_SECONDS, run=None)``: run scenario
    files against a fresh reference partner (with the given deliberate bugs) and a fresh
    emulator; return the ``RunFinished`` event. ``run`` is merged over the ``[run]`` table; with
    bugs on, ``partner_action_seconds`` is ``BUGGY_PARTNER_ACTION_SECONDS`` unless given. The
    emulators stay up until the test ends; ``emulator_urls`` lists them, last run last."""
    started: list[tuple[PartnerServer, MockServer]] = []
    emulator_urls: list[str] = []

    def run(paths: Sequence[str | Path] = (PACK,), bugs: Sequence[str] = (), seed: int = 7,
            slow_seconds: float = SLOW_SECONDS,
            run: Mapping[str, Any] | None = None) -> RunFinished:
        partner = PartnerServer(PartnerSettings(bugs=frozenset(bugs),
                                                slow_seconds=slow_seconds)).start()
        quick = {"partner_action_seconds": BUGGY_PARTNER_ACTION_SECONDS} if bugs else {}
        settings = settings_for(partner.url, {**quick, **(run or {})})
        mock = MockServer(settings).start()
        started.append((partner, mock))
        emulator_urls.append(mock.url)
        partner.settings.pay1st_url = mock.url
        engine = Engine(build_target(settings), mock.url, seed=seed)
        return run_scenarios(engine, load_scenarios(paths), [])

    run.emulator_urls = emulator_urls  # type: ignore[attr-defined]
    yield run
    for partner, mock in started:
        partner.stop()
        mock.stop()


def settings_for(partner_url: str, run: Mapping[str, Any] | None = None) -> Settings:
    """The emulator settings the ``grade`` fixture uses, for tests that start their own;
    ``run`` is merged over the ``[run]`` table (a None value removes the key)."""
    table = {key: value for key, value in {**LIMITS["run"], **(run or {})}.items()
             if value is not None}
    limits = {**LIMITS, "run": table}
    return with_partner_url(settings_from_mapping(limits, "<limits>"), partner_url)
