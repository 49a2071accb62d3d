import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  APP_TYPES,
  CLIENT_CREDENTIALS,
  CLIENT_TYPES,
  CLOUDS,
  ENDPOINTS,
  GRANT_TYPES,
  PROTOCOLS,
  REASON_CODES,
  SAML_INITIATIONS,
  VERDICTS,
  type ExchangeRecord,
} from '../../../src/core/types.js';
import type { ReportInput } from '../../../src/report/build.js';
import { renderJson } from '../../../src/report/render-json.js';
import { renderToString } from '../../../src/report/writer.js';
import {
  FLOWS,
  emptyInput,
  makeInput,
  resetIds,
  sampleInput,
  sampleRecords,
  xssInput,
} from '../../helpers/report-fixtures.js';

const schema = JSON.parse(
  readFileSync(new URL('../../../schema/report.schema.json', import.meta.url), 'utf8'),
) as Record<string, unknown> & { $defs: Record<string, { enum?: unknown[] }> };

let compiled: ReturnType<Ajv2020['compile']> | undefined;
/** The schema compiled once (strict mode: the schema must be clean for ajv's defaults too). */
function validator(): ReturnType<Ajv2020['compile']> {
  if (!compiled) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    compiled = ajv.compile(schema);
  }
  return compiled;
}

async function collect(input: ReportInput): Promise<{ text: string; chunks: number }> {
  let text = '';
  let chunks = 0;
  for await (const c of renderJson(input)) {
    text += c;
    chunks += 1;
  }
  return { text, chunks };
}

async function recordsOf(input: ReportInput): Promise<ExchangeRecord[]> {
  const out: ExchangeRecord[] = [];
  for await (const r of input.exchanges()) out.push(r);
  return out;
}

beforeEach(() => resetIds());

