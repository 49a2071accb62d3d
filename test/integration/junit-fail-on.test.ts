/**
 * `--fail-on` reaches the JUnit renderer through the real CLI: with `--fail-on conditional` every
 * application at conditional or worse is a <failure> (and the run exits 3); without it, JUnit fails
 * not-covered applications only, as it always did.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderToString } from '../../src/report/writer.js';
import { runCli } from '../helpers/cli.js';
import { resetIds, sampleInput } from '../helpers/report-fixtures.js';
import { tempDir } from '../helpers/temp.js';

let dir: string;

beforeAll(async () => {
  dir = tempDir('ebp-junit-');
  resetIds();
  writeFileSync(join(dir, 'shard.json'), await renderToString('json', sampleInput()));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function failures(xml: string): { count: string; types: string[] } {
  const count = /<testsuite [^>]*failures="(\d+)"/.exec(xml)?.[1] ?? '';
  const types = [...xml.matchAll(/<failure [^>]*type="([a-z-]+)"/g)].map((m) => m[1] ?? '');
  return { count, types: types.sort() };
}

describe('JUnit and --fail-on through the CLI', () => {
  it('fails every application at or past --fail-on, and exits 3', async () => {
    const out = join(dir, 'conditional.xml');
    const r = await runCli([
      'merge',
      join(dir, 'shard.json'),
      '--out',
      out,
      '--fail-on',
      'conditional',
    ]);
    expect(r.code).toBe(3);
    const xml = readFileSync(out, 'utf8');
    expect(failures(xml)).toEqual({
      count: '6',
      types: ['conditional', 'conditional', 'not-covered', 'not-covered', 'not-covered', 'unknown'],
    });
    expect(xml).toContain('<property name="failOn" value="conditional"/>');
  });

  it('fails not-covered applications only without --fail-on', async () => {
    const out = join(dir, 'plain.xml');
    const r = await runCli(['merge', join(dir, 'shard.json'), '--out', out]);
    expect(r.code).toBe(0);
    expect(failures(readFileSync(out, 'utf8'))).toEqual({
      count: '3',
      types: ['not-covered', 'not-covered', 'not-covered'],
    });
  });
});
