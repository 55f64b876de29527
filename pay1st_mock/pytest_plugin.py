"""pytest fixtures for testing a Pay1st integration against pay1st-mock.

Installed packages register this through the ``pytest11`` entry point; nothing else is needed::

    def test_checkout(pay1st_partner):
        payment = pay1st_partner.create_payment(amount=100)
        pay1st_partner.complete(payment["reference"], outcome="success")
        assert pay1st_partner.wait_for_delivery(payment["reference"])  # your webhook got it

Fixtures (all ``pay1st_``): ``pay1st_settings`` (session; override it in your conftest.py to
add partners or products), ``pay1st_server`` (session; one emulator per test process, so
pytest-xdist workers each get their own), ``pay1st_url``, ``pay1st_partner`` (per test: a
fresh partner with its own credentials on the shared server, so tests never see each other's
payments and need no global reset), and ``pay1st_scenario`` (per test: run scenario files
against your app as that partner; a failed scenario fails the test with the runner's report).
``pay1st_partner.advance_clock`` moves the clock of the whole server: tests that use it should
not run alongside time-sensitive tests in one process.

``pay1st_webhook_listener`` (per test) stands in for your webhook endpoint: a
``pay1st_mock.listener.WebhookListener`` on 127.0.0.1:<free port> that records every request.
Point a payment's ``webhookUrl`` at ``f"{pay1st_webhook_listener.url}/any/path"``; then
``pay1st_webhook_listener.wait_for(2)`` returns the first two webhooks (``.json()``,
``.headers``, the raw ``.body`` to check the signature) or fails naming what did arrive, and
``pay1st_webhook_listener.answer_with([500])`` makes it fail the next delivery attempt.

Options: ``--pay1st-mock-url URL`` (or ini ``pay1st_mock_url``) uses an emulator you started
yourself; ``--pay1st-mock-seed N`` (or ini ``pay1st_mock_seed``) seeds the in-process one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # the emulator is imported only when a fixture is used
    from pathlib import Path

    from pay1st_mock.client import PartnerClient
    from pay1st_mock.config import Settings
    from pay1st_mock.listener import WebhookListener
    from pay1st_mock.runner.events import RunFinished


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


@pytest.fixture
def pay1st_webhook_listener() -> Iterator[WebhookListener]:
    """A webhook endpoint for this test alone that records what it receives."""
    from pay1st_mock.listener import WebhookListener

    with WebhookListener() as listener:
        yield listener


@pytest.fixture
def pay1st_scenario(pay1st_url: str, pay1st_settings: Settings,
                    pay1st_partner: PartnerClient) -> ScenarioRunner:
    """Run scenario files against your app as this test's ``pay1st_partner``::

        def test_integration(my_app, pay1st_scenario):
            pay1st_scenario("scenarios/gateway", partner_url=my_app.url)
    """
    return ScenarioRunner(pay1st_url, pay1st_settings, pay1st_partner)


class ScenarioRunner:
    """Runs scenarios as one partner; ``__call__`` fails the test with the runner's report."""

    def __init__(self, url: str, settings: Settings, partner: PartnerClient) -> None:
        self.url, self.settings, self.partner = url, settings, partner

    def __call__(self, *paths: str | Path, partner_url: str | None = None,
                 hooks_url: str | None = None, player_id: str | None = None,
                 pattern: str | None = None, seed: int | None = None) -> RunFinished:
        """Run the scenario files (or folders) ``paths`` against the app at ``partner_url``
        (its endpoints at the README's default paths); return the result if all pass.

        The partner's webhook URL on the emulator is pointed at the app first. Your app must
        use this partner's credentials (``pay1st_partner.api_key`` ...).
        """
        __tracebackhide__ = True
        import io

        from pay1st_mock.config import PartnerConfig
        from pay1st_mock.runner.engine import Engine
        from pay1st_mock.runner.model import ScenarioFileError, load_scenarios
        from pay1st_mock.runner.reporters.console import ConsoleReporter
        from pay1st_mock.runner.session import run_scenarios
        from pay1st_mock.runner.target import build_target, settings_for_partner, with_partner_url

        client = self.partner
        partner = PartnerConfig(id=client.partner_id, code=client.code, name=client.code,
                                api_key=client.api_key, api_secret=client.api_secret,
                                signing_key=client.signing_key)
        run = {k: v for k, v in (("hooks_url", hooks_url), ("player_id", player_id)) if v}
        settings = with_partner_url(settings_for_partner(self.settings, partner, run),
                                    partner_url)
        try:
            scenarios = [s for s in load_scenarios(paths) if s.matches(pattern)]
            target = build_target(settings)
        except (ScenarioFileError, ValueError) as exc:
            problem = str(exc)  # failed outside the except: no "during handling" chain
        else:
            problem = ""
        if problem:
            pytest.fail(f"pay1st-mock: {problem}", pytrace=False)
        if not scenarios:
            pytest.fail(f"pay1st-mock: no scenario in {paths} matches -k {pattern!r}",
                        pytrace=False)
        client.set_webhook_url(target.partner.webhook_url)
        report = io.StringIO()
        result = run_scenarios(Engine(target, self.url, seed=seed), scenarios,
                               [ConsoleReporter(report)])
        if result.failed:
            pytest.fail(report.getvalue(), pytrace=False)
        return result


class _Remote:
    """An emulator started outside this process."""

    def __init__(self, url: str) -> None:
        self.url = url
