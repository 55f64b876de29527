// Payment Webhook Events applied to an order, in every order they can arrive, without a network:
// the status only moves forward, and only the first SUCCESSFUL credits and asks for fulfilment.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ITEMS } from '../src/catalogue.js';
import { applyPaymentEvent, paymentRequest } from '../src/orders.js';
import { creditSummary } from '../src/shop.js';
import { Store } from '../src/store.js';

function orderIn(store, quantity = 1) {
  const order = {
    partnerReference: 'p-1', playerId: 'player-1', lines: [{ sku: 'CRE-11', quantity, tokens: 11 }],
    reference: 'C-1-P', status: 'NEW', fulfilled: false,
  };
  store.saveOrder(order);
  return order;
}

/** Send `statuses` in turn; return how many asked for fulfilment, the balance and the status. */
function replay(statuses, quantity = 1) {
  const store = new Store();
  const order = orderIn(store, quantity);
  const paid = statuses.filter((status) => applyPaymentEvent({ store }, { reference: 'C-1-P', status }).paid);
  return [paid.length, store.account('player-1').balance, order.status];
}

test('each sequence of events ends where the payment ended, fulfilled at most once', () => {
  assert.deepEqual(replay(['SUCCESSFUL']), [1, 11, 'SUCCESSFUL']);
  assert.deepEqual(replay(['PENDING', 'SUCCESSFUL']), [1, 11, 'SUCCESSFUL']);
  assert.deepEqual(replay(['SUCCESSFUL', 'SUCCESSFUL', 'SUCCESSFUL']), [1, 11, 'SUCCESSFUL']);
  assert.deepEqual(replay(['SUCCESSFUL', 'PENDING', 'SUCCESSFUL']), [1, 11, 'SUCCESSFUL']);
  assert.deepEqual(replay(['PENDING', 'FAILED', 'SUCCESSFUL']), [0, 0, 'FAILED']);
  assert.deepEqual(replay(['CANCELLED', 'PENDING']), [0, 0, 'CANCELLED']);
  assert.deepEqual(replay(['ABANDONED']), [0, 0, 'ABANDONED']);
  assert.deepEqual(replay(['SEND_OTP', 'PENDING', 'PENDING']), [0, 0, 'PENDING']);
  assert.deepEqual(replay(['SUCCESSFUL'], 3), [1, 33, 'SUCCESSFUL']); // tokens × quantity, once
});

test('an event is found by partnerReference before Create Payment has answered', () => {
  const store = new Store();
  const order = { ...orderIn(store), reference: null };
  store.saveOrder(order);
  const { paid } = applyPaymentEvent({ store }, { reference: 'C-9-P', partnerReference: 'p-1', status: 'SUCCESSFUL' });
  assert.equal(paid?.reference, 'C-9-P');
  assert.equal(store.findOrder('C-9-P')?.partnerReference, 'p-1');
  assert.equal(applyPaymentEvent({ store }, { reference: 'C-2-P', status: 'SUCCESSFUL' }).note, 'no such order: ignored');
});

test('amounts go out in major units, summed exactly', () => {
  const order = { partnerReference: 'p-1', playerId: 'player-1', lines: [{ sku: 'CRE-11', quantity: 3, tokens: 11 }] };
  const item = { ...ITEMS['CRE-11'], prices: { ZA: 49_99 } };
  const body = paymentRequest(order, item, 'ZA');
  assert.equal(JSON.stringify([body.amount, body.products[0].price]), '[149.97,49.99]');
  assert.deepEqual(body.metadata, [{ key: 'customerId', value: 'player-1' }]);
});

test('a Summary credits tokensPurchased once per reference, never × quantity again', () => {
  const store = new Store();
  const summary = { reference: 'C-1-P', playerId: 'player-2', tokensPurchased: 33, quantity: 3, status: 'SUCCESSFUL' };
  creditSummary(store, summary);
  creditSummary(store, summary);
  creditSummary(store, { ...summary, reference: 'C-2-P', status: 'FAILED' });
  creditSummary(store, { ...summary, reference: 'C-3-P', playerId: 'nobody' });
  assert.deepEqual(store.account('player-2'), { balance: 33, credits: 1 });
});
