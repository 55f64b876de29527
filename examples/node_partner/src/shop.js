// The Shop integration: who may buy (User Info Webhook) and crediting (Summary Webhook).

import { randomUUID } from 'node:crypto';

import { PLAYERS } from './catalogue.js';
import { HttpError } from './http.js';

/** A player who may not buy: answered 400 {errorMessage, errorCode} to the Shop. */
export class PlayerError extends HttpError {
  constructor(message, code) {
    super(400, message, { errorCode: code });
    this.code = code;
  }
}

/** Throw PlayerError unless `playerId` is an active player of ours. */
export function checkPlayer(playerId) {
  const shown = JSON.stringify(String(playerId).length > 100 ? `${String(playerId).slice(0, 100)}…` : playerId);
  if (typeof playerId !== 'string' || !playerId) throw new PlayerError('playerId is required', 'MISSING_PLAYER_ID');
  const player = Object.hasOwn(PLAYERS, playerId) ? PLAYERS[playerId] : undefined;
  if (!player) throw new PlayerError(`no player has id ${shown}`, 'PLAYER_NOT_FOUND');
  if (!player.active) throw new PlayerError(`player ${shown} is suspended`, 'PLAYER_INACTIVE');
}

/**
 * Answer the User Info Webhook (a GET with query parameters, unsigned): the 200 body for an
 * active player, else PlayerError. A missing playerId is the caller's mistake (400), never a 500.
 *
 * The documented 200 body is {userId, externalReference, amount, currencyCode}: we echo the
 * Shop's externalReference (or make one), amount and currencyCode.
 */
export function userInfo(query) {
  const playerId = query.get('playerId') ?? '';
  checkPlayer(playerId);
  return {
    userId: playerId,
    externalReference: query.get('externalReference') || randomUUID(),
    amount: parseAmount(query.get('amount')),
    currencyCode: query.get('currencyCode') || null,
  };
}

function parseAmount(text) {
  if (!text) return null;
  const value = Number(text);
  if (!/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(text) || !Number.isFinite(value)) {
    throw new PlayerError(`amount must be a number; got ${JSON.stringify(text.slice(0, 50))}`, 'INVALID_AMOUNT');
  }
  return value;
}

/**
 * Credit a verified SUCCESSFUL Summary to its player, once per `reference`; return a note.
 *
 * `tokensPurchased` is what the player gets for the whole purchase, quantity included (Pay1st:
 * "number of units credited"), so it is credited as it is, never multiplied by `quantity` again.
 * Anything we will not credit is still answered 2xx: an error would only make Pay1st retry a
 * delivery that can never succeed. Synchronous, so a duplicate cannot slip between check and credit.
 */
export function creditSummary(store, summary) {
  const { status, reference, playerId, tokensPurchased } = summary;
  if (status !== 'SUCCESSFUL') return `status ${status}: nothing to credit`;
  if (typeof reference !== 'string' || !reference || typeof playerId !== 'string'
      || !Number.isInteger(tokensPurchased) || tokensPurchased < 0) {
    throw new HttpError(400, 'a SUCCESSFUL Summary needs reference and playerId (strings) and '
      + 'tokensPurchased (a whole number ≥ 0)');
  }
  // A suspended player who paid is still credited: the money was taken, and the Shop checked
  // the player (User Info) before taking it. Only ids we never had are left alone.
  if (!Object.hasOwn(PLAYERS, playerId)) {
    return `unknown player ${JSON.stringify(playerId.slice(0, 100))}: nothing credited`;
  }
  if (!store.firstSummary(reference)) return `${reference} was already credited`;
  store.credit(playerId, tokensPurchased);
  return `credited ${tokensPurchased} to ${playerId}`;
}
