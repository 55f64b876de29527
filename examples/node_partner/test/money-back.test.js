// Refund and chargeback notifications applied to a paid order, without a network: a SUCCESSFUL
// refund takes the credit back once; a chargeback takes it back when opened and gives it back if
// won; the Shop's Basic auth is checked in constant time.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { applyMoneyBack } from '../src/money-back.js';
import { SignatureError, summaryKey, verifyBasicAuth } from '../src/signatures.js';
import { Store } from '../src/store.js';

function paidOrder() {
  const store = new Store();
  store.saveOrder({
    partnerReference: 'p-1', playerId: 'player-1', lines: [{ sku: 'CRE-11', quantity: 2, tokens: 11 }],
    reference: 'C-1-P', status: 'SUCCESSFUL', fulfilled: true, amountMinor: 2000_00,
  });
  store.credit('player-1', 22);
  return store;
}

test('a refund takes the credit back when SUCCESSFUL, once, in proportion', () => {
  const store = paidOrder();
  const refund = { refundReference: 'R-1', partnerReference: 'p-1', amount: 1000, fullRefund: false };
  for (const status of ['PENDING', 'PROCESSING', 'FAILED']) applyMoneyBack(store, { ...refund, status });
  assert.equal(store.account('player-1').balance, 22);
  applyMoneyBack(store, { ...refund, status: 'SUCCESSFUL' });
  applyMoneyBack(store, { ...refund, status: 'SUCCESSFUL' }); // a duplicate delivery
  assert.equal(store.account('player-1').balance, 11); // half the amount: half the tokens
});

test('a chargeback takes the credit back when opened, and gives it back if won', () => {
  const store = paidOrder();
  const chargeback = { chargebackReference: 'CB-1', partnerReference: 'p-1', amount: 2000 };
  applyMoneyBack(store, { ...chargeback, status: 'OPEN' });
  applyMoneyBack(store, { ...chargeback, status: 'OPEN' });
  assert.equal(store.account('player-1').balance, 0);
  applyMoneyBack(store, { ...chargeback, status: 'WON' });
  applyMoneyBack(store, { ...chargeback, status: 'WON' });
  assert.equal(store.account('player-1').balance, 22);
  assert.equal(applyMoneyBack(store, { ...chargeback, partnerReference: 'nope', status: 'OPEN' }),
    'no such order: ignored');
});

test("the Shop's Basic auth is the product's pair", () => {
  verifyBasicAuth('apiuser', 'apipassword', `Basic ${summaryKey('apiuser', 'apipassword')}`);
  for (const header of [undefined, '', 'Basic', `Bearer ${summaryKey('apiuser', 'apipassword')}`,
    `Basic ${summaryKey('apiuser', 'other')}`]) {
    assert.throws(() => verifyBasicAuth('apiuser', 'apipassword', header), SignatureError);
  }
});
