/**
 * `signins pull --tenant ID`: a tenant's sign-ins from Graph beta (every event type, BAS issuer
 * values included) into a JSON-lines file that `classify` reads (`--out X.ndjson`), into reports
 * (`--out report.json` ...), or both. For tenants without a Log Analytics workspace.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToolError } from '../../core/errors.js';
import { plural } from '../../core/plural.js';
import type { ReportSource } from '../../core/types.js';
import { azureCredential, endpoint, GRAPH_URL } from '../../sources/azure/credential.js';
import { pullSignIns, type PullEventType } from '../../sources/azure/graph-signins.js';
import { isPulledFile, type Parsed } from '../options.js';
import { classifyInto } from './classify.js';

const TYPE_NAMES: Readonly<Record<PullEventType, string>> = {
  interactiveUser: 'interactive',
  nonInteractiveUser: 'non-interactive',
  servicePrincipal: 'service principal',
  managedIdentity: 'managed identity',
};

export async function signinsCommand(p: Parsed): Promise<number> {
  const [sub, ...more] = p.positionals;
  if (sub !== 'pull' || more.length > 0)
    throw new ToolError(
      'ERR_USAGE',
      `signins takes one subcommand, pull (entra-bas-proxy signins pull --tenant ID); got '${p.positionals.join(' ')}'`,
    );
  const o = p.options;
  const tenant = o.tenant;
  if (tenant === null)
    throw new ToolError('ERR_USAGE', 'signins pull wants --tenant ID (the tenant ID or domain)');
  const days = o.days ?? 30;
  if (days > 30)
    throw new ToolError(
      'ERR_USAGE',
      `--days ${days}: Entra keeps sign-in logs 30 days, so signins pull reads 1-30 (older ones: a Log Analytics workspace, classify --workspace)`,
    );
  const pulledOut = o.out.filter(isPulledFile);
  const reports = o.out.filter((f) => !isPulledFile(f));
  if (pulledOut.length > 1)
    throw new ToolError(
      'ERR_USAGE',
      `one .ndjson/.jsonl --out at most; got ${pulledOut.join(', ')}`,
    );
  const dir = pulledOut.length === 0 ? await mkdtemp(join(tmpdir(), 'entra-bas-pull-')) : null;
  try {
    const file = pulledOut[0] ?? join(dir ?? '.', 'signins.ndjson');
    const tty = process.stderr.isTTY === true;
    const started = Date.now();
    process.stderr.write(
      `entra-bas-proxy: reading the sign-ins of tenant ${tenant} from Graph (last ${plural(days, 'day')}, every event type)...\n`,
    );
    let current: PullEventType | null = null;
    let currentRows = 0;
    const typeDone = (): void => {
      if (current === null) return;
      if (tty) process.stderr.write('\r\x1b[K');
      process.stderr.write(
        `entra-bas-proxy: ${plural(currentRows, `${TYPE_NAMES[current]} sign-in`)}\n`,
      );
    };
    const r = await pullSignIns({
      tenant,
      days,
      file,
      credential: azureCredential(),
      onPage: (type, rows, pages) => {
        if (type !== current) {
          typeDone();
          current = type;
        }
        currentRows = rows;
        if (tty) process.stderr.write(`\r${TYPE_NAMES[type]}: ${rows} sign-ins, page ${pages}`);
      },
      onRetry: (why, wait, attempt) => {
        if (tty) process.stderr.write('\r\x1b[K');
        process.stderr.write(
          `entra-bas-proxy: Graph answered ${why}: trying again in ${plural(wait, 'second')} (retry ${attempt})\n`,
        );
      },
    });
    typeDone();
    const total = Object.values(r.rows).reduce((a, b) => a + b, 0);
    process.stderr.write(
      `entra-bas-proxy: pulled ${plural(total, 'sign-in')} in ${plural(r.pages, 'page')} (${((Date.now() - started) / 1000).toFixed(1)} s${r.retried > 0 ? `, ${plural(r.retried, 'retry', 'retries')}` : ''})\n`,
    );
    if (dir === null) {
      process.stderr.write(
        `entra-bas-proxy: wrote ${file}; classify it with: entra-bas-proxy classify ${file}\n`,
      );
    }
    if (reports.length === 0) return 0;
    const base = endpoint('ENTRA_BAS_PROXY_TEST_GRAPH_URL', GRAPH_URL);
    const name = `${base}/beta/auditLogs/signIns (tenant ${tenant}, last ${plural(days, 'day')})`;
    const labels = new Map<string, ReportSource>(
      dir === null ? [] : [[file, { kind: 'signins', name }]],
    );
    return await classifyInto({ ...o, out: reports }, [file], labels);
  } finally {
    if (dir !== null) await rm(dir, { recursive: true, force: true });
  }
}
