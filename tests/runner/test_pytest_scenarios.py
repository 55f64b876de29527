"""``pay1st_scenario``: the pytest plugin runs scenario files and fails the test with the report.

An inner pytest session (through the ``pytest11`` entry point, as after ``pip install``) starts
the reference partner configured with the isolated partner's credentials and grades it.
"""

from __future__ import annotations

import pytest

from tests.runner.conftest import PACK, ROOT
from tests.test_pytest_plugin import _plugins_autoload, _run  # noqa: F401 (autouse fixture)

pytest_plugins = ["pytester"]

INNER_TEST = f"""
import sys
import pytest
sys.path.insert(0, {str(ROOT / "examples")!r})
from reference_partner.server import PartnerServer
from reference_partner.settings import PartnerSettings

@pytest.fixture
def partner_app(pay1st_url, pay1st_partner, request):
    bugs = frozenset(getattr(request, "param", ()))
    settings = PartnerSettings(pay1st_url=pay1st_url, api_key=pay1st_partner.api_key,
                               api_secret=pay1st_partner.api_secret,
                               signing_key=pay1st_partner.signing_key, bugs=bugs)
    with PartnerServer(settings) as server:
        yield server

def test_fulfils(partner_app, pay1st_scenario):
    result = pay1st_scenario({str(PACK / "gateway")!r}, partner_url=partner_app.url,
                             pattern="idempotency or happy-path")
    assert result.passed == 3 and result.failed == 0

@pytest.mark.parametrize("partner_app", [["webhook-double-fulfil"]], indirect=True)
def test_double_fulfil_is_caught(partner_app, pay1st_scenario):
    pay1st_scenario({str(PACK / "gateway" / "duplicate-payment-webhook-is-fulfilled-once.json")!r},
                    partner_url=partner_app.url)

def test_a_bad_file_fails_readably(tmp_path, pay1st_scenario):
    bad = tmp_path / "bad.json"
    bad.write_text('{{"version": 1, "name": "x", "steps": [{{"name": "nothing"}}]}}')
    pay1st_scenario(str(bad), partner_url="http://127.0.0.1:9")
"""


def test_pay1st_scenario_passes_and_fails_with_the_runner_report(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_graded=INNER_TEST)
    result = _run(pytester, "-q")
    result.assert_outcomes(passed=1, failed=2)
    output = result.stdout.str()
    assert "the partner called POST /api/pay1st/payments/fulfilments" in output
    assert "expected at most 1" in output
    assert "why it matters: A duplicate webhook must not deliver the goods again" in output
    assert "0 passed, 1 failed" in output
    assert "bad.json: $.steps[0]: expected exactly one action" in output
    assert "During handling" not in output
