"""The pytest plugin as a partner meets it: inner pytest sessions in subprocesses, so the plugin
is loaded through its ``pytest11`` entry point exactly as after ``pip install pay1st-mock``.

Each inner session costs a Python start-up; the tests keep their number small.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import requests

from pay1st_mock.server import MockServer

pytest_plugins = ["pytester"]

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "ci_demo"
EXAMPLE_TESTS = 11
# Unrelated plugins installed on this machine (hypothesis, faker, benchmark) add ~1.5 s to every
# inner start-up, and pytest-benchmark warns under xdist; the pay1st-mock plugin stays on.
QUIET = ("-p", "no:cacheprovider", "-p", "no:benchmark", "-p", "no:hypothesispytest",
         "-p", "no:faker")
INNER_TIMEOUT = 60


@pytest.fixture(autouse=True)
def _plugins_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inner sessions load plugins from entry points, as a user's do."""
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.delenv("PYTEST_PLUGINS", raising=False)


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*QUIET, *args, timeout=INNER_TIMEOUT)


def _printed(result: pytest.RunResult, name: str) -> list[str]:
    """Values the inner tests printed as ``NAME=value`` (with ``-s``, or in a failure report)."""
    return re.findall(rf"\b{name}=([\w-]+)", result.stdout.str())


def _control(url: str, path: str) -> requests.Response:
    with requests.Session() as http:
        http.trust_env = False
        return http.get(url + path, timeout=10)


# -- (a) one partner per test -------------------------------------------------------------------

ISOLATION = '''
import json
import os
import time
from pathlib import Path

import pytest
import requests

SHARED = "order-shared-1"
RENDEZVOUS = Path(__file__).with_name("rendezvous")


def meet(name, phase, data):
    """Publish ``data`` for the other test and wait (with a deadline) for what it published."""
    RENDEZVOUS.mkdir(exist_ok=True)
    mine = RENDEZVOUS / f"{phase}-{name}.json"
    mine.with_suffix(".tmp").write_text(json.dumps(data))
    os.replace(mine.with_suffix(".tmp"), mine)
    theirs = RENDEZVOUS / f"{phase}-{'two' if name == 'one' else 'one'}.json"
    deadline = time.monotonic() + 30
    while not theirs.exists():
        assert time.monotonic() < deadline, f"the other test never reached {phase}"
        time.sleep(0.01)
    return json.loads(theirs.read_text())


@pytest.mark.parametrize("name", ["one", "two"])
def test_partner(pay1st_partner, pay1st_url, name):
    mine = pay1st_partner.create_payment(partnerReference=SHARED)
    theirs = meet(name, "created", {"reference": mine["reference"],
                                    "partnerId": pay1st_partner.partner_id})
    assert theirs["partnerId"] != pay1st_partner.partner_id
    assert theirs["reference"] != mine["reference"]

    # The other test's payment exists right now, with the same partnerReference ...
    other = requests.get(f"{pay1st_url}/_mock/payments/{theirs['reference']}", timeout=10)
    assert other.status_code == 200, other.text
    assert other.json()["partnerReference"] == SHARED
    # ... but this test's partner cannot see it, only its own.
    hidden = pay1st_partner.get("/api/pay1st/payments", reference=theirs["reference"])
    assert hidden.status_code == 404, hidden.text
    own = pay1st_partner.get("/api/pay1st/payments", reference=mine["reference"])
    assert own.status_code == 200, own.text
    meet(name, "checked", {})  # neither resets its partner before both have looked
'''


def test_each_test_gets_its_own_partner(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_isolation=ISOLATION)
    # Two xdist workers run the two tests at the same time against one server, so each test's
    # payment still exists while the other looks for it (sequential tests would only show that
    # the teardown reset deleted it).
    with MockServer() as outer:
        result = _run(pytester, "-n", "2", "--pay1st-mock-url", outer.url)
        result.assert_outcomes(passed=2)
        partners = _control(outer.url, "/_mock/partners").json()["partners"]
    created = [p for p in partners if p["origin"] == "api"]
    assert len(created) == 2, partners


# -- (b) the journal through the fixture ------------------------------------------------------

BAD_SIGNATURE = '''
import json


def test_badly_signed_create_is_explained(pay1st_partner):
    body = json.dumps({"countryCode": "NG", "currencyCode": "NGN", "amount": 100,
                       "partnerReference": "order-7",
                       "products": [{"title": "Gems", "sku": "G-1", "price": 100,
                                     "quantity": 1}]}).encode()
    headers = pay1st_partner.signed_headers(body)
    headers["X-SIGNATURE"] = "0" * 64
    response = pay1st_partner.http.post(pay1st_partner.base_url + "/api/pay1st/payments/create",
                                        data=body, headers=headers, timeout=10)
    assert response.status_code == 400, response.text

    entry = pay1st_partner.journal()[0]  # newest first; the login comes before
    assert entry["path"] == "/api/pay1st/payments/create"
    assert entry["partnerId"] == pay1st_partner.partner_id
    [finding] = [f for f in entry["findings"] if f["kind"] == "signature"]
    assert finding["expected"].startswith(headers["X-TIMESTAMP"])
    assert finding["expected"] == headers["X-TIMESTAMP"] + body.decode()
'''


