// The partner's state, in memory: orders, player balances, credited Summary references, and what
// refunds and chargebacks took back.
//
// A real partner keeps this in its database, and the rule that matters carries over: every
// check-then-change ("is this order already paid?", "was this Summary already credited?") must be
// one atomic step, or two deliveries of the same webhook racing each other credit twice. Here
// Node's single thread gives that for free, as long as no `await` sits between the check and the
// change; with a database, use a transaction or a unique constraint on the reference.

export class Store {
  #orders = new Map(); // our partnerReference → order
  #byReference = new Map(); // Pay1st's reference → our partnerReference
  #accounts = new Map(); // playerId → { balance, credits }
  #summaries = new Set(); // references of Summaries already credited
  #takenBack = new Map(); // refund or chargeback reference → tokens taken back
  #givenBack = new Set(); // chargebacks won: their tokens credited again

  /** Insert an order, or re-index it once Pay1st's reference is known. */
  saveOrder(order) {
    this.#orders.set(order.partnerReference, order);
    if (order.reference) this.#byReference.set(order.reference, order.partnerReference);
  }

  /** Forget an order Pay1st refused to create. */
  removeOrder(partnerReference) {
    this.#orders.delete(partnerReference);
  }

  /** The order with Pay1st's `reference`, else the one with our `partnerReference`. */
  findOrder(reference, partnerReference) {
    const ours = (reference && this.#byReference.get(reference)) || partnerReference;
    return (ours && this.#orders.get(ours)) || undefined;
  }

  /** Add `tokens` to a player's balance. */
  credit(playerId, tokens) {
    const { balance, credits } = this.account(playerId);
    this.#accounts.set(playerId, { balance: balance + tokens, credits: credits + 1 });
  }

  /** A player's account; empty if never credited. */
  account(playerId) {
    return this.#accounts.get(playerId) ?? { balance: 0, credits: 0 };
  }

  /** Take `tokens` from a player's balance (a refund or a chargeback). */
  debit(playerId, tokens) {
    const { balance, credits } = this.account(playerId);
    this.#accounts.set(playerId, { balance: balance - tokens, credits });
  }

  /** The tokens a refund or chargeback took back, or undefined if it took none yet. */
  takenBack(reference) {
    return this.#takenBack.get(reference);
  }

  /** Note that a refund or chargeback took `tokens` back. */
  recordTakenBack(reference, tokens) {
    this.#takenBack.set(reference, (this.#takenBack.get(reference) ?? 0) + tokens);
  }

  /** Record a won chargeback's credit given back; true the first time only. */
  firstGivenBack(reference) {
    if (this.#givenBack.has(reference)) return false;
    this.#givenBack.add(reference);
    return true;
  }

  /** Record a Summary's reference; true the first time only. */
  firstSummary(reference) {
    if (this.#summaries.has(reference)) return false;
    this.#summaries.add(reference);
    return true;
  }
}
