// The partner as an HTTP server: routing, errors as JSON, and a clean stop.

import http from 'node:http';

import { handleCreateOrder, handleShowOrder, handleShowPlayer } from './hooks.js';
import { HttpError, sendJson } from './http.js';
import { GatewayError, Pay1stClient } from './pay1st-client.js';
import { SignatureError } from './signatures.js';
import { Store } from './store.js';
import { handlePaymentEvent, handleSummary, handleUserInfo } from './webhooks.js';

// [method, path pattern, handler, is a test hook]; a captured group is passed to the handler.
const ROUTES = [
  ['GET', /^\/pay1st\/user-info$/, handleUserInfo, false],
  ['POST', /^\/pay1st\/summary$/, handleSummary, false],
  ['POST', /^\/pay1st\/payment-events$/, handlePaymentEvent, false],
  ['POST', /^\/pay1st-test\/orders$/, handleCreateOrder, true],
  ['GET', /^\/pay1st-test\/orders\/([^/]+)$/, handleShowOrder, true],
  ['GET', /^\/pay1st-test\/players\/([^/]+)$/, handleShowPlayer, true],
];

/**
 * Build a partner: its state, Pay1st client and HTTP server. `start()` listens and resolves the
 * base URL (port 0 picks a free port); `stop()` stops listening, then waits for fulfilments.
 */
export function createPartner(settings, log = (line) => process.stderr.write(`${line}\n`)) {
  const pending = new Set(); // fulfilments still talking to Pay1st
  const partner = {
    settings,
    store: new Store(),
    pay1st: new Pay1stClient(settings, log),
    log,
    /** Run `promise` after the answer was sent; stop() waits for it. */
    background(promise) {
      const tracked = promise.catch((error) => log(`background job failed: ${error.stack}`))
        .finally(() => pending.delete(tracked));
      pending.add(tracked);
    },
  };
  const server = http.createServer((req, res) => route(partner, req, res));

  return {
    partner,
    server,
    start() {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(settings.port, settings.host, () => {
          const { port } = server.address();
          const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
          resolve(`http://${host}:${port}`);
        });
      });
    },
    async stop() {
      await new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections(); // keep-alive sockets would hold close() open
      });
      await Promise.allSettled([...pending]);
    },
  };
}

async function route(partner, req, res) {
  const started = Date.now();
  const url = new URL(req.url, 'http://partner.invalid'); // only the path and query are used
  res.on('finish', () => {
    if (partner.settings.quiet) return;
    partner.log(`${req.method} ${url.pathname} → ${res.statusCode} (${Date.now() - started} ms)`);
  });
  try {
    const routes = ROUTES.filter(([, , , hook]) => partner.settings.testHooks || !hook);
    const matches = routes.map(([method, pattern, handler]) => [method, pattern.exec(url.pathname), handler])
      .filter(([, match]) => match);
    if (matches.length === 0) throw new HttpError(404, `nothing at ${url.pathname}`);
    const found = matches.find(([method]) => method === req.method);
    if (!found) {
      throw new HttpError(405, `${url.pathname} takes ${matches.map(([m]) => m).join(', ')}, not ${req.method}`);
    }
    const [, match, handler] = found;
    await handler(partner, req, res, url, ...match.slice(1).map(decodeURIComponent));
  } catch (error) {
    answerError(partner, res, error);
  }
}

// Our errors → HTTP answers: forged or stale webhooks 401, bad input its own status, a Pay1st
// refusal 502 with Pay1st's own errorMessage/errorCode, anything else 500 (and logged).
function answerError(partner, res, error) {
  if (res.headersSent) return;
  if (error instanceof SignatureError) return sendJson(res, 401, { error: error.message });
  if (error instanceof HttpError) return sendJson(res, error.status, { error: error.message, ...error.extra });
  if (error instanceof URIError) return sendJson(res, 400, { error: 'the path is not valid percent-encoding' });
  if (error instanceof GatewayError) {
    const { errorMessage, errorCode } = error.pay1st;
    return sendJson(res, 502, { error: error.message, errorMessage, errorCode });
  }
  partner.log(`unexpected error: ${error.stack}`);
  return sendJson(res, 500, { error: 'internal error' });
}
