"""A conformance run is go-live evidence: the reference partner's full pack run leaves every item
of both checklists that the emulator can observe done, each with its evidence."""

from __future__ import annotations

import requests
from reference_partner.server import PartnerServer
from reference_partner.settings import PartnerSettings

from pay1st_mock.runner.engine import Engine
from pay1st_mock.runner.model import load_scenarios
from pay1st_mock.runner.session import run_scenarios
from pay1st_mock.runner.target import build_target
from pay1st_mock.server import MockServer
from tests.runner.conftest import PACK, settings_for


def test_the_reference_partners_pack_run_ticks_every_observable_item() -> None:
    partner = PartnerServer(PartnerSettings()).start()
    try:
        settings = settings_for(partner.url)
        with MockServer(settings) as mock:
            partner.settings.pay1st_url = mock.url
            result = run_scenarios(Engine(build_target(settings), mock.url, seed=7),
                                   load_scenarios([PACK]), [])
            assert result.failed == 0
            body = requests.get(f"{mock.url}/_mock/partners/1/checklist", timeout=10).json()
    finally:
        partner.stop()
    observable = {i["key"]: (i["state"], i["nextStep"]) for i in body["items"]
                  if not i["manual"] and not i["optional"]}
    assert {k: v for k, v in observable.items() if v[0] != "done"} == {}
    assert body["styles"] == ["gateway", "shop"] and body["ready"] is True
    evidence = {i["key"]: {e["milestone"] for e in i["evidence"]} for i in body["items"]}
    assert {"webhook.refuses_forged", "webhook.refuses_stale"} <= evidence["gateway.webhook"]
    assert "payment.end_to_end" in evidence["gateway.end_to_end"]
    runs = [e for i in body["items"] for e in i["evidence"] if e["details"].get("kind") == "run"]
    assert runs and all(e["details"]["run"].startswith("pay1st-mock run ") for e in runs)
