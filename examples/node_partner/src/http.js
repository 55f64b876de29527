// Small HTTP helpers on node:http: read a request's raw body, answer JSON, call another server.

import http from 'node:http';
import https from 'node:https';

const MAX_BODY_BYTES = 1024 * 1024; // a webhook is a few hundred bytes; refuse floods early

/** An error that becomes an HTTP answer: `status` and `{"error": message, ...extra}`. */
export class HttpError extends Error {
  constructor(status, message, extra = {}) {
    super(message);
    this.status = status;
    this.extra = extra;
  }
}

/**
 * The request body as the exact bytes received (a Buffer).
 *
 * Signatures are over these bytes, so read them before (and instead of) any JSON parsing.
 */
export function readBody(req, limit = MAX_BODY_BYTES) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk); // past the limit: drain, keep nothing, answer 413
    });
    req.on('end', () => (size > limit
      ? reject(new HttpError(413, `the body is larger than ${limit} bytes`))
      : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

/** Parse already-verified bytes as a JSON object, or throw a 400. */
export function jsonObject(raw) {
  let document;
  try {
    document = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new HttpError(400, `the body is not valid JSON: ${error.message}`);
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new HttpError(400, 'the body must be a JSON object');
  }
  return document;
}

/** Answer `status` with `body` as JSON. */
export function sendJson(res, status, body) {
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': bytes.length });
  res.end(bytes);
}

/**
 * Call `url`; resolve `{status, headers, body: Buffer}` for any HTTP answer, reject on a
 * network error or after `timeoutMs` without a complete answer.
 */
export function request(url, { method = 'GET', headers = {}, body, timeoutMs = 10_000 } = {}) {
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : http;
  const sent = body === undefined ? undefined : Buffer.from(body);
  const allHeaders = sent === undefined ? headers : { ...headers, 'Content-Length': sent.length };
  return new Promise((resolve, reject) => {
    const outgoing = transport.request(target, {
      method, headers: allHeaders, signal: AbortSignal.timeout(timeoutMs),
    }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(sent);
  });
}
