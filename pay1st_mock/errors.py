"""Typed errors and the one place they become the Pay1st error envelope.

Every error the gateway or control API answers is ``{"errorMessage", "errorCode", "sessionId"}``
(pay1st-api.md §4.2). Pay1st publishes no ``errorCode`` values, so ``ERROR_CODES`` is ours; the
README's table is generated from it and a test keeps the two equal.
"""

from __future__ import annotations

from collections.abc import Mapping

from pay1st_mock.frozen import frozen


@frozen
class ErrorCode:
    """One documented error: its code, HTTP status and when it happens."""

    code: str
    status: int
    meaning: str


_CODES = [
    ErrorCode("MALFORMED_JSON", 400, "the body is not valid UTF-8 JSON"),
    ErrorCode("VALIDATION_ERROR", 400, "a field is missing, mistyped or out of range"),
    ErrorCode("INVALID_PARAMETER", 400, "a query parameter is missing or malformed"),
    ErrorCode("REQUEST_TOO_LARGE", 400, "the body is larger than the configured limit"),
    ErrorCode("MISSING_SIGNATURE", 400, "a POST arrived without X-SIGNATURE or X-TIMESTAMP"),
    ErrorCode("INVALID_TIMESTAMP", 400, "X-TIMESTAMP is not an ISO-8601 date-time with a zone"),
    ErrorCode("TIMESTAMP_OUT_OF_WINDOW", 400, "X-TIMESTAMP is more than the tolerance from now"),
    ErrorCode("INVALID_SIGNATURE", 400, "X-SIGNATURE is not HMAC-SHA256(signing key, ts + body)"),
    ErrorCode("UNSUPPORTED_COUNTRY", 400, "countryCode is not one the emulator serves"),
    ErrorCode("CURRENCY_MISMATCH", 400, "currencyCode is not the currency of countryCode"),
    ErrorCode("INVALID_AMOUNT", 400, "amount has more decimals than the currency allows"),
    ErrorCode("AMOUNT_MISMATCH", 400, "amount ≠ Σ price × quantity (strict mode only)"),
    ErrorCode("DUPLICATE_PARTNER_REFERENCE", 400, "partnerReference was used before"),
    ErrorCode("DUPLICATE_PARTNER_REFUND_REFERENCE", 400, "partnerRefundReference was used before"),
    ErrorCode("PAYMENT_NOT_SUCCESSFUL", 400, "fulfilment, refund or chargeback of a payment that "
              "is not SUCCESSFUL"),
    ErrorCode("REFUND_EXCEEDS_PAYMENT", 400, "refunds (or a chargeback) would exceed what was "
              "paid"),
    ErrorCode("UNKNOWN_SKU", 400, "a fulfilled SKU is not among the payment's products"),
    ErrorCode("FULFILMENT_QUANTITY_EXCEEDED", 400, "more units fulfilled than were paid for"),
    ErrorCode("INVALID_PLAYER_ID", 400, "Shop: the player ID is empty or too long"),
    ErrorCode("COUNTRY_NOT_SOLD", 400, "Shop: the product is not sold in that country"),
    ErrorCode("BUNDLE_INACTIVE", 400, "Shop: the bundle is not active"),
    ErrorCode("INVALID_QUANTITY", 400, "Shop: quantity outside 1 to 100"),
    ErrorCode("PLAYER_REJECTED", 400, "Shop: the partner's User Info Webhook refused the player"),
    ErrorCode("PARTNER_FAULT", 400, "Shop: the User Info Webhook failed (status, timeout, body)"),
    ErrorCode("CONTROL_TOKEN_REQUIRED", 401, "control API: the server requires its control token"),
    ErrorCode("MISSING_CREDENTIALS", 401, "no Basic Authorization header (token call, legacy)"),
    ErrorCode("INVALID_CREDENTIALS", 401, "API key or secret is wrong"),
    ErrorCode("MISSING_ACCESS_TOKEN", 401, "no AccessToken header (or the token is elsewhere)"),
    ErrorCode("INVALID_ACCESS_TOKEN", 401, "the access token is unknown or malformed"),
    ErrorCode("EXPIRED_ACCESS_TOKEN", 401, "the access token has expired"),
    ErrorCode("INVALID_REFRESH_TOKEN", 401, "the refresh token is unknown, used or expired"),
    ErrorCode("ACCESS_DENIED", 403, "the credentials have no access to this operation (a "
              "partner's access list, a product's bundle)"),
    ErrorCode("CROSS_SITE_REQUEST", 403, "control API: the call may come from another site's "
              "web page (Host, Origin, Referer)"),
    ErrorCode("PAYMENT_NOT_FOUND", 404, "no payment of this partner has that reference"),
    ErrorCode("TRANSACTION_NOT_FOUND", 404, "no payment of this partner has that "
              "transactionReference (C-…-T)"),
    ErrorCode("REFUND_NOT_FOUND", 404, "no refund of this partner has that refundReference"),
    ErrorCode("CHARGEBACK_NOT_FOUND", 404, "no chargeback of this partner has that reference"),
    ErrorCode("EVIDENCE_NOT_FOUND", 404, "the chargeback has no evidence with that id"),
    ErrorCode("PARTNER_NOT_FOUND", 404, "control API: no partner has that id"),
    ErrorCode("DELIVERY_NOT_FOUND", 404, "control API: no webhook delivery has that id"),
    ErrorCode("PRODUCT_NOT_FOUND", 404, "Shop: no product has that id"),
    ErrorCode("BUNDLE_NOT_FOUND", 404, "Shop: no bundle has that productBundleId"),
    ErrorCode("PURCHASE_NOT_FOUND", 404, "legacy status: no purchase with that externalReference"),
    ErrorCode("NOT_FOUND", 404, "no endpoint at that path"),
    ErrorCode("METHOD_NOT_ALLOWED", 405, "the endpoint exists but not for that HTTP method"),
    ErrorCode("UNSUPPORTED_MEDIA_TYPE", 405, "Content-Type is not the endpoint's vendor type"),
    ErrorCode("INVALID_TRANSITION", 409, "control API: the payment, refund or chargeback cannot "
              "move to that status"),
    ErrorCode("PARTNER_CONFLICT", 409, "control API: partner code or id already taken"),
    ErrorCode("RATE_LIMITED", 429, "more calls than [gateway] rate_limit_requests allows per "
              "window (opt-in); Retry-After says when to try again"),
    ErrorCode("INTERNAL_ERROR", 500, "a bug in pay1st-mock; the message says where"),
]

ERROR_CODES: dict[str, ErrorCode] = {entry.code: entry for entry in _CODES}


class Pay1stError(Exception):
    """An error answered to the caller with the Pay1st envelope.

    ``message`` says what was expected and what arrived; ``code`` is a key of ``ERROR_CODES``,
    which fixes the HTTP status.
    """

    def __init__(self, code: str, message: str, partner_id: int | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"undocumented error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.partner_id = partner_id  # whose request it was, when known (for the journal)
        self.headers = dict(headers or {})  # extra response headers, e.g. Retry-After

    @property
    def status(self) -> int:
        """The HTTP status that goes with the code."""
        return ERROR_CODES[self.code].status


def envelope(code: str, message: str, session_id: str) -> dict[str, str]:
    """Return the Pay1st error body."""
    return {"errorMessage": message, "errorCode": code, "sessionId": session_id}