def test_journal_shows_a_bad_signature_with_the_expected_string(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_signature=BAD_SIGNATURE)
    _run(pytester).assert_outcomes(passed=1)


# -- (c) a readable timeout ---------------------------------------------------------------------

NO_WEBHOOK = '''
def test_nothing_is_delivered(pay1st_partner):
    reference = pay1st_partner.create_payment()["reference"]
    print(f"NOTHING={reference}")
    pay1st_partner.wait_for_delivery(reference, timeout=0.5)


def test_delivery_skipped_without_url(pay1st_partner):
    reference = pay1st_partner.create_payment()["reference"]
    pay1st_partner.complete(reference, outcome="success")
    print(f"SKIPPED={reference}")
    pay1st_partner.wait_for_delivery(reference, timeout=0.5)
'''


def test_wait_for_delivery_fails_with_a_readable_message(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_wait=NO_WEBHOOK)
    result = _run(pytester)
    result.assert_outcomes(failed=2)
    [nothing], [skipped] = _printed(result, "NOTHING"), _printed(result, "SKIPPED")
    result.stdout.fnmatch_lines([
        f"E * no webhook delivery for {nothing} reached DELIVERED within 0.5 s; "
        "seen: no delivery at all",
    ])
    result.stdout.fnmatch_lines([
        f"E * no webhook delivery for {skipped} reached DELIVERED within 0.5 s; "
        "seen: #* SKIPPED after 0 attempt(s) (no webhook URL: set webhookUrl *)",
    ])


# -- (d) overriding pay1st_settings ---------------------------------------------------------------

SETTINGS_CONFTEST = '''
import pytest

from pay1st_mock.config import settings_from_mapping


@pytest.fixture(scope="session")
def pay1st_settings():
    return settings_from_mapping({
        "version": 1,
        "server": {"data": ":memory:"},
        "gateway": {"strict_amounts": True},
        "partners": [{"id": 7, "code": "ACME", "api_key": "acme-api-key",
                      "api_secret": "acme-api-secret", "signing_key": "acme-signing-key"}],
    })
'''

SETTINGS_TESTS = '''
import requests

from pay1st_mock.client import PartnerClient


def test_configured_partner_exists(pay1st_url, pay1st_settings):
    assert [p.code for p in pay1st_settings.partners] == ["ACME"]
    partners = requests.get(f"{pay1st_url}/_mock/partners", timeout=10).json()["partners"]
    acme = next(p for p in partners if p["code"] == "ACME")
    assert (acme["partnerId"], acme["apiKey"]) == (7, "acme-api-key")
    client = PartnerClient(pay1st_url, acme)
    assert client.create_payment()["status"] == "NEW"


def test_configured_rules_apply_to_fresh_partners(pay1st_partner):
    response = pay1st_partner.post("/api/pay1st/payments/create", {
        "countryCode": "NG", "currencyCode": "NGN", "amount": 150, "partnerReference": "o-1",
        "products": [{"title": "Gems", "sku": "G-1", "price": 100, "quantity": 1}]})
    assert response.status_code == 400, response.text
    assert response.json()["errorCode"] == "AMOUNT_MISMATCH"
'''


def test_overriding_pay1st_settings_takes_effect(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SETTINGS_CONFTEST)
    pytester.makepyfile(test_settings=SETTINGS_TESTS)
    _run(pytester).assert_outcomes(passed=2)


# -- (e) a server started elsewhere ---------------------------------------------------------------

REMOTE = '''
import requests

from pay1st_mock.server import MockServer

OUTER = "{url}"


def test_uses_the_outer_server(pay1st_server, pay1st_url, pay1st_partner):
    assert pay1st_url == OUTER
    assert not isinstance(pay1st_server, MockServer)
    reference = pay1st_partner.create_payment()["reference"]
    seen = requests.get(f"{{OUTER}}/_mock/payments/{{reference}}", timeout=10)
    assert seen.status_code == 200, seen.text
    print(f"PARTNER={{pay1st_partner.partner_id}}")
    print(f"REFERENCE={{reference}}")
'''


