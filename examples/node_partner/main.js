#!/usr/bin/env node
// `node main.js [flags]`: run the partner until Ctrl+C or SIGTERM (see --help, or README.md).
//
// Prints the URLs to configure in Pay1st, then `NODE_PARTNER_URL=http://host:port` on its own
// line, so a script that started it with --port 0 can read the port it got.

import { createPartner } from './src/server.js';
import { loadSettings, usage } from './src/settings.js';

let settings;
try {
  settings = loadSettings();
} catch (error) {
  process.stderr.write(`error: ${error.message}\n`);
  process.exit(2);
}
if (settings.help) {
  process.stdout.write(`${usage()}\n`);
  process.exit(0);
}

const running = createPartner(settings);
let url;
try {
  url = await running.start();
} catch (error) {
  process.stderr.write(`error: cannot listen on ${settings.host}:${settings.port}: ${error.message}\n`);
  process.exit(2);
}
process.stdout.write([
  `Node partner on ${url}, talking to Pay1st at ${settings.pay1stUrl}`,
  `  User Info Webhook:      ${url}/pay1st/user-info`,
  `  Summary Webhook:        ${url}/pay1st/summary`,
  `  Payment Webhook Events: ${url}/pay1st/payment-events`,
  `  test hooks:             ${settings.testHooks ? `${url}/pay1st-test` : 'off'}`,
  `NODE_PARTNER_URL=${url}`,
  '',
].join('\n'));

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await running.stop(); // stop listening, then let queued fulfilments reach Pay1st
    process.exit(0);
  });
}
