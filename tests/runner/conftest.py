"""Fixtures for grading the reference partner (``examples/reference_partner``) with the pack."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

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

# Short limits so the slow-partner bugs show in about a second, not ten.
LIMITS = {"version": 1, "server": {"data": ":memory:"},
          "webhooks": {"timeout_seconds": 1, "retry_delays_seconds": [60]},
          "shop": {"user_info_timeout_seconds": 1}}
SLOW_SECONDS = 1.5

Grade = Callable[..., RunFinished]


@pytest.fixture
def grade() -> Iterator[Grade]:
    """``grade(paths, bugs=())``: run scenario files against a fresh reference partner (with
    the given deliberate bugs) and a fresh emulator; return the ``RunFinished`` event."""
    started: list[tuple[PartnerServer, MockServer]] = []

    def run(paths: Sequence[str | Path] = (PACK,), bugs: Sequence[str] = (),
            seed: int = 7) -> RunFinished:
        partner = PartnerServer(PartnerSettings(bugs=frozenset(bugs),
                                                slow_seconds=SLOW_SECONDS)).start()
        settings = with_partner_url(settings_from_mapping(LIMITS, "<limits>"), partner.url)
        mock = MockServer(settings).start()
        started.append((partner, mock))
        partner.settings.pay1st_url = mock.url
        engine = Engine(build_target(settings), mock.url, seed=seed)
        return run_scenarios(engine, load_scenarios(paths), [])

    yield run
    for partner, mock in started:
        partner.stop()
        mock.stop()


def settings_for(partner_url: str) -> Settings:
    """The emulator settings the ``grade`` fixture uses, for tests that start their own."""
    return with_partner_url(settings_from_mapping(LIMITS, "<limits>"), partner_url)
