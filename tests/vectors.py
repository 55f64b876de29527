"""The signature test vectors of pay1st-api.md §5, written once for every test that needs them."""

from __future__ import annotations

# §5.1: the Gateway request vector, the body exactly as the docs print it ('<' and '>' kept).
REQUEST_KEY = "hCyO_Flnu6aid-bhFYTYOowkxXRzoZkgzO32rB6Ik8Y"
REQUEST_TIMESTAMP = "2025-03-17T08:10:52.544247646Z"
REQUEST_BODY = (
    '{"countryCode":"NG","currencyCode":"NGN","amount":100,"partnerReference":'
    '"4a662291-2840-4bcd-aae9-553ab24601ed","callbackSuccessUrl":"<https://callback.success",'
    '"callbackFailureUrl":"https://callback.failure","callbackPendingUrl":'
    '"https://callback.pending","callbackCancelUrl":"https://callback.cancel","webhookUrl":'
    '"https://webhook.success","products":[{"title":"10> Credits","sku":"12345","price":100,'
    '"quantity":1,"currencyCode":"NGN"}],"metadata":[{"key":"customerId","value":"1"}]}')
REQUEST_SIGNATURE = "85aa0862aa052f737d3cf4d38f92091ea7c015e782d207ea18cc5641d3e47755"

# §5.2: the Summary Webhook example, the key base64("apiuser:apipassword") and the signature
# computed from them with the documented openssl one-liner.
SUMMARY_USER, SUMMARY_PASSWORD = "apiuser", "apipassword"
SUMMARY_KEY = "YXBpdXNlcjphcGlwYXNzd29yZA=="
SUMMARY_BODY = (
    '{"reference":"C1st_d6213ccf-e838-4c42-9222-4356bb67a7a2","playerId":"12345",'
    '"productBundleId":1,"amount":1000,"currency":"ZAR","tokensPurchased":11,'
    '"digitalCurrency":{"name":"Credits","code":"CRE"},"status":"SUCCESSFUL"}')
SUMMARY_SIGNATURE = "e6ed74ec975440b8653212fafa91e079cbe83af234b541ebfcdeab9dedd1c923"
