/**
 * The report-format registry (src/report/formats.ts) is the one list of formats: every row is
 * written by the writer, accepted by `--out`, named in the help, downloadable from the dashboard
 * (link, route, content type, file name) and written by `demo`. Every check below walks the
 * registry, so a new row is checked everywhere without touching this file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { commandHelp, globalHelp } from '../../../src/cli/help.js';
import { parseOptions, sessionPathFor } from '../../../src/cli/options.js';
import { demoOutputs } from '../../../src/cli/commands/demo.js';
import { ToolError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import {
  REPORT_FORMATS,
  REPORT_FORMAT_IDS,
  formatById,
  formatOf,
  formatOfFile,
  ownExtension,
  renderReport,
  type ReportFormatDecl,
} from '../../../src/report/formats.js';
import { renderToString } from '../../../src/report/writer.js';
import { renderPage } from '../../../src/ui/page.js';
import { startDashboard, type RunningDashboard } from '../../../src/ui/server.js';
import { resetIds, sampleInput } from '../../helpers/report-fixtures.js';
import { createFakeLive, makeRecord } from '../ui/fake-live.js';
import { get } from '../ui/http.js';

const ROWS = REPORT_FORMAT_IDS.map((id) => [id, REPORT_FORMATS[id] as ReportFormatDecl] as const);

function usageError(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ToolError);
    expect((err as ToolError).code).toBe('ERR_USAGE');
    const msg = (err as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error('no usage error');
}

describe('the registry', () => {
  it('holds the formats of CONTRACT.md --out, each with its own extension first', () => {
    expect(REPORT_FORMAT_IDS.map(ownExtension)).toEqual(['.json', '.md', '.html', '.xml', '.har']);
    const all = ROWS.flatMap(([, row]) => row.extensions);
    expect(new Set(all).size).toBe(all.length); // no extension names two formats
    for (const ext of all) expect(ext).toMatch(/^\.[a-z0-9]+$/);
  });

  it.each(ROWS)('%s: every extension, any case, names it; it renders', async (id, row) => {
    for (const ext of row.extensions) {
      expect(formatOf(`out/r${ext}`)).toBe(id);
      expect(formatOf(`R${ext.toUpperCase()}`)).toBe(id);
    }
    expect(row.contentType).toMatch(/^[a-z]+\/[a-z+.-]+; charset=utf-8$/);
    expect(row.label.length).toBeGreaterThan(2);
    const text = await renderToString(id, sampleInput());
    expect(text.length).toBeGreaterThan(100);
  });

  it('refuses other extensions and other ids with one line naming the formats', () => {
    const msg = usageError(() => formatOf('r.pdf'));
    expect(msg).toBe(
      'cannot tell the report format of r.pdf: use .json, .md, .html, .xml (JUnit) or .har',
    );
    expect(formatOfFile('report')).toBeNull();
    expect(formatOfFile('r.json.bak')).toBeNull();
    expect(usageError(() => formatById('pdf'))).toBe(
      "no report format 'pdf': json, md, html, xml or har",
    );
    expect(usageError(() => formatById('toString'))).toMatch(/^no report format 'toString'/);
    for (const id of REPORT_FORMAT_IDS) expect(formatById(id)).toBe(id);
  });
});

describe('the CLI derives --out from the registry', () => {
  it.each(ROWS)('%s: --out takes each of its extensions', (id, row) => {
    for (const ext of row.extensions) {
      for (const cmd of ['classify', 'start', 'report'] as const) {
        expect(parseOptions(['--out', `x${ext}`], cmd).options.out).toEqual([`x${ext}`]);
      }
      // the session log goes beside the first report, without the report's extension
      expect(sessionPathFor(parseOptions(['--out', `d/x${ext}`], 'classify').options)).toBe(
        'd/x.session.ndjson',
      );
    }
    expect(formatOf(`x${row.extensions[0]}`)).toBe(id);
  });

  it('refuses any other extension with one line that names every format', () => {
    const msg = usageError(() => parseOptions(['--out', 'r.pdf'], 'classify'));
    expect(msg).toBe('--out r.pdf: the extension must be .json, .md, .html, .xml or .har');
    for (const id of REPORT_FORMAT_IDS) expect(msg).toContain(ownExtension(id));
  });

  it.each(['classify', 'start', 'run', 'report', 'merge', 'demo'] as const)(
    'the help of %s names every format',
    (cmd) => {
      const help = commandHelp(cmd);
      for (const id of REPORT_FORMAT_IDS) {
        expect(help).toMatch(new RegExp(`[ (]\\${ownExtension(id)}[ )\n]`));
      }
    },
  );

  it('the help says what an extension does not (.xml is JUnit)', () => {
    expect(globalHelp()).toContain('.json .md .html .xml (JUnit) .har');
  });
});

describe('demo writes every format', () => {
  const opts = (out: string[]) =>
    parseOptions(
      out.flatMap((o) => ['--out', o]),
      'demo',
    ).options;

  it('a folder gets one report per format, named by its own extension', () => {
    const { out, dirs } = demoOutputs(opts(['my-demo']));
    expect(dirs).toEqual(['my-demo']);
    expect(out).toEqual(REPORT_FORMAT_IDS.map((f) => `my-demo/entra-bas-report${ownExtension(f)}`));
  });

  it.each(ROWS)(
    '%s: a file with any of its extensions is a report file, not a folder',
    (_, row) => {
      for (const ext of row.extensions) {
        expect(demoOutputs(opts([`x${ext}`]))).toMatchObject({ out: [`x${ext}`], dirs: [] });
      }
    },
  );
});

describe('the dashboard offers every format', () => {
  let dashboard: RunningDashboard | undefined;
  afterEach(async () => {
    await dashboard?.close();
    dashboard = undefined;
  });

  it('links each one from the page', () => {
    const html = renderPage('bm9uY2U=');
    for (const [id, row] of ROWS) {
      const ext = ownExtension(id);
      expect(html).toContain(`<a href="/report${ext}" download="entra-bas-report${ext}"`);
      expect(html).toContain(`title="${row.label}">${ext}</a>`);
    }
  });

  it('serves each one, rendered by its renderer, with its content type and file name', async () => {
    // A session whose reports are the real renderers' output for the sample input.
    const live = createFakeLive();
    live.add(makeRecord());
    // (resetIds: the sample's record ids count up from the first call.)
    const sample = () => (resetIds(), sampleInput());
    live.renderStream = (id) => Promise.resolve(renderReport(formatById(id), sample()));
    dashboard = await startDashboard({ live, logger: silentLogger() });
    for (const [id, row] of ROWS) {
      const ext = ownExtension(id);
      const res = await get(dashboard.url, `/report${ext}`);
      expect(res.status, id).toBe(200);
      expect(res.headers['content-type']).toBe(row.contentType);
      expect(res.headers['content-disposition']).toBe(
        `attachment; filename="entra-bas-report${ext}"`,
      );
      expect(res.body).toBe(await renderToString(id, sample()));
    }
    expect((await get(dashboard.url, '/report.pdf')).status).toBe(404);
    expect((await get(dashboard.url, '/report.')).status).toBe(404);
  });
});
