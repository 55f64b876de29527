"""``isoformat``: how every moment the API answers is written (ISO-8601, UTC, milliseconds,
``Z``), whatever the epoch's fraction."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from pay1st_mock.clock import isoformat


def _by_fields(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def test_known_moments() -> None:
    assert isoformat(0) == "1970-01-01T00:00:00.000Z"
    assert isoformat(1_764_000_000.5) == "2025-11-24T16:00:00.500Z"
    assert isoformat(1_764_000_000.9999) == "2025-11-24T16:00:00.999Z"  # truncated, not rounded


@given(st.floats(min_value=0, max_value=253_402_300_799, allow_nan=False))
def test_every_moment_reads_as_its_fields(epoch: float) -> None:
    text = isoformat(epoch)
    assert text == _by_fields(epoch)
    assert len(text) == 24 and text.endswith("Z")
