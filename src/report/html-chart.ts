/**
 * The HTML report's chart of verdicts per application (an inline SVG: no script, no external
 * resource). Everything from traffic is escaped here. Pure.
 */
import { VERDICTS, type ApplicationRecord, type Verdict } from '../core/types.js';
import { appLabel, appName } from './app-label.js';
import { esc } from './html-escape.js';

/** Worst first: the order of stacked segments, legends and counts. */
export const WORST_FIRST: readonly Verdict[] = [...VERDICTS].reverse();

export function zeroCounts(): Record<Verdict, number> {
  return Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
}

/** Geometry of the per-application chart (SVG user units; the SVG scales to the page width). */
const CHART = { labelW: 340, barW: 440, countW: 70, rowH: 26, barH: 18, top: 52 } as const;

/**
 * The per-application chart: one stacked bar per application (its exchanges by verdict, worst
 * first) on one scale of exchanges with round ticks, a legend, and a text description for screen
 * readers. `counts[i]` belongs to `apps[i]`; at most `maxApps` bars are drawn.
 */
export function chartSection(
  apps: readonly ApplicationRecord[],
  counts: ReadonlyArray<Record<Verdict, number>>,
  maxApps: number,
): string {
  if (apps.length === 0)
    return '<section id="chart"><h2>Verdicts per application</h2><p>No application signed in during this session.</p></section>\n';
  const shown = apps.slice(0, maxApps);
  const { labelW, barW, countW, rowH, barH, top } = CHART;
  const totals = shown.map((_, i) => total(counts[i] ?? zeroCounts()));
  const max = Math.max(1, ...totals);
  const step = tickStep(max);
  const scale = barW / (Math.ceil(max / step) * step);
  const width = labelW + barW + countW;
  const height = top + shown.length * rowH + 6;
  const legend = WORST_FIRST.map((v, i) => {
    const x = i * 140;
    return `<g transform="translate(${x},4)"><rect class="v-${v}" width="14" height="14" rx="2"/><text x="20" y="12">${v}</text></g>`;
  }).join('');
  // Axis: exchanges, ticks at round numbers, grid lines through the bars.
  const ticks: string[] = [];
  for (let t = 0; t * scale <= barW + 0.01; t += step) {
    const x = (labelW + t * scale).toFixed(1);
    ticks.push(
      `<line class="grid" x1="${x}" y1="${top - 4}" x2="${x}" y2="${height - 4}"/><text class="tick" x="${x}" y="${top - 8}" text-anchor="middle">${t}</text>`,
    );
  }
  const bars = shown
    .map((a, i) => {
      const c = counts[i] ?? zeroCounts();
      const n = totals[i] ?? 0;
      const y = top + i * rowH + (rowH - barH) / 2;
      const ty = y + barH / 2 + 4;
      const full = appLabel(a);
      let x = labelW;
      const segs = WORST_FIRST.filter((v) => c[v] > 0)
        .map((v) => {
          const w = c[v] * scale;
          const seg = `<rect class="v-${v}" x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${barH}"><title>${esc(full)}: ${c[v]} ${v}</title></rect>`;
          x += w;
          return seg;
        })
        .join('');
      const empty =
        n === 0
          ? `<rect class="empty" x="${labelW}" y="${y}" width="${barW}" height="${barH}"/>`
          : '';
      return `<g class="bar" data-app="${i}"><text x="${labelW - 10}" y="${ty}" text-anchor="end">${chartLabel(a)}<title>${esc(full)}: ${esc(describe(c))}</title></text>${empty}${segs}<text class="count" x="${(x + 6).toFixed(1)}" y="${ty}">${n}</text></g>`;
    })
    .join('\n');
  const summary = shown
    .map((a, i) => `${appLabel(a)}: ${describe(counts[i] ?? zeroCounts())}.`)
    .join(' ');
  const more =
    apps.length > shown.length
      ? `<p>${apps.length - shown.length} more applications are not drawn; see the sections below.</p>`
      : '';
  return `<section id="chart">
<h2>Verdicts per application</h2>
<svg role="img" aria-labelledby="chart-title chart-desc" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMinYMin meet">
<title id="chart-title">Exchange verdicts per application</title>
<desc id="chart-desc">One stacked bar per application, worst verdict first: each segment is the number of its exchanges with that verdict, on a common scale of exchanges, and the number after the bar is the application's exchange count. ${esc(summary)}</desc>
<g class="legend">${legend}</g>
<g class="axis">${ticks.join('')}</g>
<g>
${bars}
</g>
</svg>
${more}
</section>
`;
}

function total(c: Record<Verdict, number>): number {
  return VERDICTS.reduce((n, v) => n + c[v], 0);
}

/** A round step (1, 2 or 5 times a power of ten) that gives at most 5 intervals up to `max`. */
function tickStep(max: number): number {
  const raw = max / 5;
  const p = 10 ** Math.floor(Math.log10(Math.max(1, raw)));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** The chart's label: the name in bold and a short client id, or the client id alone (escaped). */
function chartLabel(a: ApplicationRecord): string {
  const name = appName(a);
  if (name === null) return `<tspan class="cid">${esc(clipMiddle(a.clientId, 44))}</tspan>`;
  return `<tspan class="name">${esc(clipEnd(name, 30))}</tspan> <tspan class="cid">${esc(shortId(a.clientId))}</tspan>`;
}

function describe(c: Record<Verdict, number>): string {
  const parts = WORST_FIRST.filter((v) => c[v] > 0).map((v) => `${c[v]} ${v}`);
  return parts.length > 0 ? parts.join(', ') : 'no exchanges';
}

const GUID = /^([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{8}([0-9a-f]{4})$/i;

/** A GUID as its first 8 and last 4 hex digits (ids differ at either end); other ids clipped. */
function shortId(id: string): string {
  const m = GUID.exec(id);
  return m ? `${m[1] ?? ''}\u2026${m[2] ?? ''}` : clipMiddle(id, 24);
}

function clipMiddle(s: string, max: number): string {
  if (s.length <= max) return s;
  const head = Math.ceil((max - 1) / 2);
  return `${s.slice(0, head)}\u2026${s.slice(s.length - (max - 1 - head))}`;
}

function clipEnd(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}\u2026` : s;
}
