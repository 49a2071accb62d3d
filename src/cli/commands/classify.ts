/**
 * `classify FILE...`: recorded traffic (HAR), sign-in log exports, session logs and reports (every
 * kind of src/sources/registry.ts) through the same rules as the live proxy, into one report. With
 * `--workspace ID`, the `kql` query runs in that Log Analytics workspace first and its result table
 * is classified with the files.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToolError } from '../../core/errors.js';
import { plural } from '../../core/plural.js';
import type { ReportSource } from '../../core/types.js';
import { classifyFiles } from '../../session/classify-files.js';
import { writeSessionReports } from '../../session/finish.js';
import { KQL_DEFAULT_DAYS, kqlQuery } from '../../sources/signins/kql.js';
import { cliLogger, sessionStatus, summaryLine } from '../common.js';
import { checkInputFiles } from '../input-files.js';
import { sessionPathFor, type CommonOptions, type Parsed } from '../options.js';

export async function classifyCommand(p: Parsed): Promise<number> {
  const o = p.options;
  const files = p.positionals;
  if (files.length === 0 && o.workspace === null)
    throw new ToolError(
      'ERR_USAGE',
      'classify wants at least one HAR or sign-in log file, or --workspace ID',
    );
  if (o.days !== null && o.workspace === null)
    throw new ToolError('ERR_USAGE', '--days goes with --workspace (the files say their own days)');
  checkInputFiles(files, '*.har');
  if (o.workspace === null) return classifyInto(o, files);
  return classifyWorkspace(o, o.workspace, files);
}

async function classifyWorkspace(
  o: CommonOptions,
  workspace: string,
  files: readonly string[],
): Promise<number> {
  // Loaded here: classifying files needs none of the Azure SDK.
  const { azureCredential, endpoint, LOGS_URL } = await import('../../sources/azure/credential.js');
  const { queryWorkspace } = await import('../../sources/azure/workspace.js');
  const days = o.days ?? KQL_DEFAULT_DAYS;
  const dir = await mkdtemp(join(tmpdir(), 'entra-bas-workspace-'));
  try {
    const file = join(dir, 'workspace-result.json');
    const started = Date.now();
    process.stderr.write(
      `entra-bas-proxy: running the sign-in query in workspace ${workspace} (last ${plural(days, 'day')})...\n`,
    );
    const r = await queryWorkspace({
      workspace,
      days,
      query: kqlQuery({ days }),
      credential: azureCredential(),
      file,
    });
    process.stderr.write(
      `entra-bas-proxy: workspace ${workspace} answered ${plural(r.rows, 'row')} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    const partial = r.partial
      ? `PARTIAL RESULT: workspace ${workspace} answered only part of the query (${r.partial.code}${r.partial.message ? `: ${r.partial.message}` : ''}); the report counts only the sign-ins it returned`
      : null;
    if (partial) process.stderr.write(`entra-bas-proxy: ${partial}\n`);
    const base = endpoint('ENTRA_BAS_PROXY_TEST_LOGS_URL', LOGS_URL);
    const source: ReportSource = {
      kind: 'signins',
      name: `${base}/workspaces/${workspace}/query (last ${plural(days, 'day')}${partial ? '; PARTIAL result' : ''})`,
    };
    const status = await classifyInto(o, [...files, file], new Map([[file, source]]));
    if (!partial) return status;
    // Said again last, where a script's log ends: a partial result is never a quiet success.
    process.stderr.write(`entra-bas-proxy: ${partial}\n`);
    return status === 0 ? 1 : status;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Classifies `files` into the reports of `o.out` and returns the exit status. `labels` names a
 * file in the report's sources by what it stands for (a query, a pull) instead of its path.
 */
export async function classifyInto(
  o: CommonOptions,
  files: readonly string[],
  labels: ReadonlyMap<string, ReportSource> = new Map(),
): Promise<number> {
  const log = cliLogger({ ...o, quiet: true });
  const tty = process.stderr.isTTY === true;
  let lastShown = 0;
  const { recorded, sources, signIns } = await classifyFiles({
    files,
    keep: { log: sessionPathFor(o) },
    ...(o.format !== null ? { format: o.format } : {}),
    logger: log,
    onProgress: (file, items, bytes) => {
      if (!tty || Date.now() - lastShown < 200) return;
      lastShown = Date.now();
      process.stderr.write(`\r${file}: ${items} read, ${(bytes / 1048576).toFixed(1)} MiB`);
    },
    onSkipped: (file, skipped) => {
      if (tty) process.stderr.write('\r\x1b[K');
      const parts = [...skipped].map(([why, n]) => `${n} ${why}`);
      const total = [...skipped.values()].reduce((a, b) => a + b, 0);
      process.stderr.write(
        `entra-bas-proxy: ${file}: skipped ${plural(total, 'row', 'rows')} (${parts.join('; ')})\n`,
      );
    },
  });
  if (tty) process.stderr.write('\r\x1b[K');
  const named = sources.map((s) => labels.get(s.name) ?? s);
  let input;
  try {
    input = await writeSessionReports(recorded, named, o.out, { failOn: o.failOn });
  } finally {
    recorded.dispose();
  }
  const { skipped } = recorded.stats;
  if (skipped > 0) {
    process.stderr.write(
      `entra-bas-proxy: skipped ${plural(skipped, 'malformed HAR entry', 'malformed HAR entries')}\n`,
    );
  }
  if (signIns.rows > 0) {
    process.stderr.write(
      `entra-bas-proxy: ${plural(signIns.rows, 'sign-in log row', 'sign-in log rows')} read${signIns.joined > 0 ? `, ${plural(signIns.joined, 'captured exchange', 'captured exchanges')} joined to ${signIns.joined === 1 ? 'its' : 'their'} sign-in` : ''}\n`,
    );
  }
  process.stderr.write(summaryLine(recorded.session.summary(), o.out));
  return sessionStatus(input.head, o, 0);
}
