/**
 * Offline parity: the `classify`, `report` and `merge` commands of two builds (an old checkout's
 * dist/ and this one's) on the same inputs must write the same session logs and reports, byte for
 * byte once the wall-clock fields are left out, and exit and complain alike. Then `classify` of the
 * bench's big HAR, old and new in turns (A/B pairs), with wall time and peak RSS (/usr/bin/time).
 *
 *   node dist/tools/bench/offline-parity.js --old /path/to/old/checkout [--entries 100000] [--pairs 2]
 *
 * Inputs: the bench HAR (tools/bench/har-gen.ts), every HAR of test/fixtures/har (the broken ones
 * too: same exit status and message), one HAR holding every golden exchange of
 * test/fixtures/exchanges, sign-in log exports of four shapes (tools/bench/signin-gen.ts) with a
 * HAR joined to them, then `report` of each session log and `merge` of the JSON reports.
 * Exit status 1 when anything differs.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawExchange } from '../../src/core/types.js';
import { writeHar } from './har-gen.js';
import { run } from './offline-sections.js';
import {
  makeTenant,
  tenantRows,
  writeAdminCsv,
  writeDiag,
  writeGraph,
  writeLa,
} from './signin-gen.js';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const NEW_CLI = join(ROOT, 'dist/src/cli/main.js');
const OUTS = ['r.json', 'r.md', 'r.html', 'r.xml', 'r.har'];

function arg(name: string, dflt: string | null): string | null {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? null) : dflt;
}

/** Wall-clock values: a report's session times, JUnit's timestamp and suite time, the Markdown date line. */
function stable(text: string, today: string): string {
  return text
    .replace(new RegExp(`${today}T[\\d:.]+Z`, 'g'), '<now>')
    .replace(/^(\s*<testsuites? [^>]*)time="[\d.]+"/gm, '$1time="<wall>"');
}

interface Ran {
  readonly code: number | null;
  readonly stderr: string;
  /** Per file written: its text with the wall-clock values left out (small files), or a hash. */
  readonly files: Map<string, string>;
  readonly records: number | null;
}

/** Wall-clock values sit in a report's head and tail: the bytes between are hashed as they are. */
const EDGE = 64 * 1024;

function digest(buf: Buffer, log: boolean, today: string): string {
  // The session log's header is when it was written.
  if (log) buf = buf.subarray(buf.indexOf(10) + 1);
  if (buf.length <= 4 * EDGE) return stable(buf.toString('utf8'), today);
  const h = createHash('sha256');
  h.update(stable(buf.subarray(0, EDGE).toString('latin1'), today));
  h.update(buf.subarray(EDGE, buf.length - EDGE));
  h.update(stable(buf.subarray(buf.length - EDGE).toString('latin1'), today));
  return `${buf.length} bytes, sha256 ${h.digest('hex')}`;
}

