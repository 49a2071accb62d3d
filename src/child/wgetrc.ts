/**
 * The wgetrc `run` gives wget (WGETRC): wget ignores SSL_CERT_FILE, so the bundle goes in as
 * `ca_certificate`, with the proxy settings. One file per proxy port (the port is in it), removed
 * when the proxy closes. The user's own wgetrc (WGETRC, else ~/.wgetrc) comes first, so its other
 * settings still apply; ours come last and win.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileMode } from '../core/write-file-mode.js';

/** A user's wgetrc larger than this is left out (wgetrc files are a few lines). */
const MAX_USER_WGETRC = 64 * 1024;

function userWgetrc(base: NodeJS.ProcessEnv): string {
  const file = base.WGETRC ?? join(base.HOME ?? homedir(), '.wgetrc');
  try {
    const text = readFileSync(file, 'utf8');
    return text.length <= MAX_USER_WGETRC ? `# from ${file}\n${text}\n` : '';
  } catch {
    // No wgetrc of the user's: ours alone.
    return '';
  }
}

/** The wgetrc of the proxy listening on `port`. */
export function wgetrcPathFor(certsDir: string, port: number): string {
  return join(certsDir, `wgetrc-${port}`);
}

export async function writeWgetrc(o: {
  path: string;
  proxyUrl: string;
  bundlePath: string;
  noProxy: string;
  base: NodeJS.ProcessEnv;
}): Promise<void> {
  const text = [
    userWgetrc(o.base),
    '# entra-bas-proxy run: through the proxy, trusting the system roots plus the proxy CA',
    `ca_certificate = ${o.bundlePath}`,
    'use_proxy = on',
    `https_proxy = ${o.proxyUrl}`,
    `http_proxy = ${o.proxyUrl}`,
    ...(o.noProxy ? [`no_proxy = ${o.noProxy}`] : []),
    '',
  ].join('\n');
  await writeFileMode(o.path, text, 0o600);
}
