// The calls Pay1st makes to us, under /pay1st: the Shop's User Info and Summary Webhooks (with
// the product's Basic auth), and Payment Webhook Events with the refund and chargeback
// notifications that share their URL.
//
// Each handler reads the raw body first, verifies it, and only then parses and acts: the
// signature is over bytes, and re-serialised JSON would not match it.

import { jsonObject, readBody, sendJson } from './http.js';
import { applyMoneyBack, isMoneyBack } from './money-back.js';
import { applyPaymentEvent, fulfil } from './orders.js';
import { creditSummary, PlayerError, userInfo } from './shop.js';
import {
  summaryKey, verifyBasicAuth, verifyFresh, verifyPaymentEvent, verifySummary,
} from './signatures.js';

/** GET /pay1st/user-info?playerId=… → 200 {userId, externalReference, amount, currencyCode}
 *  for an active player; 400 {errorMessage, errorCode} otherwise; 401 without the product's
 *  Authorization: Basic. Answers at once: the Shop's customer is waiting and the Shop gives up
 *  after a few seconds. */
export async function handleUserInfo(partner, req, res, url) {
  const { shopUsername, shopPassword } = partner.settings;
  verifyBasicAuth(shopUsername, shopPassword, req.headers.authorization);
  try {
    sendJson(res, 200, userInfo(url.searchParams));
  } catch (error) {
    if (!(error instanceof PlayerError)) throw error;
    sendJson(res, 400, { errorMessage: error.message, errorCode: error.code });
  }
}

/** POST /pay1st/summary: a signed Summary Webhook → 200, credited once per reference;
 *  401 for a missing or bad Authorization: Basic or X-SIGNATURE; 400 for a body that is not a
 *  JSON object. */
export async function handleSummary(partner, req, res) {
  const body = await readBody(req);
  const { shopUsername, shopPassword } = partner.settings;
  verifyBasicAuth(shopUsername, shopPassword, req.headers.authorization);
  verifySummary(summaryKey(shopUsername, shopPassword), body, req.headers['x-signature']);
  const note = creditSummary(partner.store, jsonObject(body));
  partner.log(`summary: ${note}`);
  sendJson(res, 200, { received: true, note });
}

/** POST /pay1st/payment-events: a Payment Webhook Event (or a refund or chargeback
 *  notification), signed like our own requests and at
 *  most timestampToleranceSeconds old → 200, applied once; 401 otherwise. The fulfilment call
 *  to Pay1st starts after we answered, so a slow Pay1st never makes this delivery time out. */
export async function handlePaymentEvent(partner, req, res) {
  const body = await readBody(req);
  const timestamp = req.headers['x-timestamp'];
  verifyPaymentEvent(partner.settings.signingKey, timestamp, req.headers['x-signature'], body);
  verifyFresh(timestamp, Date.now(), partner.settings.timestampToleranceSeconds);
  const event = jsonObject(body);
  if (isMoneyBack(event)) { // a refund's or chargeback's notification, sent to the same URL
    const note = applyMoneyBack(partner.store, event);
    partner.log(`money back: ${note}`);
    sendJson(res, 200, { received: true, note });
    return;
  }
  const { note, paid } = applyPaymentEvent(partner, event);
  partner.log(`payment event: ${note}`);
  sendJson(res, 200, { received: true, note });
  if (paid) partner.background(fulfil(partner, paid));
}
