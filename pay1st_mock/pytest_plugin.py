"""pytest fixtures for testing a Pay1st integration against pay1st-mock.

Installed packages register this through the ``pytest11`` entry point; nothing else is needed::

    def test_checkout(pay1st_partner):
        payment = pay1st_partner.create_payment(amount=100)
        pay1st_partner.complete(payment["reference"], outcome="success")
        assert pay1st_partner.wait_for_delivery(payment["reference"])  # your webhook got it

Fixtures (all ``pay1st_``): ``pay1st_settings`` (session; override it in your conftest.py to
add partners or products), ``pay1st_server`` (session; one emulator per test process, so
pytest-xdist workers each get their own), ``pay1st_url``, and ``pay1st_partner`` (per test: a
fresh partner with its own credentials on the shared server, so tests never see each other's
payments and need no global reset). ``pay1st_partner.advance_clock`` moves the clock of the
whole server: tests that use it should not run alongside time-sensitive tests in one process.

Options: ``--pay1st-mock-url URL`` (or ini ``pay1st_mock_url``) uses an emulator you started
yourself; ``--pay1st-mock-seed N`` (or ini ``pay1st_mock_seed``) seeds the in-process one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # the emulator is imported only when a fixture is used
    from pay1st_mock.client import PartnerClient
    from pay1st_mock.config import Settings


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--pay1st-mock-url``, ``--pay1st-mock-seed`` and their ini twins."""
    group = parser.getgroup("pay1st-mock", "Pay1st emulator (pay1st-mock)")
    group.addoption("--pay1st-mock-url", default=None,
                    help="use the pay1st-mock server at this URL instead of starting one")
    group.addoption("--pay1st-mock-seed", type=int, default=None,
                    help="seed of the in-process pay1st-mock (references, tokens)")
    parser.addini("pay1st_mock_url", "URL of a running pay1st-mock to use", default="")
    parser.addini("pay1st_mock_seed", "seed of the in-process pay1st-mock", default="")


def _option(config: pytest.Config, name: str) -> str | None:
    value = config.getoption(f"--pay1st-mock-{name}")
    if value is None:
        value = config.getini(f"pay1st_mock_{name}") or None
    return None if value is None else str(value)


@pytest.fixture(scope="session")
def pay1st_settings(pytestconfig: pytest.Config) -> Settings:
    """Settings of the in-process emulator: in memory, seeded by the options. Override me."""
    from pay1st_mock.config import MEMORY, Settings

    seed = _option(pytestconfig, "seed")
    return Settings(data=MEMORY, seed=int(seed) if seed else None)


@pytest.fixture(scope="session")
def pay1st_server(pytestconfig: pytest.Config, pay1st_settings: Settings) -> Iterator[Any]:
    """The emulator for this test session: started here, or the one at ``--pay1st-mock-url``.

    It has a ``url``; an in-process one is a ``MockServer`` (``services`` gives the store).
    """
    url = _option(pytestconfig, "url")
    if url:
        yield _Remote(url.rstrip("/"))
        return
    from pay1st_mock.server import MockServer

    server = MockServer(pay1st_settings).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pay1st_url(pay1st_server: Any) -> str:
    """The emulator's base URL, e.g. ``http://127.0.0.1:54321``."""
    return str(pay1st_server.url)


@pytest.fixture
def pay1st_partner(pay1st_url: str) -> Iterator[PartnerClient]:
    """A fresh partner for this test alone, with helpers (see ``PartnerClient``)."""
    from pay1st_mock.client import PartnerClient

    partner = PartnerClient.create(pay1st_url)
    try:
        yield partner
    finally:
        partner.reset()


class _Remote:
    """An emulator started outside this process."""

    def __init__(self, url: str) -> None:
        self.url = url
