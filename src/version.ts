import { readFileSync } from 'node:fs';

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    // Running from an unusual layout: the version is informative only.
    return '0.0.0';
  }
}

/** The package version, read once from package.json (dist/ and src/ are both one level below it). */
export const VERSION: string = readVersion();
