import { beforeEach, describe, expect, it } from 'vitest';
import { renderHar } from '../../../src/report/render-har.js';
import { renderToString } from '../../../src/report/writer.js';
import {
  FLOWS,
  emptyInput,
  makeInput,
  resetIds,
  sampleInput,
  sampleRecords,
} from '../../helpers/report-fixtures.js';

beforeEach(() => resetIds());

interface NV {
  name: string;
  value: string;
}
interface Entry {
  startedDateTime: string;
  time: number;
  request: {
    method: string;
    url: string;
    headers: NV[];
    queryString: NV[];
    postData?: { mimeType: string; params: NV[]; text: string };
  };
  response: { status: number; headers: NV[]; content: { mimeType: string } };
  timings: { send: number; wait: number; receive: number };
  comment: string;
  _entraBas: Record<string, unknown>;
}
interface Har {
  log: { version: string; creator: { name: string; version: string }; entries: Entry[] };
}

describe('renderHar', () => {
  it('is HAR 1.2 JSON with one entry per exchange', async () => {
    const har = JSON.parse(await renderToString('har', sampleInput())) as Har;
    expect(har.log.version).toBe('1.2');
    expect(har.log.creator).toEqual({ name: 'entra-bas-proxy', version: '0.1.0-test' });
    expect(har.log.entries).toHaveLength(sampleRecords().length);
    for (const e of har.log.entries) {
      expect(e.time).toBe(e.timings.send + e.timings.wait + e.timings.receive);
    }
  });

  it('rebuilds the request from the redacted evidence only', async () => {
    const ropc = FLOWS.ropc();
    const mi = FLOWS.managedIdentity();
    const har = JSON.parse(await renderToString('har', makeInput([ropc, mi]))) as Har;
    const [a, b] = har.log.entries;
    expect(a?.request.url).toBe(`https://login.microsoftonline.com${ropc.path}`);
    expect(a?.request.postData?.params).toEqual(
      Object.entries(ropc.evidence.form).map(([name, value]) => ({ name, value })),
    );
    expect(a?.request.postData?.text).toContain('password=%5Bredacted+sha256');
    expect(a?.comment).toBe('verdict: not-covered; reasons: ropc, non-msal-client');
    expect(a?._entraBas.verdict).toBe('not-covered');
    expect(a?._entraBas.grantType).toBe('password');
    expect(b?.request.url).toBe(
      'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net',
    );
    expect(b?.request.headers).toEqual([{ name: 'metadata', value: 'true' }]);
    expect(b?.request.queryString).toContainEqual({ name: 'api-version', value: '2018-02-01' });
  });

  it('keeps response status and kept headers, and holds no value the record lacks', async () => {
    const record = FLOWS.nativeSilent();
    const text = await renderToString('har', makeInput([record]));
    const har = JSON.parse(text) as Har;
    const e = har.log.entries[0];
    expect(e?.response.status).toBe(200);
    expect(e?.response.headers).toContainEqual({
      name: 'x-ms-request-id',
      value: record.serverRequestId,
    });
    expect(e?.response.content.mimeType).toBe('application/json; charset=utf-8');
    // Every string leaf of the HAR entry is derived from the record.
    const known = JSON.stringify(record);
    const leaves: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') leaves.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(e?.request.headers);
    walk(e?.request.postData?.params);
    walk(e?._entraBas);
    for (const leaf of leaves) expect(known).toContain(JSON.stringify(leaf).slice(1, -1));
  });

  it('renders an empty session and streams one chunk per entry', async () => {
    const har = JSON.parse(await renderToString('har', emptyInput())) as Har;
    expect(har.log.entries).toEqual([]);
    let chunks = 0;
    for await (const _ of renderHar(sampleInput())) chunks += 1;
    expect(chunks).toBe(sampleRecords().length + 2);
  });
});
