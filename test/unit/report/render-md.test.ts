import { beforeEach, describe, expect, it } from 'vitest';
import type { ApplicationRecord } from '../../../src/core/types.js';
import { MD_LIMITS, renderMarkdown } from '../../../src/report/render-md.js';
import { renderToString } from '../../../src/report/writer.js';
import {
  CLIENT,
  FLOWS,
  emptyInput,
  makeApplication,
  makeInput,
  resetIds,
  sampleInput,
  xssInput,
} from '../../helpers/report-fixtures.js';

beforeEach(() => resetIds());

function tableRows(md: string, header: string): string[] {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => l.startsWith(header));
  expect(start).toBeGreaterThanOrEqual(0);
  const rows: string[] = [];
  for (const l of lines.slice(start + 2)) {
    if (!l.startsWith('|')) break;
    rows.push(l);
  }
  return rows;
}

/** Cells of a table row, honouring `\|` escapes. */
function cells(row: string): string[] {
  return row
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

describe('renderMarkdown', () => {
  it('titles the overall verdict and counts by verdict', async () => {
    const md = await renderToString('md', sampleInput());
    expect(md.split('\n')[0]).toBe('# Entra backup authentication (BAS) coverage: Not covered');
    expect(md).toContain('**Overall verdict: `not-covered`** for 7 applications and 14 exchanges');
    const counts = tableRows(md, '| Verdict | Applications | Exchanges |').map(cells);
    expect(counts).toEqual([
      ['not-covered', '3', '4'],
      ['unknown', '0', '1'],
      ['conditional', '2', '2'],
      ['covered', '2', '6'],
      ['not-applicable', '0', '1'],
    ]);
  });

  it('has one application row per application, worst first, with flows and top finding', async () => {
    const md = await renderToString('md', sampleInput());
    const rows = tableRows(md, '| Application | Client ID | App type |').map(cells);
    expect(rows).toHaveLength(7);
    expect(rows[0]).toEqual([
      '-',
      CLIENT.legacyCli,
      'native',
      'not-covered',
      'password x1, device\\_code x1',
      'ropc: Resource owner password credentials (ROPC) are not served by BAS.',
    ]);
    expect(rows.at(-1)?.[3]).toBe('covered');
  });

  it('lists findings with remediation and doc links, and the notes on what the wire cannot show', async () => {
    const md = await renderToString('md', sampleInput());
    expect(md).toContain(`### ${CLIENT.legacyCli} (native): not-covered`);
    expect(md).toMatch(
      /- \*\*error\*\* `ropc`: .*\(1 exchange\)\n {2}- Remediation: .+\n {2}- Docs: <https:\/\//,
    );
    expect(md).toContain('## What the wire cannot show');
    expect(md).toContain('3 days');
    expect(md).toContain('tokenIssuerType = AzureADBackupAuth');
    expect(md).toMatch(/client request id/i);
  });

  it('lists the exchanges to check with their client request ids', async () => {
    const md = await renderToString('md', sampleInput());
    const rows = tableRows(md, '| Started | Verdict |').map(cells);
    expect(rows).toHaveLength(7); // 4 not-covered + 1 unknown + 2 conditional
    expect(rows.every((r) => r[6]?.startsWith('c0ffee00-'))).toBe(true);
  });

  it('escapes pipes, newlines and markup from traffic inside table cells', async () => {
    const md = await renderToString('md', xssInput());
    const row = tableRows(md, '| Application | Client ID | App type |')[0] ?? '';
    expect(cells(row)).toHaveLength(6);
    expect(row).toContain('\\| pipe newline');
    expect(md).not.toContain('<script>');
    expect(md).not.toContain('<img');
    expect(md).toContain('&lt;script&gt;');
    expect(md).not.toContain('javascript:');
  });

  it('prints a finding count once: the session writes it into the message', async () => {
    const records = [FLOWS.ropc(), FLOWS.ropc()];
    const app = makeApplication(records);
    const counted = {
      ...app,
      findings: app.findings.map((f) => ({ ...f, message: `${f.message} (2 exchanges)` })),
    };
    const md = await renderToString('md', makeInput(records, [counted]));
    expect(md).toContain('(2 exchanges)');
    expect(md).not.toMatch(/\(2 exchanges\)\s*\(2 exchanges\)/);
    expect(md).not.toMatch(/\(\d+ exchanges?\)\s*\(\d+ exchanges?\)/);
    // A count inside the sentence counts too (the session's native-interactive and userinfo texts).
    const inside = {
      ...app,
      findings: app.findings.map((f) => ({
        ...f,
        message: `Seen (2 exchanges) but never silently.`,
      })),
    };
    const md2 = await renderToString('md', makeInput(records, [inside]));
    expect(md2).toMatch(/`ropc`: Seen \(2 exchanges\) but never silently\.\n/);
    // A message without a count still gets one.
    const plain = await renderToString('md', makeInput(records, [app]));
    expect(plain).toMatch(/`ropc`: [^\n]*\(2 exchanges\)\n/);
  });

  it('names applications wherever a name is known, with the client id beside it', async () => {
    const spa = FLOWS.spaPkce();
    const ropc = FLOWS.ropc();
    const named = makeApplication([ropc], { name: 'Payroll <b>Sync</b> | Legacy' });
    const unnamed = makeApplication([spa], { name: null });
    const md = await renderToString('md', makeInput([spa, ropc], [named, unnamed]));
    const shown = 'Payroll &lt;b&gt;Sync&lt;/b&gt; \\| Legacy';
    const rows = tableRows(md, '| Application | Client ID | App type |').map(cells);
    expect(rows.find((r) => r[1] === CLIENT.legacyCli)?.[0]).toBe(shown);
    expect(rows.find((r) => r[1] === CLIENT.spa)?.[0]).toBe('-');
    expect(md).toContain(`### ${shown} (${CLIENT.legacyCli}) (native): not-covered`);
    // The exchanges to check name their application too (ROPC is not covered).
    const exchanges = tableRows(md, '| Started | Verdict |').map(cells);
    expect(exchanges.map((r) => r[5])).toEqual([`${shown} (${CLIENT.legacyCli})`]);
    expect(md).not.toContain('<b>');
  });

  it('renders an empty session', async () => {
    const md = await renderToString('md', emptyInput());
    expect(md).toContain('No sign-in traffic');
    expect(md).toContain('No application signed in during this session.');
    expect(md).toContain('## What the wire cannot show');
  });

  it('caps rows and stays under the step-summary limit', async () => {
    const record = FLOWS.ropc();
    const apps: ApplicationRecord[] = Array.from({ length: 3000 }, (_, i) =>
      makeApplication([record], {
        clientId: `client-${String(i).padStart(5, '0')}-${'x'.repeat(300)}`,
        findings: makeApplication([record]).findings.map((f) => ({
          ...f,
          message: 'm'.repeat(2000),
        })),
      }),
    );
    const records = Array.from({ length: 500 }, () => FLOWS.ropc());
    let bytes = 0;
    let md = '';
    for await (const chunk of renderMarkdown(makeInput(records, apps))) {
      bytes += Buffer.byteLength(chunk);
      md += chunk;
    }
    expect(bytes).toBeLessThan(1024 * 1024);
    expect(tableRows(md, '| Application | Client ID | App type |')).toHaveLength(
      MD_LIMITS.applicationRows,
    );
    expect(md).toContain(`${3000 - MD_LIMITS.applicationRows} more applications not shown.`);
    expect(md).toContain('more exchanges not shown');
  });

  it('stops with a note before the byte budget runs out', async () => {
    const record = FLOWS.ropc();
    const base = makeApplication([record]);
    const apps = Array.from({ length: 50 }, (_, i) =>
      makeApplication([record], {
        clientId: `client-${i}`,
        findings: Array.from({ length: 20 }, () => ({
          ...base.findings[0]!,
          message: 'm'.repeat(5000),
          remediation: 'r'.repeat(5000),
        })),
      }),
    );
    const md = await renderToString('md', makeInput([record], apps));
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(MD_LIMITS.bytes + 1024);
    expect(md).toContain('The report was cut here to stay within the GitHub step summary limit');
    expect(md).not.toContain('m'.repeat(MD_LIMITS.findingChars + 1));
  });
});
