// The partner's Gateway v4 client: access tokens, signed POSTs, checkout links.
//
// Tokens: Pay1st publishes no lifetime and sends no expiresIn, so we refresh once a token is
// `tokenRefreshSeconds` old (before it can expire), and again whenever Pay1st answers 401
// EXPIRED_ACCESS_TOKEN. A refresh that fails (refresh token expired or revoked) falls back to a
// new token with Basic auth. One renewal runs at a time and concurrent callers share it: a refresh
// token is single-use, so two parallel refreshes would make the second one fail.

import { performance } from 'node:perf_hooks';

import { request } from './http.js';
import { gatewaySignature } from './signatures.js';

const AUTH_TYPE = 'application/vnd.carry1st.payments.partnerauthentication+json';
const PAYMENT_TYPE = 'application/vnd.carry1st.payments.payment+json';

/** Pay1st refused a call (`status`, its `errorCode`/`errorMessage`), or could not be reached (status 0). */
export class GatewayError extends Error {
  constructor(message, status = 0, pay1st = {}) {
    super(message);
    this.status = status;
    this.pay1st = pay1st;
  }
}

/** The current UTC time as ISO-8601 with a Z, e.g. 2025-03-17T08:10:52.544Z. */
export function nowTimestamp() {
  return new Date().toISOString();
}

export class Pay1stClient {
  #tokens = null; // { accessToken, refreshToken, issuedAt (monotonic ms), baseUrl }
  #renewal = null; // the token call in flight, shared by everyone who needs it

  constructor(settings, log = () => {}) {
    this.settings = settings;
    this.log = log;
  }

  get baseUrl() {
    return this.settings.pay1stUrl;
  }

  /** A usable access token: the cached one, refreshed when old, or a new one. */
  async accessToken() {
    const tokens = this.#tokens;
    if (!tokens || tokens.baseUrl !== this.baseUrl) return this.#renew(tokens, 'login');
    const ageSeconds = (performance.now() - tokens.issuedAt) / 1000;
    if (ageSeconds >= this.settings.tokenRefreshSeconds) return this.#renew(tokens, 'refresh');
    return tokens.accessToken;
  }

  /** Create Payment Request: Pay1st's 201 answer, with its `reference`. */
  async createPayment(payment) {
    return answerJson(await this.#signedPost('/api/pay1st/payments/create', payment));
  }

  /** Fulfilment Completion: tell Pay1st what we delivered for `reference` (200, empty body). */
  async sendFulfilment(reference, products) {
    answerJson(await this.#signedPost('/api/pay1st/payments/fulfilments', { reference, products }));
  }

  /** The hosted checkout link. The token holds + / and =, so it must be URL-escaped. */
  async checkoutUrl(reference) {
    // URLSearchParams percent-escapes every reserved character: + → %2B, / → %2F, = → %3D.
    const query = new URLSearchParams({ reference, accessToken: await this.accessToken() });
    return `${this.settings.checkoutUrl}/checkout?${query}`;
  }

  // POST `payload` signed; on a 401 renew the token once and send it again, signed afresh.
  async #signedPost(path, payload) {
    const body = Buffer.from(JSON.stringify(payload), 'utf8'); // serialise once: sign these bytes
    const token = await this.accessToken();
    const used = this.#tokens;
    const answer = await this.#send(path, body, this.#signedHeaders(body, token));
    if (answer.status !== 401) return answer;
    // An expired token can be refreshed; a token Pay1st no longer knows needs a new login.
    const how = errorOf(answer).errorCode === 'EXPIRED_ACCESS_TOKEN' ? 'refresh' : 'login';
    const renewed = await this.#renew(used, how);
    return this.#send(path, body, this.#signedHeaders(body, renewed));
  }

  #signedHeaders(body, token) {
    const timestamp = nowTimestamp(); // the current UTC time; Pay1st allows a few minutes of skew
    return {
      AccessToken: `Bearer ${token}`, // AccessToken, not Authorization: Pay1st's own header
      'Content-Type': PAYMENT_TYPE,
      'X-TIMESTAMP': timestamp,
      'X-SIGNATURE': gatewaySignature(this.settings.signingKey, timestamp, body),
    };
  }

  // Renew the tokens `stale` (the ones the caller saw), unless someone already did.
  #renew(stale, how) {
    if (this.#tokens !== stale && this.#tokens?.baseUrl === this.baseUrl) {
      return Promise.resolve(this.#tokens.accessToken); // renewed meanwhile: use the new one
    }
    this.#renewal ??= this.#fetchTokens(stale, how).finally(() => { this.#renewal = null; });
    return this.#renewal;
  }

  async #fetchTokens(stale, how) {
    let answer;
    if (how === 'refresh' && stale?.refreshToken && stale.baseUrl === this.baseUrl) {
      try {
        answer = answerJson(await this.#send('/api/pay1st/auth/refresh', jsonBytes(
          { role: 'API_USER', refreshToken: stale.refreshToken }), { 'Content-Type': AUTH_TYPE, Accept: AUTH_TYPE }));
      } catch (error) {
        if (!(error instanceof GatewayError) || error.status === 0) throw error;
        this.log(`token refresh refused (${error.message}); logging in again`);
      }
    }
    if (!answer) {
      const basic = Buffer.from(`${this.settings.apiKey}:${this.settings.apiSecret}`, 'utf8').toString('base64');
      answer = answerJson(await this.#send('/api/pay1st/auth/token', jsonBytes({ role: 'API_USER' }),
        { 'Content-Type': AUTH_TYPE, Authorization: `Basic ${basic}` }));
    }
    if (typeof answer.accessToken !== 'string' || !answer.accessToken) {
      throw new GatewayError('Pay1st answered the token call without an accessToken', 200, answer);
    }
    this.#tokens = {
      accessToken: answer.accessToken,
      refreshToken: answer.refreshToken,
      issuedAt: performance.now(),
      baseUrl: this.baseUrl,
    };
    return answer.accessToken;
  }

  async #send(path, body, headers) {
    const url = this.baseUrl + path;
    try {
      const answer = await request(url, {
        method: 'POST', headers, body, timeoutMs: this.settings.pay1stTimeoutSeconds * 1000,
      });
      return { ...answer, path };
    } catch (error) {
      throw new GatewayError(`Pay1st could not be reached at ${url}: ${error.message}`);
    }
  }
}

function jsonBytes(value) {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** Pay1st's error envelope {errorMessage, errorCode, sessionId}, or {} if the body is not one. */
function errorOf(answer) {
  try {
    const body = JSON.parse(answer.body.toString('utf8'));
    return body && typeof body === 'object' ? body : {};
  } catch {
    return {};
  }
}

/** The JSON object of a 2xx answer ({} when empty); GatewayError for anything else. */
function answerJson(answer) {
  if (answer.status >= 200 && answer.status < 300) {
    if (answer.body.length === 0) return {};
    try {
      return JSON.parse(answer.body.toString('utf8'));
    } catch {
      throw new GatewayError(`Pay1st answered ${answer.status} to ${answer.path} with a body that is not JSON`,
        answer.status);
    }
  }
  const pay1st = errorOf(answer);
  throw new GatewayError(`Pay1st answered ${answer.status} to ${answer.path}: `
    + `${pay1st.errorMessage ?? answer.body.toString('utf8').slice(0, 200)}`, answer.status, pay1st);
}
