// Gateway v4 orders: creating the payment, applying Payment Webhook Events, fulfilling.
//
// An order's status only moves forward: NEW → PENDING → one final status (SUCCESSFUL, FAILED,
// CANCELLED, ABANDONED), and a final status never changes again, whatever order the events
// arrive in and however often they repeat. So a late PENDING cannot reopen a paid order, and the
// player is credited, and Pay1st told about the fulfilment, exactly once: on the first SUCCESSFUL.

import { randomUUID } from 'node:crypto';

import { CURRENCIES, ITEMS, majorUnits } from './catalogue.js';
import { HttpError } from './http.js';
import { GatewayError, nowTimestamp } from './pay1st-client.js';
import { checkPlayer } from './shop.js';

const FINAL = new Set(['SUCCESSFUL', 'FAILED', 'CANCELLED', 'ABANDONED']);
const MAX_QUANTITY = 100;
const FULFILMENT_RETRY_MS = [1000, 5000]; // Pay1st down or busy: try again twice, then log

/**
 * Create the Pay1st payment for one SKU; resolve `{order, checkoutUrl}`.
 * Throws HttpError(400) for what we cannot sell, GatewayError when Pay1st refuses.
 */
export async function placeOrder(partner, { playerId, sku, quantity, countryCode }) {
  checkPlayer(playerId); // suspended players cannot buy
  const item = ITEMS[sku];
  if (!item) throw new HttpError(400, `no SKU ${JSON.stringify(sku)}; we sell ${Object.keys(ITEMS).join(', ')}`);
  if (!CURRENCIES[countryCode]) {
    throw new HttpError(400, `we do not sell in ${JSON.stringify(countryCode)}; `
      + `we sell in ${Object.keys(CURRENCIES).join(', ')}`);
  }
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
    throw new HttpError(400, `quantity must be a whole number from 1 to ${MAX_QUANTITY}; `
      + `got ${JSON.stringify(quantity)}`);
  }
  const order = {
    partnerReference: randomUUID(), // unique for the integration's lifetime, as Pay1st requires
    playerId,
    lines: [{ sku: item.sku, quantity, tokens: item.tokens }],
    reference: null, // Pay1st's, once Create Payment answers (or its first event arrives)
    status: 'NEW',
    fulfilled: false,
    amountMinor: item.prices[countryCode] * quantity, // what the payment asks for, minor units
  };
  // Saved before the call: the payment's first event may arrive before Pay1st's answer does
  // (it is then found by partnerReference), and a lost answer must not lose the order.
  partner.store.saveOrder(order);
  let created;
  try {
    created = await partner.pay1st.createPayment(paymentRequest(order, item, countryCode));
  } catch (error) {
    if (error instanceof GatewayError && error.status >= 400 && error.status < 500) {
      partner.store.removeOrder(order.partnerReference); // refused: no payment exists
    }
    throw error;
  }
  if (typeof created.reference !== 'string') {
    throw new GatewayError('Create Payment answered no reference', 201, created);
  }
  order.reference ??= created.reference;
  partner.store.saveOrder(order);
  return { order, checkoutUrl: await partner.pay1st.checkoutUrl(created.reference) };
}

/** The Create Payment Request body for a one-SKU order; amounts in MAJOR units, as v4 wants. */
export function paymentRequest(order, item, countryCode) {
  const currencyCode = CURRENCIES[countryCode];
  const price = item.prices[countryCode]; // minor units
  const { quantity } = order.lines[0];
  return {
    countryCode,
    currencyCode,
    amount: majorUnits(price * quantity), // = Σ price × quantity, summed exactly in minor units
    partnerReference: order.partnerReference,
    products: [{ title: item.title, sku: item.sku, price: majorUnits(price), quantity, currencyCode }],
    metadata: [{ key: 'customerId', value: order.playerId }],
  };
}

/**
 * Apply a verified Payment Webhook Event to its order; return `{note, paid}`.
 *
 * Synchronous on purpose: the check and the change happen with no `await` between them, so two
 * deliveries of one event cannot both see the order unpaid. Unknown orders, repeats and late
 * events are answered 2xx too: Pay1st must stop retrying them. `paid` is the order to fulfil.
 */
export function applyPaymentEvent(partner, event) {
  const reference = text(event.reference);
  const status = text(event.status);
  const order = partner.store.findOrder(reference, text(event.partnerReference));
  if (!order) return { note: 'no such order: ignored' };
  if (order.reference && reference && order.reference !== reference) {
    return { note: `reference ${reference} is not this order's payment (${order.reference}): ignored` };
  }
  if (status !== 'PENDING' && !FINAL.has(status)) return { note: `status ${status}: nothing to do` };
  if (FINAL.has(order.status)) return { note: `the order is already ${order.status}: ignored` };
  if (order.status === status) return { note: `the order is already ${status}: ignored` };
  order.status = status;
  order.reference ??= reference;
  partner.store.saveOrder(order);
  if (status !== 'SUCCESSFUL') return { note: `the order is now ${status}` };
  const tokens = order.lines.reduce((sum, line) => sum + line.tokens * line.quantity, 0);
  partner.store.credit(order.playerId, tokens);
  return { note: `SUCCESSFUL: credited ${tokens} to ${order.playerId}, fulfilment queued`, paid: order };
}

/** Tell Pay1st every SKU of a paid order was delivered; retry while Pay1st is down or busy. */
export async function fulfil(partner, order) {
  const at = nowTimestamp();
  const products = order.lines.map((line) => ({
    sku: line.sku, fulfilmentStatus: 'FULFILLED', quantity: line.quantity, fulfilmentTime: at,
  }));
  for (let attempt = 0; ; attempt += 1) {
    try {
      await partner.pay1st.sendFulfilment(order.reference, products);
      order.fulfilled = true;
      return;
    } catch (error) {
      // Retry only when Pay1st may not have acted (unreachable, 5xx, 429); a 4xx will not change.
      const transient = error instanceof GatewayError
        && (error.status === 0 || error.status >= 500 || error.status === 429);
      if (!transient || attempt >= FULFILMENT_RETRY_MS.length) {
        partner.log(`fulfilment of ${order.reference} not accepted: ${error.message}`);
        return;
      }
      await new Promise((resolve) => { setTimeout(resolve, FULFILMENT_RETRY_MS[attempt]); });
    }
  }
}

function text(value) {
  return typeof value === 'string' ? value : undefined;
}