@pytest.mark.parametrize("how", ["option", "ini"])
def test_mock_url_points_the_fixtures_at_an_outer_server(pytester: pytest.Pytester,
                                                         how: str) -> None:
    with MockServer() as outer:
        pytester.makepyfile(test_remote=REMOTE.format(url=outer.url))
        if how == "ini":
            pytester.makeini(f"[pytest]\npay1st_mock_url = {outer.url}/\n")
            result = _run(pytester, "-s")
        else:
            result = _run(pytester, "-s", "--pay1st-mock-url", outer.url)
        result.assert_outcomes(passed=1)
        [partner_id], [reference] = _printed(result, "PARTNER"), _printed(result, "REFERENCE")

        assert outer.services.partners.get(int(partner_id)).origin == "api"
        journal = outer.services.journal.search()
        assert journal == [], "the fixture's reset should have cleaned the partner's journal"
        # The payment was made on the outer server; the fixture's teardown reset forgot it there.
        assert _control(outer.url, f"/_mock/payments/{reference}").status_code == 404


# -- (f) seeds ------------------------------------------------------------------------------------

FIRST_REFERENCE = '''
def test_first_reference(pay1st_partner):
    print("FIRST=" + pay1st_partner.create_payment()["reference"])
'''


def test_seed_makes_the_first_reference_repeatable(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_seed=FIRST_REFERENCE)

    def first_reference(*args: str) -> str:
        result = _run(pytester, "-s", *args)
        result.assert_outcomes(passed=1)
        [reference] = _printed(result, "FIRST")
        return reference

    five = first_reference("--pay1st-mock-seed", "5")
    assert first_reference("--pay1st-mock-seed", "5") == five
    assert first_reference("--pay1st-mock-seed", "6") != five
    pytester.makeini("[pytest]\npay1st_mock_seed = 5\n")
    assert first_reference() == five


# -- (g) a clean session, and server bugs surface -------------------------------------------------

ALL_FIXTURES = '''
import requests

from pay1st_mock.config import Settings
from pay1st_mock.server import MockServer


def test_settings(pay1st_settings):
    assert isinstance(pay1st_settings, Settings)
    assert pay1st_settings.data == ":memory:"


def test_server_and_url(pay1st_server, pay1st_url):
    assert isinstance(pay1st_server, MockServer)
    assert pay1st_url == pay1st_server.url
    assert requests.get(f"{pay1st_url}/_mock/health", timeout=10).json()["status"] == "ok"


def test_partner(pay1st_partner):
    reference = pay1st_partner.create_payment()["reference"]
    assert pay1st_partner.complete(reference)["status"] == "SUCCESSFUL"


def test_another_partner(pay1st_partner):
    assert pay1st_partner.journal() == []
    assert pay1st_partner.deliveries() == []
'''


def test_a_passing_session_is_clean(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_fixtures=ALL_FIXTURES)
    # -W error: any warning (an unclosed socket of the fixtures, say) would fail the session.
    result = _run(pytester, "-W", "error")
    result.assert_outcomes(passed=4)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["plugins:*pay1st-mock-*"])  # loaded via its entry point
    result.stdout.no_fnmatch_line("*error*")
    result.stdout.no_fnmatch_line("*warning*")


PROXIED = '''
def test_partner_behind_a_ci_proxy(pay1st_partner):
    reference = pay1st_partner.create_payment()["reference"]
    assert pay1st_partner.complete(reference)["status"] == "SUCCESSFUL"
    assert pay1st_partner.journal(reference)
'''


def test_a_proxy_in_the_ci_environment_is_not_used_for_the_emulator(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    # Many CI runners export a proxy for the internet; the emulator on 127.0.0.1 must not go
    # through it (PartnerClient's own session sets trust_env = False for this reason).
    dead_proxy = "http://127.0.0.1:9"
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, dead_proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_proxied=PROXIED)
    _run(pytester).assert_outcomes(passed=1)


SERVER_BUG = '''
def test_server_bug(pay1st_server, pay1st_partner, monkeypatch):
    def broken(*_):
        raise LookupError("planted in api_groups")

    monkeypatch.setattr(pay1st_server.services.catalogue, "api_groups", broken)
    response = pay1st_partner.get("/api/pay1st/payments/methods", countryCode="NG")
    assert response.status_code == 500
'''


def test_a_server_side_exception_fails_the_session(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_bug=SERVER_BUG)
    result = _run(pytester)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_server_bug*",
                                 "*LookupError: planted in api_groups*"])


# -- the demo suite under pytest-xdist ------------------------------------------------------------

def test_ci_demo_passes_under_xdist_twice_in_a_row(pytester: pytest.Pytester) -> None:
    shutil.copytree(EXAMPLE, pytester.path, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    for run in (1, 2):
        result = _run(pytester, "-n", "4")
        assert result.ret == pytest.ExitCode.OK, f"run {run}:\n{result.stdout.str()}"
        result.assert_outcomes(passed=EXAMPLE_TESTS)
