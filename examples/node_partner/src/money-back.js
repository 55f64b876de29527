// Money going back: Refund and Chargeback Webhook Notifications.
//
// Pay1st sends them, signed like payment events, to the refund's refundWebhookUrl or else our
// Webhook URL, so they arrive beside the payment events and are told apart by their reference
// field (refundReference, chargebackReference). A refund takes back the credit it paid for once
// it is SUCCESSFUL, and only once per refundReference; a chargeback takes it back as soon as it is
// opened (the card network has the money already) or lost, once per chargebackReference, and
// gives it back if it is won. The order is found by the payment's partnerReference: ours.
//
// Synchronous, like applyPaymentEvent: no `await` between the check and the change, so two
// deliveries of one notification cannot both take the credit back.

const TAKEN = new Set(['OPEN', 'LOST']); // chargeback statuses that mean the money went back

/** Whether a notification is a refund's or a chargeback's, not a payment event. */
export function isMoneyBack(event) {
  return 'refundReference' in event || 'chargebackReference' in event;
}

/** Apply a verified refund or chargeback notification; return a note. Anything we cannot use
 *  is answered 2xx too: Pay1st must not retry it. */
export function applyMoneyBack(store, event) {
  const order = store.findOrder(undefined, text(event.partnerReference));
  if (!order) return 'no such order: ignored';
  return 'refundReference' in event ? refund(store, order, event) : chargeback(store, order, event);
}

function refund(store, order, event) {
  const reference = text(event.refundReference);
  if (event.status !== 'SUCCESSFUL') return `refund ${event.status}: nothing to do until it is SUCCESSFUL`;
  if (!reference || store.takenBack(reference) !== undefined) return `refund ${reference} was taken back already`;
  const tokens = tokensOf(order, event);
  store.debit(order.playerId, tokens);
  store.recordTakenBack(reference, tokens);
  return `refund ${reference}: ${tokens} taken back from ${order.playerId}`;
}

function chargeback(store, order, event) {
  const reference = text(event.chargebackReference) ?? '';
  const taken = store.takenBack(reference);
  if (TAKEN.has(event.status) && taken === undefined) {
    const tokens = tokensOf(order, event);
    store.debit(order.playerId, tokens);
    store.recordTakenBack(reference, tokens);
    return `chargeback ${reference}: ${tokens} taken back from ${order.playerId}`;
  }
  if (event.status === 'WON' && taken && store.firstGivenBack(reference)) {
    store.credit(order.playerId, taken);
    return `chargeback ${reference} won: ${taken} given back to ${order.playerId}`;
  }
  return `chargeback ${reference} ${event.status}: nothing to change`;
}

/** The credit a refund or chargeback of `amount` takes back: all of the order's for the whole
 *  amount, else its share, rounded down (amounts compared in minor units, as integers). */
function tokensOf(order, event) {
  const tokens = order.lines.reduce((sum, line) => sum + line.tokens * line.quantity, 0);
  if (event.fullRefund === true || !order.amountMinor || typeof event.amount !== 'number') return tokens;
  const minor = Math.round(event.amount * 100);
  return Math.min(tokens, Math.floor((tokens * minor) / order.amountMinor));
}

function text(value) {
  return typeof value === 'string' ? value : undefined;
}
