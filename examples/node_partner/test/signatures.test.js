// The signature code against the test vectors of Pay1st's docs (pay1st-api.md §5).
// Run with `node --test` from the partner folder (or `npm test`).

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';

import {
  gatewaySignature, parseTimestamp, SignatureError, summaryKey, summarySignature, trimBytes,
  verifyFresh, verifyPaymentEvent, verifySummary,
} from '../src/signatures.js';

// §5.1, the body exactly as the docs print it: the stray "<" and ">" are part of the vector.
const SIGNING_KEY = 'hCyO_Flnu6aid-bhFYTYOowkxXRzoZkgzO32rB6Ik8Y';
const TIMESTAMP = '2025-03-17T08:10:52.544247646Z';
const BODY = '{"countryCode":"NG","currencyCode":"NGN","amount":100,"partnerReference":'
  + '"4a662291-2840-4bcd-aae9-553ab24601ed","callbackSuccessUrl":"<https://callback.success",'
  + '"callbackFailureUrl":"https://callback.failure","callbackPendingUrl":'
  + '"https://callback.pending","callbackCancelUrl":"https://callback.cancel","webhookUrl":'
  + '"https://webhook.success","products":[{"title":"10> Credits","sku":"12345","price":100,'
  + '"quantity":1,"currencyCode":"NGN"}],"metadata":[{"key":"customerId","value":"1"}]}';
const SIGNATURE = '85aa0862aa052f737d3cf4d38f92091ea7c015e782d207ea18cc5641d3e47755';

// §5.2: the Summary example, key = Base64 of "apiuser:apipassword".
const SUMMARY_KEY = 'YXBpdXNlcjphcGlwYXNzd29yZA==';
const SUMMARY_BODY = '{"reference":"C1st_d6213ccf-e838-4c42-9222-4356bb67a7a2","playerId":"12345",'
  + '"productBundleId":1,"amount":1000,"currency":"ZAR","tokensPurchased":11,'
  + '"digitalCurrency":{"name":"Credits","code":"CRE"},"status":"SUCCESSFUL"}';
const SUMMARY_SIGNATURE = 'e6ed74ec975440b8653212fafa91e079cbe83af234b541ebfcdeab9dedd1c923';

test('the gateway signature reproduces the documented vector', () => {
  assert.equal(gatewaySignature(SIGNING_KEY, TIMESTAMP, BODY), SIGNATURE);
  assert.equal(gatewaySignature(SIGNING_KEY, TIMESTAMP, Buffer.from(BODY)), SIGNATURE);
});

test("the docs' prose order (key and message swapped) does not match the vector", () => {
  const swapped = createHmac('sha256', TIMESTAMP + BODY).update(SIGNING_KEY).digest('hex');
  assert.notEqual(swapped, SIGNATURE);
  assert.throws(() => verifyPaymentEvent(SIGNING_KEY, TIMESTAMP, swapped, Buffer.from(BODY)), /bad X-SIGNATURE/);
});

test('a payment event verifies over the raw bytes, in any hex case', () => {
  verifyPaymentEvent(SIGNING_KEY, TIMESTAMP, SIGNATURE, Buffer.from(BODY));
  verifyPaymentEvent(SIGNING_KEY, TIMESTAMP, SIGNATURE.toUpperCase(), Buffer.from(BODY));
  const reserialised = Buffer.from(JSON.stringify(JSON.parse(BODY), null, 1));
  assert.throws(() => verifyPaymentEvent(SIGNING_KEY, TIMESTAMP, SIGNATURE, reserialised), /bad X-SIGNATURE/);
  assert.throws(() => verifyPaymentEvent('another-key', TIMESTAMP, SIGNATURE, Buffer.from(BODY)), /bad/);
  assert.throws(() => verifyPaymentEvent(SIGNING_KEY, TIMESTAMP, undefined, Buffer.from(BODY)), /missing X-SIGNATURE/);
  assert.throws(() => verifyPaymentEvent(SIGNING_KEY, undefined, SIGNATURE, Buffer.from(BODY)), /missing X-TIMESTAMP/);
  assert.throws(() => verifyPaymentEvent(SIGNING_KEY, TIMESTAMP, 'zz', Buffer.from(BODY)), SignatureError);
});

test('the Summary key is the Base64 text, and the signature matches the vector', () => {
  assert.equal(summaryKey('apiuser', 'apipassword'), SUMMARY_KEY);
  assert.equal(summarySignature(SUMMARY_KEY, SUMMARY_BODY), SUMMARY_SIGNATURE);
  verifySummary(SUMMARY_KEY, Buffer.from(`\r\n  ${SUMMARY_BODY} \n`), SUMMARY_SIGNATURE); // trimmed
  const decodedKey = createHmac('sha256', 'apiuser:apipassword').update(SUMMARY_BODY).digest('hex');
  assert.match(decodedKey, /^77f64026d53d.*e1351e$/); // the usual mistake, per the docs' note
  assert.throws(() => verifySummary(SUMMARY_KEY, Buffer.from(SUMMARY_BODY), decodedKey), /bad X-SIGNATURE/);
  assert.throws(() => verifySummary(SUMMARY_KEY, Buffer.from(`${SUMMARY_BODY}x`), SUMMARY_SIGNATURE), /bad/);
  assert.throws(() => verifySummary(SUMMARY_KEY, Buffer.from(SUMMARY_BODY), ''), /missing X-SIGNATURE/);
});

test('trimming touches only ASCII whitespace at the ends', () => {
  assert.equal(trimBytes(Buffer.from(' \t\n{"a": "b c"}\r\n ')).toString(), '{"a": "b c"}');
  assert.equal(trimBytes(Buffer.from('\u00a0{}')).toString(), '\u00a0{}'); // NBSP is content
  assert.equal(trimBytes(Buffer.from('  ')).length, 0);
});

test('timestamps: nanoseconds, offsets, and what is refused', () => {
  assert.equal(parseTimestamp(TIMESTAMP), Date.UTC(2025, 2, 17, 8, 10, 52) + 544.247646);
  assert.equal(parseTimestamp('2025-03-17T10:10:52.5+02:00'), Date.UTC(2025, 2, 17, 8, 10, 52, 500));
  assert.equal(parseTimestamp('2025-03-17T08:10:52Z'), Date.UTC(2025, 2, 17, 8, 10, 52));
  for (const bad of ['yesterday', '2025-03-17T08:10:52', '2025-02-30T08:10:52Z', '2025-03-17T24:00:00Z', '']) {
    assert.throws(() => parseTimestamp(bad), /not an ISO-8601 date-time with a zone/, bad);
  }
});

test('the freshness window is ±300 s, both ways', () => {
  const sent = parseTimestamp(TIMESTAMP);
  verifyFresh(TIMESTAMP, sent + 299_000, 300);
  verifyFresh(TIMESTAMP, sent - 120_000, 300); // two minutes: still fresh
  assert.throws(() => verifyFresh(TIMESTAMP, sent + 301_000, 300), /stale X-TIMESTAMP/);
  assert.throws(() => verifyFresh(TIMESTAMP, sent - 400_000, 300), /stale X-TIMESTAMP/);
  assert.throws(() => verifyFresh(TIMESTAMP, Date.now(), 300), /stale/);
});