describe('renderJson', () => {
  it('equals JSON.stringify of the same report, keys in contract order', async () => {
    const input = sampleInput();
    const { text } = await collect(input);
    const expected = { ...input.head, exchanges: await recordsOf(input) };
    expect(JSON.parse(text)).toStrictEqual(JSON.parse(JSON.stringify(expected)));
    expect(Object.keys(JSON.parse(text) as object)).toEqual([
      'schemaVersion',
      'tool',
      'session',
      'summary',
      'applications',
      'exchanges',
    ]);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('puts the head indented by 2 spaces and one exchange per line', async () => {
    const input = sampleInput();
    const { text } = await collect(input);
    const records = await recordsOf(input);
    expect(
      text.startsWith('{\n  "schemaVersion": 1,\n  "tool": {\n    "name": "entra-bas-proxy",'),
    ).toBe(true);
    const lines = text.split('\n');
    for (const r of records) {
      const line = lines.find((l) => l.includes(`"id":"${r.id}"`));
      expect(line?.trim().replace(/,$/, '')).toBe(JSON.stringify(r));
    }
  });

  it('streams: one chunk per exchange plus head and tail', async () => {
    const input = sampleInput();
    const { chunks } = await collect(input);
    expect(chunks).toBe(sampleRecords().length + 2);
  });

  it('renders an empty session as valid JSON with empty arrays', async () => {
    const { text } = await collect(emptyInput());
    const parsed = JSON.parse(text) as { exchanges: unknown[]; applications: unknown[] };
    expect(parsed.exchanges).toEqual([]);
    expect(parsed.applications).toEqual([]);
  });

  it('never emits an `exchanges` key from the head', async () => {
    const input = sampleInput();
    const head = { ...input.head, exchanges: ['stray'] } as unknown as ReportInput['head'];
    const { text } = await collect({ head, exchanges: input.exchanges });
    expect((JSON.parse(text) as { exchanges: unknown[] }).exchanges).not.toContain('stray');
  });
});

describe('schema/report.schema.json', () => {
  const cases: [string, () => ReportInput][] = [
    ['sample session', sampleInput],
    ['empty session', emptyInput],
    ['XSS payloads', xssInput],
    ...Object.entries(FLOWS).map(([name, make]): [string, () => ReportInput] => [
      name,
      () => makeInput([make()]),
    ]),
  ];
  it.each(cases)('validates the report of %s', async (_name, make) => {
    const validate = validator();
    const report = JSON.parse(await renderToString('json', make())) as unknown;
    const ok = validate(report);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('compiles with a default Ajv 2020 instance (no formats plugin, no options)', () => {
    expect(() => new Ajv2020().compile(schema)).not.toThrow();
  });

  it('has the enums of the contract', () => {
    const d = schema.$defs;
    expect(d.cloud?.enum).toEqual([...CLOUDS]);
    expect(d.protocol?.enum).toEqual([...PROTOCOLS]);
    expect(d.endpoint?.enum).toEqual([...ENDPOINTS]);
    expect(d.grantType?.enum).toEqual([...GRANT_TYPES]);
    expect(d.clientType?.enum).toEqual([...CLIENT_TYPES]);
    expect(d.clientCredential?.enum).toEqual([...CLIENT_CREDENTIALS]);
    expect(d.appType?.enum).toEqual([...APP_TYPES]);
    expect(d.samlInitiation?.enum).toEqual([...SAML_INITIATIONS]);
    expect(d.verdict?.enum).toEqual([...VERDICTS]);
    expect(d.reasonCode?.enum).toEqual([...REASON_CODES]);
    expect(d.severity?.enum).toEqual(['error', 'warning', 'info']);
  });

  it('rejects a report missing a contract field or with an unknown enum value', async () => {
    const validate = validator();
    const good = JSON.parse(await renderToString('json', sampleInput())) as {
      exchanges: Record<string, unknown>[];
      applications: Record<string, unknown>[];
    };
    const noClientRequestId = structuredClone(good);
    delete noClientRequestId.exchanges[0]?.clientRequestId;
    expect(validate(noClientRequestId)).toBe(false);
    const badVerdict = structuredClone(good);
    if (badVerdict.applications[0]) badVerdict.applications[0].verdict = 'mostly-fine';
    expect(validate(badVerdict)).toBe(false);
    const badDate = structuredClone(good);
    if (badDate.exchanges[0]) badDate.exchanges[0].startedAt = 'yesterday';
    expect(validate(badDate)).toBe(false);
    const badCode = structuredClone(good);
    if (badCode.exchanges[1]) badCode.exchanges[1].reasons = [{ code: 'nope', message: 'x' }];
    expect(validate(badCode)).toBe(false);
  });

  it('types the optional names: an application name (string or null), an exchange appName (string)', async () => {
    const validate = validator();
    const good = JSON.parse(await renderToString('json', sampleInput())) as {
      exchanges: Record<string, unknown>[];
      applications: Record<string, unknown>[];
    };
    const named = structuredClone(good);
    if (named.applications[0]) named.applications[0].name = 'Contoso Desktop';
    if (named.applications[1]) named.applications[1].name = null;
    if (named.exchanges[0]) named.exchanges[0].appName = 'Contoso Desktop';
    expect(validate(named)).toBe(true);
    const badName = structuredClone(good);
    if (badName.applications[0]) badName.applications[0].name = 42;
    expect(validate(badName)).toBe(false);
    const nullAppName = structuredClone(good);
    if (nullAppName.exchanges[0]) nullAppName.exchanges[0].appName = null;
    expect(validate(nullAppName)).toBe(false);
  });

  it('allows fields added later', async () => {
    const validate = validator();
    const report = JSON.parse(await renderToString('json', sampleInput())) as Record<
      string,
      unknown
    > & {
      exchanges: Record<string, unknown>[];
    };
    report.futureField = { x: 1 };
    if (report.exchanges[0]) report.exchanges[0].futureField = 'x';
    expect(validate(report)).toBe(true);
  });
});
