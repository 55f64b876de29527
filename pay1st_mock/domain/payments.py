"""Payments: creation rules, lookup, status changes and fulfilment (pay1st-api.md §6.4–§6.7).

Payments are scoped by partner everywhere: a reference of another partner is answered exactly
as an unknown one, so references cannot be probed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pay1st_mock.clock import Clock
from pay1st_mock.config import Callbacks
from pay1st_mock.domain.catalogue import Catalogue, Country
from pay1st_mock.domain.payment_urls import check_payment_urls
from pay1st_mock.errors import Pay1stError
from pay1st_mock.randomness import Randomness
from pay1st_mock.records import Fulfilment, Partner, Payment, StatusChange
from pay1st_mock.schemas import Finding
from pay1st_mock.store.database import Database
from pay1st_mock.store.payments import PaymentRepository


class PaymentService:
    """Creates, finds, completes and fulfils payments."""

    def __init__(self, db: Database, payments: PaymentRepository, catalogue: Catalogue,
                 clock: Clock, randomness: Randomness, strict_amounts: bool,
                 allow_link_local_urls: bool = False) -> None:
        self._allow_link_local_urls = allow_link_local_urls
        self._db = db
        self._payments = payments
        self._catalogue = catalogue
        self._clock = clock
        self._random = randomness
        self._strict_amounts = strict_amounts

    def create(self, partner: Partner, body: dict[str, Any]) -> tuple[Payment, list[Finding]]:
        """Store a payment from a schema-valid Create Payment Request body.

        Returns the payment and warnings (findings the real gateway would let through).
        """
        country = self._country(body["countryCode"])
        currency = body["currencyCode"]
        if currency != country.currency:
            raise Pay1stError("CURRENCY_MISMATCH",
                              f"currencyCode {currency} is not the currency of {country.code} "
                              f"({country.name}); send currencyCode {country.currency}")
        amount = Decimal(body["amount"])
        _check_precision("$.amount", amount, country)
        warnings = check_payment_urls(body, self._allow_link_local_urls)
        warnings += self._product_findings(body["products"], amount, country)
        now = self._clock.now()
        payment = Payment(
            reference=self._random.payment_reference(), partner_id=partner.id,
            partner_reference=body["partnerReference"], country_code=country.code,
            currency_code=currency, amount=amount, status="NEW",
            callbacks=Callbacks(body.get("callbackSuccessUrl"), body.get("callbackFailureUrl"),
                                body.get("callbackPendingUrl"), body.get("callbackCancelUrl")),
            webhook_url=body.get("webhookUrl"), products=body["products"],
            metadata=body.get("metadata", []), channel_id=None, channel_name=None,
            created_at=now, updated_at=now)
        if not self._payments.insert(payment):
            earlier = self._payments.find_by_partner_reference(partner.id,
                                                               payment.partner_reference)
            previous = earlier.reference if earlier else "an earlier payment"
            raise Pay1stError("DUPLICATE_PARTNER_REFERENCE",
                              f"partnerReference {payment.partner_reference!r} was already used "
                              f"for {previous}; it must be unique for the life of the integration:"
                              " send a new one (a UUID works)")
        return payment, warnings

    def get(self, partner: Partner, reference: str) -> Payment:
        """Return the partner's payment with that reference; 404 saying why otherwise."""
        payment = self._payments.get(reference, partner.id)
        if payment is not None:
            return payment
        hint = ""
        if not reference.startswith("C-"):
            hint = (" It does not look like a Pay1st reference (C-<15 digits>-P): send the "
                    "reference from the create response, not your partnerReference.")
        raise Pay1stError("PAYMENT_NOT_FOUND",
                          f"partner {partner.config.code} has no payment with reference "
                          f"{reference!r}.{hint}")

    def find(self, reference: str) -> Payment:
        """Return any partner's payment with that reference (control API); 404 otherwise."""
        payment = self._payments.get(reference)
        if payment is None:
            raise Pay1stError("PAYMENT_NOT_FOUND", f"no payment has reference {reference!r}")
        return payment

    def find_for_checkout(self, reference: str) -> Payment | None:
        """Return any partner's payment with that reference (the checkout then checks whose)."""
        return self._payments.get(reference)

    def search(self, partner_id: int | None, status: str | None, limit: int) -> list[Payment]:
        """Return payments, newest first, optionally filtered by partner and status."""
        return self._payments.search(partner_id, status, limit)

    def history(self, payment: Payment) -> list[StatusChange]:
        """Return the payment's status changes, oldest first."""
        return self._payments.history(payment.reference)

    def fulfilments(self, payment: Payment) -> list[Fulfilment]:
        """Return the fulfilment lines the partner reported for a payment."""
        return self._payments.fulfilments(payment.reference)

    def fulfil(self, partner: Partner, body: dict[str, Any]) -> None:
        """Record a schema-valid Fulfilment Completion body (design.md §3 rules)."""
        with self._db.transaction():
            payment = self.get(partner, body["reference"])
            if payment.status != "SUCCESSFUL":
                raise Pay1stError("PAYMENT_NOT_SUCCESSFUL",
                                  f"payment {payment.reference} is {payment.status}; fulfil only "
                                  "after it is SUCCESSFUL (wait for the webhook or query status)")
            bought: dict[str, int] = {}
            for product in payment.products:
                bought[product["sku"]] = bought.get(product["sku"], 0) + product["quantity"]
            done: dict[str, int] = {}
            for line in self._payments.fulfilments(payment.reference):
                if line.fulfilment_status == "FULFILLED":
                    done[line.sku] = done.get(line.sku, 0) + line.quantity
            for index, line in enumerate(body["products"]):
                sku = line["sku"]
                if sku not in bought:
                    raise Pay1stError("UNKNOWN_SKU",
                                      f"$.products[{index}].sku {sku!r} is not in payment "
                                      f"{payment.reference}; its SKUs are: "
                                      + ", ".join(sorted(bought)))
                if line["fulfilmentStatus"] == "FULFILLED":
                    done[sku] = done.get(sku, 0) + line["quantity"]
                    if done[sku] > bought[sku]:
                        raise Pay1stError("FULFILMENT_QUANTITY_EXCEEDED",
                                          f"$.products[{index}]: {done[sku]} unit(s) of SKU "
                                          f"{sku!r} fulfilled in all, but {bought[sku]} were paid "
                                          "for; fulfil each unit once")
            now = self._clock.now()
            self._payments.add_fulfilments(payment.reference, [
                Fulfilment(line["sku"], line["quantity"], line["fulfilmentStatus"],
                           line.get("fulfilmentTime"), now) for line in body["products"]])

    def _country(self, code: str) -> Country:
        country = self._catalogue.country(code)
        if country is None:
            raise Pay1stError("UNSUPPORTED_COUNTRY",
                              f"countryCode {code} is not supported; supported countries: "
                              + ", ".join(self._catalogue.country_codes))
        return country

    def _product_findings(self, products: list[dict[str, Any]], amount: Decimal,
                          country: Country) -> list[Finding]:
        findings: list[Finding] = []
        total = Decimal(0)
        for index, product in enumerate(products):
            price = Decimal(product["price"])
            _check_precision(f"$.products[{index}].price", price, country)
            total += price * product["quantity"]
            code = product.get("currencyCode")
            if code is not None and code != country.currency:
                findings.append(Finding(f"$.products[{index}].currencyCode",
                                        f"expected {country.currency} like the payment, got "
                                        f"{code}", kind="hint", severity="warning"))
        if total != amount:
            message = (f"amount {amount} differs from Σ price × quantity = {total}; the customer "
                       "is charged amount")
            if self._strict_amounts:
                raise Pay1stError("AMOUNT_MISMATCH", "$.amount: " + message)
            findings.append(Finding("$.amount", message, kind="hint", severity="warning"))
        return findings


def _check_precision(path: str, value: Decimal, country: Country) -> None:
    exponent = value.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if decimals > country.minor_units and value != value.quantize(Decimal(1).scaleb(
            -country.minor_units)):
        raise Pay1stError("INVALID_AMOUNT",
                          f"{path}: {value} has {decimals} decimal places; {country.currency} "
                          f"takes at most {country.minor_units}")
