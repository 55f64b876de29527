"""SIGKILL with webhooks pending, restart on the same data: every one is delivered, once."""

from __future__ import annotations

import json
import signal
import sqlite3
from pathlib import Path

import requests

from pay1st_mock.listener import Received, WebhookListener
from pay1st_mock.process import ServerProcess
from tests.harness import wait_until
from tests.support import GatewayClient

PAYMENTS = 12


def test_pending_deliveries_survive_a_sigkill(tmp_path: Path) -> None:
    partner_up = False

    def answer(received: Received) -> tuple[int, bytes]:
        return (200, b"ok") if partner_up else (503, b"down for maintenance")

    listener = WebhookListener(answer).start()
    data = tmp_path / "data"
    try:
        with ServerProcess("--data", str(data), cwd=tmp_path) as server:
            url = server.url
            assert url is not None
            partner = GatewayClient(url)
            partner.login()
            references = []
            for _ in range(PAYMENTS):
                reference = partner.create(webhookUrl=f"{listener.url}/hook").json()["reference"]
                response = requests.post(f"{url}/_mock/payments/{reference}/complete",
                                         json={"outcome": "success"})
                assert response.status_code == 200, response.text
                references.append(reference)
            listener.wait_for(PAYMENTS)  # every first attempt failed with 503
            wait_until(lambda: all(d["attempts"] for d in requests.get(
                f"{url}/_mock/deliveries").json()["deliveries"]), 10, "attempts logged")
            server.process.send_signal(signal.SIGKILL)
            server.process.wait(10)

        with sqlite3.connect(data / "pay1st-mock.sqlite3") as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert db.execute("SELECT COUNT(*) FROM deliveries WHERE status = 'PENDING'"
                              ).fetchone()[0] == PAYMENTS

        partner_up = True
        with ServerProcess("--data", str(data), cwd=tmp_path) as server:
            url = server.url
            assert url is not None
            # The retries were due 5 s after the first attempts; move the clock past that.
            requests.post(f"{url}/_mock/clock/advance", json={"seconds": 6})
            listener.wait_for(2 * PAYMENTS, timeout=15)
            wait_until(lambda: {d["status"] for d in requests.get(
                f"{url}/_mock/deliveries").json()["deliveries"]} == {"DELIVERED"}, 15,
                "every delivery DELIVERED")
            payments = requests.get(f"{url}/_mock/payments").json()["payments"]
            assert sorted(p["reference"] for p in payments) == sorted(references)
            assert {p["status"] for p in payments} == {"SUCCESSFUL"}

        accepted = [json.loads(r.body)["reference"] for r in listener.requests[PAYMENTS:]]
        assert sorted(accepted) == sorted(references), "each delivered exactly once after restart"
    finally:
        listener.stop()
