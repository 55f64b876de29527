// The partner's state, in memory: orders, player balances, credited Summary references.
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

  /** Record a Summary's reference; true the first time only. */
  firstSummary(reference) {
    if (this.#summaries.has(reference)) return false;
    this.#summaries.add(reference);
    return true;
  }
}
