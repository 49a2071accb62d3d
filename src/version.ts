import { readFileSync } from 'node:fs';

function readVersion(): string {
  // src/version.ts is one level below package.json, dist/src/version.js two.
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'entra-bas-proxy' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not at this level: try the next.
    }
  }
  // Running from an unusual layout: the version is informative only.
  return '0.0.0';
}

/** The package version, read once from package.json (src/ one level below it, dist/src/ two). */
export const VERSION: string = readVersion();
