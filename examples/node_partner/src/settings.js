// The partner's settings: defaults, overridden by NODE_PARTNER_* environment variables,
// overridden by command-line flags. Read once at start; nothing else reads the environment.

import { parseArgs } from 'node:util';

// name → [default, kind, help]. The flag is the kebab-case name (--pay1st-url), the environment
// variable NODE_PARTNER_ + the SNAKE_CASE name (NODE_PARTNER_PAY1ST_URL).
export const SETTINGS = {
  host: ['127.0.0.1', 'text', 'the address to listen on'],
  port: [5000, 'port', 'the port to listen on; 0 picks a free one (printed on stdout)'],
  pay1stUrl: ['http://127.0.0.1:8080', 'url', "Pay1st's Gateway API base URL (the emulator by default)"],
  checkoutUrl: ['', 'url', 'the hosted checkout base URL (pay.carry1st.com); default: --pay1st-url'],
  apiKey: ['sandbox-api-key', 'text', 'Gateway API Key (Basic auth on the token call)'],
  apiSecret: ['sandbox-api-secret', 'text', 'Gateway API Secret'],
  signingKey: ['hCyO_Flnu6aid-bhFYTYOowkxXRzoZkgzO32rB6Ik8Y', 'text', 'Gateway Signing Key (its text is the HMAC key)'],
  shopUsername: ['apiuser', 'text', "the Shop product's Basic Auth Username (keys the Summary signature)"],
  shopPassword: ['apipassword', 'text', "the Shop product's Basic Auth Password"],
  timestampToleranceSeconds: [300, 'seconds', "how far a payment event's X-TIMESTAMP may be from our clock"],
  tokenRefreshSeconds: [1800, 'seconds', 'refresh the access token once it is this old (Pay1st publishes no lifetime)'],
  pay1stTimeoutSeconds: [10, 'seconds', 'how long to wait for Pay1st before giving up on a call'],
  testHooks: [true, 'boolean', 'serve the /pay1st-test hooks the conformance pack drives (off in production)'],
  quiet: [false, 'boolean', 'do not log each request on stderr'],
};

/** Turn "pay1stUrl" into "pay1st-url" and "PAY1ST_URL". */
const kebab = (name) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const envName = (name) => `NODE_PARTNER_${kebab(name).replace(/-/g, '_').toUpperCase()}`;

/** The settings from `argv` (flags) over `env` over the defaults; throws Error on bad input. */
export function loadSettings(argv = process.argv.slice(2), env = process.env) {
  const options = { help: { type: 'boolean' } };
  for (const [name, [, kind]] of Object.entries(SETTINGS)) {
    options[kebab(name)] = { type: kind === 'boolean' ? 'boolean' : 'string' };
    if (kind === 'boolean') options[`no-${kebab(name)}`] = { type: 'boolean' };
  }
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  if (values.help) return { help: true };

  const settings = {};
  for (const [name, [fallback, kind]] of Object.entries(SETTINGS)) {
    let text = env[envName(name)];
    let source = envName(name);
    if (values[kebab(name)] !== undefined) [text, source] = [values[kebab(name)], `--${kebab(name)}`];
    if (values[`no-${kebab(name)}`]) [text, source] = [false, `--no-${kebab(name)}`];
    settings[name] = text === undefined || text === '' ? fallback : convert(text, kind, source);
  }
  settings.pay1stUrl = settings.pay1stUrl.replace(/\/+$/, '');
  settings.checkoutUrl = (settings.checkoutUrl || settings.pay1stUrl).replace(/\/+$/, '');
  return settings;
}

function convert(value, kind, source) {
  if (typeof value === 'boolean') return value;
  if (kind === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(value)) return true;
    if (/^(0|false|no|off)$/i.test(value)) return false;
    throw new Error(`${source} must be true or false; got ${JSON.stringify(value)}`);
  }
  if (kind === 'port') {
    const port = Number(value);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new Error(`${source} must be a port number from 0 to 65535; got ${JSON.stringify(value)}`);
    }
    return port;
  }
  if (kind === 'seconds') {
    const seconds = Number(value);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      throw new Error(`${source} must be a number of seconds above 0; got ${JSON.stringify(value)}`);
    }
    return seconds;
  }
  if (kind === 'url' && !/^https?:\/\/[^/]/.test(value)) {
    throw new Error(`${source} must be an http(s) URL; got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The --help text. */
export function usage() {
  const lines = ['Usage: node main.js [flags]', '',
    'A partner that integrates with Pay1st (Gateway v4 and the Carry1st Shop) correctly.',
    'Each flag can also be set with its environment variable (flags win); prefer the',
    'environment for secrets, which other users can read on a command line.', ''];
  for (const [name, [fallback, kind, help]] of Object.entries(SETTINGS)) {
    const flag = kind === 'boolean' ? `--${kebab(name)} / --no-${kebab(name)}` : `--${kebab(name)} VALUE`;
    lines.push(`  ${flag}`, `      ${help} [${envName(name)}; default ${JSON.stringify(fallback)}]`);
  }
  return lines.join('\n');
}
