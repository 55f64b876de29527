"""Fixtures of the real-browser checkout tests.

One Chromium (Debian's, never a downloaded build) serves the whole session; every test gets a
fresh context, so cookies and cache never leak between tests. A test that fails while using the
``page`` fixture leaves a screenshot in ``test-artifacts/<test name>.png``.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from pay1st_mock.listener import WebhookListener

CHROMIUM = "/usr/bin/chromium"
# The machine has no network: without the background-networking flags Chromium's own
# connections (updates, sync, safe browsing) fail noisily.
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = "test-artifacts"
TIMEOUT_MS = 10_000


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "context(**options): options for the browser context of the page fixture, "
                   "e.g. java_script_enabled=False")


def artifacts_dir(config: pytest.Config) -> Path:
    """``test-artifacts/`` at the project root (git-ignored), created on demand."""
    path = config.rootpath / ARTIFACTS
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One headless Chromium for the whole session."""
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def context(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    """A fresh browser context; ``@pytest.mark.context(...)`` passes options to it."""
    marker = request.node.get_closest_marker("context")
    fresh = browser.new_context(**(marker.kwargs if marker else {}))
    fresh.set_default_timeout(TIMEOUT_MS)
    fresh.set_default_navigation_timeout(TIMEOUT_MS)
    yield fresh
    fresh.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def listener() -> Iterator[WebhookListener]:
    """A partner backend on a real port: webhooks and the browser's callbacks land here."""
    partner_backend = WebhookListener().start()
    yield partner_backend
    partner_backend.stop()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    return artifacts_dir(request.config)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
        item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, None, None]:
    """On failure of a test using ``page``, save what the browser shows."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if not report.failed or report.when == "teardown":
        return
    page = getattr(item, "funcargs", {}).get("page")
    if not isinstance(page, Page) or page.is_closed():
        return
    name = re.sub(r"[^\w.\[\]-]+", "_", item.name)
    path = artifacts_dir(item.config) / f"{name}.png"
    try:
        page.screenshot(path=str(path), full_page=True)
    except Exception as exc:  # never hide the real failure behind a screenshot problem
        report.sections.append(("screenshot", f"could not save {path}: {exc}"))
    else:
        report.sections.append(("screenshot", f"{path} (page was at {page.url})"))
