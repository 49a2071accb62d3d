/**
 * The source registry (src/sources/registry.ts): each kind is told from its content or its name,
 * `--format` and its help come from the list, the vocabularies a report uses are checked against
 * it and against the JSON Schema, and a bad file of each kind is one line, never a stack.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandHelp } from '../../../src/cli/help.js';
import { parseOptions } from '../../../src/cli/options.js';
import { ToolError } from '../../../src/core/errors.js';
import { RECORD_SOURCES, REPORT_SOURCE_KINDS } from '../../../src/core/types.js';
import { classifyFiles } from '../../../src/session/classify-files.js';
import {
  SOURCE_KINDS,
  SOURCE_KIND_IDS,
  detectSourceKind,
  isSourceKindId,
  type SourceKindId,
} from '../../../src/sources/registry.js';
import { tempDir } from '../../helpers/temp.js';

const SESSION_HEADER =
  '{"type":"session","schemaVersion":1,"tool":"entra-bas-proxy","startedAt":"2026-01-01T00:00:00.000Z"}\n';
const REPORT_HEAD = '{\n  "schemaVersion": 1,\n  "tool": {\n    "name": "entra-bas-proxy",';

/** Content of a file of each kind, under a name that does not give the kind away. */
const BY_CONTENT: readonly [SourceKindId, string][] = [
  ['har', '{"log":{"version":"1.2","entries":[]}}'],
  ['har', '\uFEFF  {\n  "log" : {"entries": []}}'],
  ['session', SESSION_HEADER],
  ['report', `${REPORT_HEAD} "version": "0.1.0" } }`],
  ['signins', '{"@odata.context":"x","value":[]}'],
  ['signins', 'Date (UTC),Application ID,Correlation ID\n'],
  ['signins', 'anything at all'],
];

function file(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('SOURCE_KINDS', () => {
  it.each(BY_CONTENT.map(([kind, text], i) => [kind, i, text] as const))(
    'tells %s from its content (case %i)',
    async (kind, i, text) => {
      const dir = tempDir('registry');
      expect((await detectSourceKind(file(dir, `input-${i}.data`, text))).id).toBe(kind);
    },
  );

  it('tells a kind from the file name first, so a broken file gets its own reader’s message', async () => {
    const dir = tempDir('registry');
    expect((await detectSourceKind(file(dir, 'x.HAR', 'garbage'))).id).toBe('har');
    expect((await detectSourceKind(file(dir, 'x.session.ndjson', 'garbage'))).id).toBe('session');
    // A name no kind claims is read by content.
    expect((await detectSourceKind(file(dir, 'x.ndjson', SESSION_HEADER))).id).toBe('session');
  });

  it('says in one line that a file cannot be read', async () => {
    const dir = tempDir('registry');
    const err = await detectSourceKind(join(dir, 'missing.json')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect(err).toMatchObject({ code: 'ERR_INPUT', message: 'missing.json: cannot read (ENOENT)' });
  });

  it('has unique ids, the catch-all last, and a reader for each kind', async () => {
    expect(new Set(SOURCE_KIND_IDS).size).toBe(SOURCE_KINDS.length);
    expect(SOURCE_KINDS.at(-1)?.sniff('')).toBe(true);
    for (const k of SOURCE_KINDS.slice(0, -1)) expect(k.sniff('')).toBe(false);
    for (const k of SOURCE_KINDS) {
      expect(['entries', 'sign-ins', 'records']).toContain((await k.load()).yields);
    }
  });

  it('gives --format its values, its error and its help', () => {
    expect(SOURCE_KIND_IDS).toEqual(['har', 'session', 'report', 'signins']);
    for (const id of SOURCE_KIND_IDS) {
      expect(isSourceKindId(id)).toBe(true);
      expect(parseOptions(['--format', id, 'x'], 'classify').options.format).toBe(id);
    }
    expect(() => parseOptions(['--format', 'xml', 'x'], 'classify')).toThrow(
      "--format wants har, session, report or signins; got 'xml'",
    );
    const help = commandHelp('classify');
    expect(help).toContain('har|session|report|signins');
    for (const k of SOURCE_KINDS) expect(help).toContain(`${k.id.padEnd(9)}${k.label}`);
  });

  it('names only report source kinds and record sources the report vocabulary has', () => {
    const reportKinds = new Set(SOURCE_KINDS.map((k) => k.reportKind));
    const recordSources = new Set(SOURCE_KINDS.map((k) => k.recordSource));
    for (const k of reportKinds) expect(REPORT_SOURCE_KINDS).toContain(k);
    for (const s of recordSources) if (s !== null) expect(RECORD_SOURCES).toContain(s);
    // Nothing stale: every kind but the live proxy's comes from an input kind.
    expect(REPORT_SOURCE_KINDS.filter((k) => k !== 'proxy' && !reportKinds.has(k))).toEqual([]);
    expect(RECORD_SOURCES.filter((s) => s !== 'proxy' && !recordSources.has(s))).toEqual([]);
  });

  it('is declared by the JSON Schema, which only gains', () => {
    const schema = JSON.parse(
      readFileSync(new URL('../../../schema/report.schema.json', import.meta.url), 'utf8'),
    ) as { $defs: Record<string, { properties?: Record<string, { enum?: string[] }> }> };
    const reportKinds = schema.$defs['source']?.properties?.['kind']?.enum ?? [];
    const recordSources = schema.$defs['exchange']?.properties?.['source']?.enum ?? [];
    // What the code can write, and what reports have carried so far (never dropped).
    for (const k of [...REPORT_SOURCE_KINDS, 'proxy', 'har', 'session', 'merge', 'signins'])
      expect(reportKinds).toContain(k);
    for (const s of [...RECORD_SOURCES, 'proxy', 'har', 'signin-log'])
      expect(recordSources).toContain(s);
  });
});

describe('a bad file of each kind', () => {
  const cases: readonly [string, string, SourceKindId | undefined, string, RegExp][] = [
    ['cut.har', '{"log":{"entries":[{"a":', undefined, 'ERR_HAR_INVALID', /^cut\.har: /],
    ['x.session.ndjson', 'not a log\n', undefined, 'ERR_SESSION_INVALID', /^x\.session\.ndjson: /],
    ['r.json', '{"schemaVersion": 1, "tool"', 'report', 'ERR_REPORT_INVALID', /r\.json: not JSON$/],
    ['x.csv', 'a,b,c\n1,2,3\n', undefined, 'ERR_SIGNINS_INVALID', /^x\.csv: a CSV whose header/],
    [
      'h.json',
      '{"log":{"entries":[]}}',
      'signins',
      'ERR_SIGNINS_INVALID',
      /a HAR file, not a sign-in/,
    ],
  ];
  it.each(cases)('%s: one line, %s', async (name, text, format, code, message) => {
    const dir = tempDir('registry-bad');
    const err = await classifyFiles({
      files: [file(dir, name, text)],
      keep: { log: join(dir, 's.ndjson') },
      workers: 0,
      ...(format ? { format } : {}),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect(err).toMatchObject({ code });
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });
});
