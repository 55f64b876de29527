// Pay1st signatures in Node.js (18 or later), with nothing but node:crypto: copy this file into
// your project. Tested by pay1st-mock against Pay1st's two documented test vectors and a live
// emulator (tests/test_signing_snippets.py).
//
// * Gateway requests you send, and the Payment Webhook Events Pay1st sends you:
//     X-SIGNATURE = lowercase hex HMAC-SHA256(key = your Signing Key's text,
//                   message = the X-TIMESTAMP text immediately followed by the raw body bytes)
// * The Carry1st Shop's Summary Webhook:
//     X-SIGNATURE = lowercase hex HMAC-SHA256(key = the Base64 *text* of "username:password",
//                   message = the raw body, surrounding whitespace trimmed)
//
// Sign and verify the exact bytes on the wire: send the string you signed, and verify the raw
// request body (a Buffer), never JSON.stringify(JSON.parse(body)).

import { createHmac, timingSafeEqual } from 'node:crypto';
import { pathToFileURL } from 'node:url';

/** The X-SIGNATURE of a gateway request or Payment Webhook Event. */
export function signRequest(signingKey, timestamp, body) {
  return createHmac('sha256', Buffer.from(signingKey, 'utf8'))
    .update(Buffer.from(timestamp, 'utf8')).update(bytes(body)).digest('hex');
}

/** Whether `signature` signs `timestamp` + `body` with `signingKey` (constant time). */
export function verifyRequest(signingKey, timestamp, body, signature) {
  return sameHex(signRequest(signingKey, timestamp, body), signature);
}

/** The Summary Webhook key: the Base64 text of "username:password" (not the decoded bytes). */
export function summaryKey(username, password) {
  return Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
}

/** The X-SIGNATURE of a Summary Webhook body, for the product's Basic Auth pair. */
export function signSummary(username, password, body) {
  return createHmac('sha256', Buffer.from(summaryKey(username, password), 'utf8'))
    .update(trim(bytes(body))).digest('hex');
}

/** Whether `signature` is the Summary Webhook signature of `body` (constant time). */
export function verifySummary(username, password, body, signature) {
  return sameHex(signSummary(username, password, body), signature);
}

/** An X-TIMESTAMP for now: ISO-8601 UTC, e.g. 2025-03-17T08:10:52.544Z. */
export function nowTimestamp() {
  return new Date().toISOString();
}

function bytes(body) {
  return Buffer.isBuffer(body) ? body : Buffer.from(String(body), 'utf8');
}

// Space, tab, LF, VT, FF, CR at either end, on bytes (String.prototype.trim would also remove
// Unicode spaces, which the signer keeps).
function trim(buffer) {
  const blank = (b) => b === 0x20 || (b >= 0x09 && b <= 0x0d);
  let start = 0;
  let end = buffer.length;
  while (start < end && blank(buffer[start])) start += 1;
  while (end > start && blank(buffer[end - 1])) end -= 1;
  return buffer.subarray(start, end);
}

function sameHex(expected, received) {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(String(received ?? '').trim().toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

// -- an example: a signed Create Payment ------------------------------------------------------

/** Get an access token and create a payment; returns Pay1st's answer (status and body). */
export async function createPayment(baseUrl, apiKey, apiSecret, signingKey, payment) {
  const tokenAnswer = await fetch(`${baseUrl}/api/pay1st/auth/token`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(`${apiKey}:${apiSecret}`).toString('base64')}`,
      'Content-Type': 'application/vnd.carry1st.payments.partnerauthentication+json',
    },
    body: '{"role":"API_USER"}',
  });
  const { accessToken } = await tokenAnswer.json();
  const body = JSON.stringify(payment); // sign these bytes, and send these bytes
  const timestamp = nowTimestamp();
  const answer = await fetch(`${baseUrl}/api/pay1st/payments/create`, {
    method: 'POST',
    headers: {
      AccessToken: `Bearer ${accessToken}`,
      'Content-Type': 'application/vnd.carry1st.payments.payment+json',
      'X-TIMESTAMP': timestamp,
      'X-SIGNATURE': signRequest(signingKey, timestamp, body),
    },
    body,
  });
  return { status: answer.status, body: await answer.json() };
}

// -- command line: node pay1st-signing.mjs COMMAND ARGS (the body on standard input) ----------
//   sign-request SIGNING_KEY TIMESTAMP                 prints X-SIGNATURE
//   verify-request SIGNING_KEY TIMESTAMP SIGNATURE     exit 0 if it matches, 1 if not
//   sign-summary USERNAME PASSWORD                     prints X-SIGNATURE
//   verify-summary USERNAME PASSWORD SIGNATURE         exit 0 if it matches, 1 if not
//   create-payment BASE_URL API_KEY API_SECRET SIGNING_KEY   (standard input: the payment JSON)

async function main([command, ...args]) {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  switch (command) {
    case 'sign-request': return console.log(signRequest(args[0], args[1], body));
    case 'verify-request': process.exitCode = verifyRequest(args[0], args[1], body, args[2]) ? 0 : 1; return;
    case 'sign-summary': return console.log(signSummary(args[0], args[1], body));
    case 'verify-summary': process.exitCode = verifySummary(args[0], args[1], body, args[2]) ? 0 : 1; return;
    case 'create-payment': {
      const answer = await createPayment(args[0], args[1], args[2], args[3], JSON.parse(body));
      console.log(JSON.stringify(answer));
      process.exitCode = answer.status === 201 ? 0 : 1;
      return;
    }
    default:
      console.error('usage: node pay1st-signing.mjs sign-request|verify-request|sign-summary|'
        + 'verify-summary|create-payment ARGS < body');
      process.exitCode = 2;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
