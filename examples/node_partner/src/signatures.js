// Pay1st's two signature schemes, computed and verified in constant time.
//
// * Gateway requests we send, and the Payment Webhook Events Pay1st sends us:
//     X-SIGNATURE = lowercase hex HMAC-SHA256(key = the Signing Key's UTF-8 text,
//                   message = the X-TIMESTAMP text immediately followed by the raw body bytes)
//   Pay1st's prose swaps key and message; its own test vector only matches this order.
// * The Shop's Summary Webhook:
//     X-SIGNATURE = lowercase hex HMAC-SHA256(key = the Base64 *text* of "username:password",
//                   message = the raw body with surrounding whitespace trimmed)
//
// The Shop's User Info and Summary calls also carry Authorization: Basic with that same Base64
// text: it protects the two webhooks.
//
// Always sign and verify the exact bytes on the wire (a Buffer), never JSON.stringify(JSON.parse(x)):
// key order, spacing, number formats and escapes all change the bytes, and so the signature.

import { createHmac, timingSafeEqual } from 'node:crypto';

/** A webhook whose signature or timestamp cannot be trusted; the server answers 401. */
export class SignatureError extends Error {}

/** The X-SIGNATURE of `body` (Buffer or string) sent with `X-TIMESTAMP: timestamp`. */
export function gatewaySignature(signingKey, timestamp, body) {
  return createHmac('sha256', Buffer.from(signingKey, 'utf8'))
    .update(Buffer.from(timestamp, 'utf8'))
    .update(toBytes(body))
    .digest('hex');
}

/** The Summary Webhook key: the Base64 text of "username:password" (not the decoded bytes). */
export function summaryKey(username, password) {
  return Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
}

/** The Summary Webhook X-SIGNATURE of `body`, trimmed first. */
export function summarySignature(key, body) {
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(trimBytes(toBytes(body))).digest('hex');
}

/** Throw SignatureError unless `signature` signs `timestamp` + `body` with `signingKey`. */
export function verifyPaymentEvent(signingKey, timestamp, signature, body) {
  if (!signature) throw new SignatureError('missing X-SIGNATURE');
  if (!timestamp) throw new SignatureError('missing X-TIMESTAMP');
  if (!sameHex(gatewaySignature(signingKey, timestamp, body), signature)) {
    throw new SignatureError('bad X-SIGNATURE');
  }
}

/**
 * Throw SignatureError unless `timestamp` is within `toleranceSeconds` of `nowMs`.
 *
 * The signature covers the timestamp, so only its age tells a fresh delivery from a captured
 * one replayed later. Both directions count: a clock ahead of ours is as suspect as one behind.
 */
export function verifyFresh(timestamp, nowMs, toleranceSeconds) {
  if (!timestamp) throw new SignatureError('missing X-TIMESTAMP');
  const ageSeconds = Math.abs(nowMs - parseTimestamp(timestamp)) / 1000;
  if (ageSeconds > toleranceSeconds) {
    throw new SignatureError(`stale X-TIMESTAMP: ${timestamp} is ${Math.round(ageSeconds)} s from our `
      + `clock (at most ${toleranceSeconds} s allowed)`);
  }
}

/** Throw SignatureError unless `header` is "Basic " + the Base64 of "username:password": the
 *  product's pair, which the Shop sends on its User Info and Summary calls. */
export function verifyBasicAuth(username, password, header) {
  if (!header) throw new SignatureError("missing Authorization: Basic (the product's username:password)");
  const [scheme, value = ''] = String(header).trim().split(/\s+/, 2);
  const expected = Buffer.from(summaryKey(username, password), 'utf8');
  const got = Buffer.from(value, 'utf8');
  if (scheme.toLowerCase() !== 'basic' || got.length !== expected.length || !timingSafeEqual(got, expected)) {
    throw new SignatureError("wrong Authorization: expected Basic with the product's username and password");
  }
}

/** Throw SignatureError unless `signature` is the Summary signature of `body` under `key`. */
export function verifySummary(key, body, signature) {
  if (!signature) throw new SignatureError('missing X-SIGNATURE');
  if (!sameHex(summarySignature(key, body), signature)) throw new SignatureError('bad X-SIGNATURE');
}

// ISO-8601 date-time with a zone: "Z" or an offset; up to 9 fraction digits (Pay1st's own example
// has nanoseconds, which Date.parse does not promise to read).
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

/** Parse an ISO-8601 timestamp with a zone into epoch milliseconds (fractional). */
export function parseTimestamp(text) {
  const match = ISO_8601.exec(String(text).trim());
  const fail = () => new SignatureError(
    `X-TIMESTAMP ${JSON.stringify(String(text).slice(0, 60))} is not an ISO-8601 date-time with a zone`);
  if (!match) throw fail();
  const [, year, month, day, hour, minute, second, fraction = '', zulu, sign, offsetH, offsetM] =
    match.map((part, i) => (i >= 1 && i <= 6 ? Number(part) : part));
  const wholeMs = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(wholeMs);
  // Date.UTC rolls 31 April over to 1 May; a real timestamp never needs that.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1
      || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) throw fail();
  if (!zulu && (Number(offsetH) > 23 || Number(offsetM) > 59)) throw fail();
  const offsetMs = zulu ? 0 : (sign === '-' ? -1 : 1) * (Number(offsetH) * 60 + Number(offsetM)) * 60_000;
  return wholeMs + (fraction ? Number(`0.${fraction}`) * 1000 : 0) - offsetMs;
}

/** Compare hex digests in constant time; hex is case-insensitive, and any text is safe. */
export function sameHex(expected, received) {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(String(received).trim().toLowerCase(), 'utf8');
  // Lengths may differ only for a malformed header; the expected length (64) is no secret.
  return a.length === b.length && timingSafeEqual(a, b);
}

// The whitespace a "trim" removes from the ends of a JSON body: space, tab, LF, VT, FF, CR.
// ASCII only, on bytes: String.prototype.trim() would also eat Unicode spaces and needs a decode.
// (The docs' PHP trim() also strips NUL and keeps FF; a JSON body ends with neither.)
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]);

/** `bytes` without leading and trailing ASCII whitespace (a view, not a copy). */
export function trimBytes(bytes) {
  let start = 0;
  let end = bytes.length;
  while (start < end && WHITESPACE.has(bytes[start])) start += 1;
  while (end > start && WHITESPACE.has(bytes[end - 1])) end -= 1;
  return bytes.subarray(start, end);
}

function toBytes(body) {
  return Buffer.isBuffer(body) ? body : Buffer.from(String(body), 'utf8');
}
