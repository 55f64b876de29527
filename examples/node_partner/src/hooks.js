// Test hooks under /pay1st-test: the contract the conformance pack drives (pay1st-mock's
// "Partner test hooks"). POST /orders is the production checkout flow behind a button; the GETs
// show the state a scenario asserts on. Turn them off in production (--no-test-hooks).

import { HttpError, jsonObject, readBody, sendJson } from './http.js';
import { PLAYERS } from './catalogue.js';
import { placeOrder } from './orders.js';

/** POST /pay1st-test/orders {playerId, sku, quantity?=1, countryCode?="NG"} → 201
 *  {reference, partnerReference, checkoutUrl}; 400 for what we cannot sell; 502 with Pay1st's
 *  errorMessage/errorCode when Pay1st refuses. */
export async function handleCreateOrder(partner, req, res) {
  const data = jsonObject(await readBody(req));
  const { playerId, sku, quantity = 1, countryCode = 'NG' } = data;
  if (typeof playerId !== 'string' || typeof sku !== 'string' || typeof countryCode !== 'string'
      || !Number.isInteger(quantity)) {
    throw new HttpError(400, 'send {"playerId": "...", "sku": "...", "quantity": 1, "countryCode": "NG"} '
      + '(quantity and countryCode optional)');
  }
  const { order, checkoutUrl } = await placeOrder(partner, { playerId, sku, quantity, countryCode });
  sendJson(res, 201, { reference: order.reference, partnerReference: order.partnerReference, checkoutUrl });
}

/** GET /pay1st-test/players/{playerId} → 200 {playerId, balance, credits}; 404 if unknown. */
export async function handleShowPlayer(partner, req, res, url, playerId) {
  if (!Object.hasOwn(PLAYERS, playerId)) throw new HttpError(404, `no player has id ${JSON.stringify(playerId)}`);
  sendJson(res, 200, { playerId, ...partner.store.account(playerId) });
}

/** GET /pay1st-test/orders/{reference} (Pay1st's or ours) → 200 {reference,
 *  partnerReference, status, fulfilled}; 404 if unknown. */
export async function handleShowOrder(partner, req, res, url, reference) {
  const order = partner.store.findOrder(reference, reference);
  if (!order) throw new HttpError(404, `no order has reference ${JSON.stringify(reference)}`);
  const { partnerReference, status, fulfilled } = order;
  sendJson(res, 200, { reference: order.reference, partnerReference, status, fulfilled });
}
