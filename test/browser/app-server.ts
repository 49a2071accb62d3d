/**
 * Serves one test SPA (test/browser/pages/<name>/) on loopback, with the MSAL bundle it needs from
 * node_modules and a generated /config.js. Chromium reaches it directly (loopback bypasses the
 * proxy), and http://localhost is a secure context, so WebCrypto (PKCE) works.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const PAGES = join(dirname(fileURLToPath(import.meta.url)), 'pages');

/** The browser (UMD) bundles, resolved through each package's own directory. */
const LIBS: Readonly<Record<string, string>> = {
  '/lib/msal-browser.js': join(
    dirname(require.resolve('@azure/msal-browser/package.json')),
    'lib/msal-browser.js',
  ),
  '/lib/msal.js': join(dirname(require.resolve('msal/package.json')), 'dist/msal.js'),
};

export interface AppConfig {
  readonly clientId: string;
  readonly authority: string;
  readonly scopes: readonly string[];
}

export interface RunningApp {
  /** http://localhost:PORT/ : the redirect URI too. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startApp(page: 'msal1' | 'msal2', config: AppConfig): Promise<RunningApp> {
  const files: Record<string, string> = {
    '/': readFileSync(join(PAGES, page, 'index.html'), 'utf8'),
    '/app.js': readFileSync(join(PAGES, page, 'app.js'), 'utf8'),
  };
  let redirectUri = '';
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    let body: string | undefined;
    let type = 'text/javascript; charset=utf-8';
    if (path === '/' || path === '/index.html') {
      body = files['/'];
      type = 'text/html; charset=utf-8';
    } else if (path === '/config.js') {
      body = `window.TEST_CONFIG = ${JSON.stringify({ ...config, redirectUri })};\n`;
    } else if (path === '/app.js') {
      body = files['/app.js'];
    } else {
      const lib = LIBS[path];
      if (lib !== undefined) body = readFileSync(lib, 'utf8');
    }
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  redirectUri = `http://localhost:${port}/`;
  return {
    url: redirectUri,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
