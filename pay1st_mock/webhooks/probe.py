""""Verify my webhook endpoint": test events sent at once to a partner's webhook URLs.

For the Payment Webhook Event URL: a correctly signed test event (must be acknowledged with a
2xx), a badly signed one and a stale one (must be refused). For each product's Summary Webhook
URL: a correctly signed test Summary, a badly signed one (refused) and the first one again (a
duplicate: acknowledged, not credited twice). Every body carries ``"test": true`` and a reference
of no payment, so no real order is touched. The results are go-live checklist milestones.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pay1st_mock import jsontext
from pay1st_mock.domain.checklist import ChecklistService
from pay1st_mock.frozen import frozen
from pay1st_mock.outbound import Connections, post_bounded
from pay1st_mock.records import Partner
from pay1st_mock.shop.catalogue import Product
from pay1st_mock.signing import summary_key
from pay1st_mock.webhooks.kinds import PaymentEventKind, SummaryKind, WebhookKinds
from pay1st_mock.webhooks.payloads import event_body

TEST_REFERENCE = "C-000000000000000-P"  # the shape of a reference, the number of no payment
STALE_SECONDS = 600


@frozen
class ProbeResult:
    """One test event: what it checks, what the partner answered, and whether that is right."""

    check: str  # e.g. "a badly signed event is refused"
    url: str
    expected: str  # "2xx" or "refused (not 2xx)"
    status: int | None
    error: str | None
    passed: bool
    milestone: str

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the control API."""
        return {"check": self.check, "url": self.url, "expected": self.expected,
                "status": self.status, "error": self.error, "passed": self.passed,
                "milestone": self.milestone}


class WebhookProbe:
    """Sends the test events and records what came of them."""

    def __init__(self, kinds: WebhookKinds, checklist: ChecklistService,
                 products_of: Callable[[int], list[Product]], timeout: float) -> None:
        self._kinds = kinds
        self._checklist = checklist
        self._products_of = products_of
        self._timeout = timeout

    def verify(self, partner: Partner) -> list[ProbeResult]:
        """Probe every webhook URL the partner has; an empty list when it has none."""
        session = Connections()
        try:
            results = self._payment_events(session, partner) if partner.config.webhook_url \
                else []
            for product in self._products_of(partner.id):
                if product.summary_url:
                    results += self._summaries(session, partner, product)
            return results
        finally:
            session.close()

    def _payment_events(self, session: Any, partner: Partner) -> list[ProbeResult]:
        url = partner.config.webhook_url
        assert url is not None
        kind, key = self._kinds.get(PaymentEventKind.name), partner.config.signing_key
        body = jsontext.dumps({**event_body(
            partner_id=partner.id, partner_code=partner.config.code,
            partner_reference="pay1st-mock-webhook-test", reference=TEST_REFERENCE,
            amount=100, currency="NGN", country="NG", customer_id=None, status="SUCCESSFUL",
            channel_id=None, channel_name=None), "test": True})
        now = datetime.now(UTC)
        fresh, stale = _stamp(now), _stamp(now - timedelta(seconds=STALE_SECONDS))
        forged = kind.headers(key + "-not-the-key", fresh, body)
        return [
            self._send(session, partner, "a correctly signed test event is acknowledged", url,
                       body, kind.headers(key, fresh, body), True, "webhook.probe_valid",
                       "webhook.delivery_problem", kind.refusal),
            self._send(session, partner, "a badly signed event is refused", url, body, forged,
                       False, "webhook.refuses_forged", "webhook.accepts_forged"),
            self._send(session, partner, f"an event signed {STALE_SECONDS} s ago is refused",
                       url, body, kind.headers(key, stale, body), False,
                       "webhook.refuses_stale", "webhook.accepts_stale"),
        ]

    def _summaries(self, session: Any, partner: Partner, product: Product) -> list[ProbeResult]:
        url = product.summary_url
        assert url is not None
        kind = self._kinds.get(SummaryKind.name)
        key = summary_key(product.username, product.password)
        bundle = next((b for b in product.bundles if b.active), None)
        body = jsontext.dumps({
            "reference": "pay1st-mock-summary-test", "playerId": "pay1st-mock-test-player",
            "productBundleId": bundle.id if bundle else 0, "amount": 0, "currency": "NGN",
            "tokensPurchased": 0, "digitalCurrency": {"name": product.currency_name,
                                                      "code": product.currency_code},
            "status": "SUCCESSFUL", "externalReference": "pay1st-mock-summary-test",
            "productBundleExternalId": bundle.sku if bundle else "", "quantity": 1,
            "paymentMethod": "test", "test": True})
        stamp = _stamp(datetime.now(UTC))
        signed = kind.headers(key, stamp, body)
        where = f" (product {product.id})"
        return [
            self._send(session, partner, "a correctly signed test Summary is acknowledged"
                       + where, url, body, signed, True, "summary.ack",
                       "summary.delivery_problem", kind.refusal),
            self._send(session, partner, "a badly signed Summary is refused" + where, url, body,
                       kind.headers(key + "x", stamp, body), False, "summary.refuses_forged",
                       "summary.accepts_forged"),
            self._send(session, partner, "the same Summary again is acknowledged (a duplicate)"
                       + where, url, body, signed, True, "summary.duplicate_ok",
                       "summary.delivery_problem", kind.refusal),
        ]

    def _send(self, session: Any, partner: Partner, check: str, url: str, body: str,
              signature: dict[str, str], accept: bool, ok_name: str, problem_name: str,
              refusal: Callable[[int | None, str | None], str] | None = None) -> ProbeResult:
        headers = {"Content-Type": "application/json", "User-Agent": "pay1st-mock-probe",
                   **signature}
        answer = post_bounded(session, url, body.encode("utf-8"), headers, self._timeout)
        passed = answer.succeeded if accept else (answer.status is not None
                                                  and not answer.succeeded)
        evidence = {"kind": "probe", "check": check, "url": url, "status": answer.status}
        if passed:
            self._checklist.record(partner.id, ok_name, evidence=evidence)
        else:
            if refusal is not None:
                message = refusal(answer.status, answer.error)
            elif answer.status is None:
                message = f"{check}: no answer ({answer.error})"
            else:
                message = (f"{check}: your endpoint answered {answer.status}, so it accepted "
                           "an event it must refuse; verify X-SIGNATURE over the raw body and "
                           "the X-TIMESTAMP age before doing anything else")
            self._checklist.record(partner.id, problem_name, False, message, evidence=evidence)
        return ProbeResult(check, url, "2xx" if accept else "refused (not 2xx)", answer.status,
                           answer.error, passed, ok_name if passed else problem_name)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
