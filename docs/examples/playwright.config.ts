// playwright.config.ts: a browser whose Entra sign-ins go through entra-bas-proxy.
// Start the proxy first (`npx entra-bas-proxy start --port 8080 --out bas.html`), or from a
// globalSetup with startProxy() and hand the values over through environment variables.
import { defineConfig } from '@playwright/test';

const proxy = process.env.ENTRA_BAS_PROXY_URL ?? 'http://127.0.0.1:8080';
// All leaf certificates share one key: trusting its SPKI hash trusts every intercepted host and
// nothing else. `startProxy()` returns it as `leafSpkiSha256`.
const spki = process.env.ENTRA_BAS_LEAF_SPKI ?? '';

export default defineConfig({
  use: {
    proxy: { server: proxy, bypass: 'localhost,127.0.0.1' },
    launchOptions: { args: spki ? [`--ignore-certificate-errors-spki-list=${spki}`] : [] },
  },
});
