"""Payment Webhook Events reach our backend, signed with our signing key, and are retried.

``pay1st_webhook_listener`` (from the pay1st-mock plugin) stands in for our webhook handler.
"""

from __future__ import annotations

import time

from pay1st_mock import verify_request


def _eventually(check, timeout=5.0):
    """Poll ``check`` until it returns something truthy (no fixed sleeps in CI)."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"still not true after {timeout} s"
        time.sleep(0.02)
    return value


def test_successful_payment_notifies_our_backend(pay1st_partner, pay1st_webhook_listener):
    webhook_url = f"{pay1st_webhook_listener.url}/webhooks/pay1st"
    reference = pay1st_partner.create_payment(webhookUrl=webhook_url)["reference"]
    pay1st_partner.complete(reference, outcome="success")

    delivery = pay1st_partner.wait_for_delivery(reference)
    assert delivery["url"] == webhook_url
    [hook] = pay1st_webhook_listener.wait_for(1, path="/webhooks/pay1st")
    event = hook.json()
    assert event["reference"] == reference
    assert event["status"] == "SUCCESSFUL"
    assert verify_request(pay1st_partner.signing_key, hook.headers["X-TIMESTAMP"], hook.body,
                          hook.headers["X-SIGNATURE"])


def test_failed_webhook_is_retried_when_the_clock_moves(pay1st_partner, pay1st_webhook_listener):
    pay1st_webhook_listener.answer_with([500])  # our backend is down for the first attempt
    webhook_url = f"{pay1st_webhook_listener.url}/webhooks/pay1st"
    reference = pay1st_partner.create_payment(webhookUrl=webhook_url)["reference"]
    pay1st_partner.complete(reference, outcome="declined")

    failed = _eventually(lambda: [d for d in pay1st_partner.deliveries(reference)
                                  if d["attempts"] and d["status"] == "PENDING"])
    assert failed[0]["attempts"][0]["responseStatus"] == 500
    pay1st_partner.advance_clock(5)  # the first retry is due 5 s later (emulator time)

    delivered = pay1st_partner.wait_for_delivery(reference)
    assert [a["responseStatus"] for a in delivered["attempts"]] == [500, 200]
    hooks = pay1st_webhook_listener.wait_for(2)
    assert [h.json()["status"] for h in hooks] == ["FAILED", "FAILED"]