function cli(
  which: string,
  args: readonly string[],
  dir: string,
  today: string,
  keep = false,
): Ran {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync(process.execPath, [which, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  const files = new Map<string, string>();
  let records: number | null = null;
  for (const f of readdirSync(dir).sort()) {
    const buf = readFileSync(join(dir, f));
    const log = f.endsWith('.ndjson');
    if (log) {
      records = -1;
      for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) records++;
    }
    files.set(f, digest(buf, log, today));
  }
  if (!keep) rmSync(dir, { recursive: true, force: true });
  return {
    code: r.status,
    stderr: stable(r.stderr.split(dir).join('<dir>'), today),
    files,
    records,
  };
}

const problems: string[] = [];
function compare(what: string, a: Ran, b: Ran): void {
  const before = problems.length;
  if (a.code !== b.code) problems.push(`${what}: exit ${a.code} (old) vs ${b.code} (new)`);
  if (a.stderr !== b.stderr)
    problems.push(`${what}: stderr differs:\n  old: ${a.stderr}\n  new: ${b.stderr}`);
  const names = new Set([...a.files.keys(), ...b.files.keys()]);
  for (const f of names) {
    const x = a.files.get(f);
    const y = b.files.get(f);
    if (x === y) continue;
    if (x === undefined || y === undefined) {
      problems.push(`${what}: ${f} written by ${x === undefined ? 'new' : 'old'} only`);
      continue;
    }
    let i = 0;
    while (i < x.length && x[i] === y[i]) i++;
    problems.push(
      `${what}: ${f} differs at ${i}:\n  old: ${x.slice(Math.max(0, i - 60), i + 80)}\n  new: ${y.slice(Math.max(0, i - 60), i + 80)}`,
    );
  }
  console.log(
    `${problems.length === before ? 'same' : 'DIFFERENT'}  ${what}  (exit ${a.code}${a.records !== null ? `, ${a.records} records` : ''})`,
  );
}

/** A HAR entry for a golden RawExchange (bodies as text, headers as they were). */
function harEntry(x: RawExchange): unknown {
  const headers = (h: Record<string, string>): { name: string; value: string }[] =>
    Object.entries(h).map(([name, value]) => ({ name, value }));
  const url = `${x.scheme}://${x.host}${x.port === (x.scheme === 'https' ? 443 : 80) ? '' : `:${x.port}`}${x.url}`;
  return {
    startedDateTime: x.startedAt,
    time: x.durationMs ?? 0,
    request: {
      method: x.method,
      url,
      httpVersion: 'HTTP/1.1',
      headers: headers(x.requestHeaders),
      queryString: [],
      cookies: [],
      headersSize: -1,
      bodySize: x.requestBody?.size ?? 0,
      ...(x.requestBody
        ? {
            postData: {
              mimeType: x.requestHeaders['content-type'] ?? '',
              text: x.requestBody.text,
            },
          }
        : {}),
    },
    response: {
      status: x.status ?? 0,
      statusText: '',
      httpVersion: 'HTTP/1.1',
      headers: headers(x.responseHeaders),
      cookies: [],
      content: {
        size: x.responseBody?.size ?? 0,
        mimeType: x.responseHeaders['content-type'] ?? '',
        text: x.responseBody?.text ?? '',
      },
      redirectURL: '',
      headersSize: -1,
      bodySize: x.responseBody?.size ?? 0,
    },
    cache: {},
    timings: { send: 0, wait: x.durationMs ?? 0, receive: 0 },
  };
}

async function main(): Promise<void> {
  const oldRoot = arg('old', null);
  if (!oldRoot) throw new Error('--old DIR (a checkout of the old build, with dist/) is required');
  const OLD_CLI = join(resolve(oldRoot), 'dist/src/cli/main.js');
  if (!existsSync(OLD_CLI) || !existsSync(NEW_CLI)) throw new Error('build both first');
  const entries = Number(arg('entries', '100000'));
  const pairs = Number(arg('pairs', '2'));
  const today = new Date().toISOString().slice(0, 10);
  const work = mkdtempSync(join(tmpdir(), 'ebp-parity-'));
  try {
    const inputs = join(work, 'in');
    mkdirSync(inputs);
    // Inputs.
    const big = join(inputs, `bench-${entries}.har`);
    await writeHar(big, entries);
    const fixtures = join(ROOT, 'test/fixtures/har');
    const hars = readdirSync(fixtures)
      .filter((f) => f.endsWith('.har'))
      .map((f) => join(fixtures, f));
    const goldenDir = join(ROOT, 'test/fixtures/exchanges');
    const golden = readdirSync(goldenDir)
      .filter((f) => f.endsWith('.json') && !f.endsWith('.expected.json'))
      .sort()
      .flatMap((f) => {
        const v = JSON.parse(readFileSync(join(goldenDir, f), 'utf8')) as unknown;
        const list = (Array.isArray(v) ? v : [v]) as { raw?: RawExchange }[];
        return list.map((x) => x.raw ?? (x as RawExchange));
      });
    const goldenHar = join(inputs, 'golden.har');
    writeFileSync(
      goldenHar,
      JSON.stringify({
        log: {
          version: '1.2',
          creator: { name: 'parity', version: '1' },
          entries: golden.map(harEntry),
        },
      }),
    );
    const tenant = makeTenant(40);
    const rows = [...tenantRows(tenant, 4000)].map((r) => r.row);
    const type = (r: Record<string, unknown>): string =>
      ((r['signInEventTypes'] as string[] | undefined) ?? [])[0] ?? '';
    const signins = [
      join(inputs, 'InteractiveSignIns_2026-11-01_2026-11-29.csv'),
      join(inputs, 'noninteractive.csv'),
      join(inputs, 'sp-pages.json'),
      join(inputs, 'mi.ndjson'),
    ];
    await writeAdminCsv(
      signins[0]!,
      rows.filter((r) => type(r) === 'interactiveUser'),
    );
    await writeLa(
      signins[1]!,
      rows.filter((r) => type(r) === 'nonInteractiveUser'),
      'csv',
    );
    await writeGraph(
      signins[2]!,
      rows.filter((r) => type(r) === 'servicePrincipal'),
      { pageSize: 50 },
    );
    await writeDiag(
      signins[3]!,
      rows.filter((r) => type(r) === 'managedIdentity'),
    );

    // classify, then report of its session log, then merge of the reports.
    const cases: [string, string[]][] = [
      ['classify golden.har', [goldenHar]],
      ...hars.map((h): [string, string[]] => [`classify ${basename(h)}`, [h]]),
      [
        'classify all fixture HARs at once',
        [
          ...hars.filter((h) => !/binary|empty|not-|trunc|array|no-entries|entries-not/.test(h)),
          goldenHar,
        ],
      ],
      ['classify sign-in logs + golden.har', [...signins, goldenHar]],
      [`classify ${basename(big)}`, [big]],
    ];
    const reports: string[] = [];
    for (const [i, [what, files]] of cases.entries()) {
      const args = [
        'classify',
        ...files,
        ...OUTS.flatMap((o) => ['--out', o]),
        '--session',
        's.ndjson',
      ];
      const a = cli(OLD_CLI, args, join(work, `old-${i}`), today);
      const b = cli(NEW_CLI, args, join(work, `new-${i}`), today, true);
      compare(what, a, b);
      if (a.code !== 0 && a.code !== 3) continue;
      const log = join(work, `new-${i}`, 's.ndjson');
      const rargs = ['report', log, ...OUTS.flatMap((o) => ['--out', o])];
      compare(
        `report (${what})`,
        cli(OLD_CLI, rargs, join(work, `old-r${i}`), today),
        cli(NEW_CLI, rargs, join(work, `new-r${i}`), today),
      );
      if (files.length < 3 && !files.includes(big)) reports.push(join(work, `new-${i}`, 'r.json'));
    }
    const margs = ['merge', ...reports, reports[0]!, ...OUTS.flatMap((o) => ['--out', o])];
    compare(
      `merge of ${reports.length + 1} reports (one twice)`,
      cli(OLD_CLI, margs, join(work, 'old-m'), today),
      cli(NEW_CLI, margs, join(work, 'new-m'), today),
    );

    // Performance: classify of the big HAR, old and new in turns.
    console.log(
      `\nclassify ${basename(big)} --out x.json --out x.html (A/B pairs, /usr/bin/time -v)`,
    );
    for (let p = 0; p < pairs; p++) {
      for (const [name, which] of [
        ['old', OLD_CLI],
        ['new', NEW_CLI],
      ] as const) {
        const dir = join(work, `perf-${name}-${p}`);
        mkdirSync(dir);
        const r = await run(
          [which, 'classify', big, '--out', 'x.json', '--out', 'x.html'],
          dir,
          120_000,
        );
        console.log(
          `  ${name}: exit ${r.code}, ${r.wallS.toFixed(2)} s wall, ${r.peakRssMb.toFixed(0)} MB peak RSS`,
        );
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (problems.length > 0) {
    console.log(`\n${problems.length} difference(s):\n${problems.join('\n')}`);
    process.exitCode = 1;
  } else console.log('\nno difference');
}

await main();
