/**
 * The one list of report formats. Everything that names a format is derived from REPORT_FORMATS:
 * the writer (format by file extension), the CLI's `--out` check and its help, the dashboard's
 * download links, routes and content types, the files `demo` writes, and the ReportFormat type of
 * the programmatic API. A new format is one renderer (src/report/render-*.ts) plus one row here.
 */
import { extname } from 'node:path';
import { ToolError } from '../core/errors.js';
import type { ReportChunk, ReportInput } from './build.js';
import { renderHar } from './render-har.js';
import { renderHtml } from './render-html.js';
import { renderJson } from './render-json.js';
import { renderJunit } from './render-junit.js';
import { renderMarkdown } from './render-md.js';

/** A renderer: the report as chunks (text, or bytes already UTF-8), from `input.exchanges()`. */
export type Renderer = (input: ReportInput) => AsyncIterable<ReportChunk>;

export interface ReportFormatDecl {
  /**
   * File extensions, lowercase with their dot. The first is the format's own: the dashboard's
   * download (`/report.json`), the files `demo` writes, help and error texts. Others are accepted
   * too (`--out x.markdown`).
   */
  readonly extensions: readonly [string, ...string[]];
  /** The Content-Type of a download. */
  readonly contentType: string;
  /** What the format is, for people (the dashboard's link titles). */
  readonly label: string;
  /** What the extension alone does not say, shown beside it in help and errors: `.xml (JUnit)`. */
  readonly hint?: string;
  readonly render: Renderer;
}

export const REPORT_FORMATS = {
  json: {
    extensions: ['.json'],
    contentType: 'application/json; charset=utf-8',
    label: 'JSON report (CONTRACT.md)',
    render: renderJson,
  },
  md: {
    extensions: ['.md', '.markdown'],
    contentType: 'text/markdown; charset=utf-8',
    label: 'Markdown summary',
    render: renderMarkdown,
  },
  html: {
    extensions: ['.html', '.htm'],
    contentType: 'text/html; charset=utf-8',
    label: 'self-contained HTML page',
    render: renderHtml,
  },
  xml: {
    extensions: ['.xml'],
    contentType: 'application/xml; charset=utf-8',
    label: 'JUnit XML, one test case per application',
    hint: 'JUnit',
    render: renderJunit,
  },
  har: {
    extensions: ['.har'],
    contentType: 'application/json; charset=utf-8',
    label: 'the captured exchanges as a redacted HAR 1.2',
    render: renderHar,
  },
} as const satisfies Readonly<Record<string, ReportFormatDecl>>;

export type ReportFormat = keyof typeof REPORT_FORMATS;

/** Every format id, in the table's order. */
export const REPORT_FORMAT_IDS = Object.keys(REPORT_FORMATS) as readonly ReportFormat[];

/** A format's own extension (`.json`). */
export function ownExtension(format: ReportFormat): string {
  return REPORT_FORMATS[format].extensions[0];
}

/** The format a file name's extension says (any case), or null. */
export function formatOfFile(file: string): ReportFormat | null {
  const ext = extname(file).toLowerCase();
  if (ext === '') return null;
  return (
    REPORT_FORMAT_IDS.find((f) =>
      (REPORT_FORMATS[f].extensions as readonly string[]).includes(ext),
    ) ?? null
  );
}

/** The format of a report file from its extension; ToolError ERR_USAGE for any other. */
export function formatOf(file: string): ReportFormat {
  const format = formatOfFile(file);
  if (format === null) {
    throw new ToolError(
      'ERR_USAGE',
      `cannot tell the report format of ${file}: use ${orList(extensionNames())}`,
    );
  }
  return format;
}

/** The format of a format id given by a caller of the API; ToolError ERR_USAGE for any other. */
export function formatById(id: string): ReportFormat {
  if (!Object.hasOwn(REPORT_FORMATS, id)) {
    throw new ToolError(
      'ERR_USAGE',
      `no report format '${id}': ${orList(REPORT_FORMAT_IDS.map(String))}`,
    );
  }
  return id as ReportFormat;
}

/** Each format's own extension, with its hint when `hints` (`.xml (JUnit)`). */
export function extensionNames(o: { hints?: boolean } = {}): string[] {
  return REPORT_FORMAT_IDS.map((f) => {
    const row: ReportFormatDecl = REPORT_FORMATS[f];
    return o.hints === false || row.hint === undefined
      ? row.extensions[0]
      : `${row.extensions[0]} (${row.hint})`;
  });
}

/** `a, b, c or d` (`sep` between all but the last two). */
export function orList(items: readonly string[], sep = ', '): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(sep)} or ${items.at(-1) ?? ''}`;
}

/** The report in `format`, as chunks to stream. */
export function renderReport(format: ReportFormat, input: ReportInput): AsyncIterable<ReportChunk> {
  return REPORT_FORMATS[format].render(input);
}
