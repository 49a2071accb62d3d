/**
 * The dashboard page: one self-contained HTML document (inline CSS and script, both under the
 * response's CSP nonce; no external resource of any kind). The page holds no session data: the
 * script fetches it and writes it with textContent only. The only interpolated value is the nonce.
 */
import {
  REPORT_FORMATS,
  REPORT_FORMAT_IDS,
  ownExtension,
  type ReportFormat,
} from '../report/formats.js';
import { esc } from '../report/html-escape.js';
import { dashboardClient } from './client.js';

/** The dashboard's path of a report download: `/report` + the format's own extension. */
export function reportPath(format: ReportFormat): string {
  return `/report${ownExtension(format)}`;
}

const CSS = `
:root { color-scheme: light dark; --bg: #f7f7f8; --fg: #1d1d1f; --muted: #666; --card: #fff;
  --line: #ddd; --covered: #1a7f37; --conditional: #b35900; --unknown: #6e5494;
  --not-covered: #c62828; --not-applicable: #777; }
@media (prefers-color-scheme: dark) { :root { --bg: #16171a; --fg: #e8e8ea; --muted: #9a9aa0;
  --card: #202126; --line: #33343a; } }
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.4 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
header.top { display: flex; flex-wrap: wrap; gap: 12px 24px; align-items: center; padding: 10px 16px;
  border-bottom: 1px solid var(--line); background: var(--card); position: sticky; top: 0; z-index: 2; }
header.top h1 { font-size: 16px; margin: 0; }
.stat b { font-size: 15px; }
#status { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: var(--line); }
#status[data-state=live] { background: var(--covered); color: #fff; }
#status[data-state=down] { background: var(--not-covered); color: #fff; }
nav.reports a { margin-right: 8px; }
main { padding: 12px 16px; }
h2 { font-size: 14px; margin: 16px 0 8px; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 9px; color: #fff; font-size: 11px;
  font-weight: 600; white-space: nowrap; background: var(--unknown); }
.badge[data-verdict=covered] { background: var(--covered); }
.badge[data-verdict=conditional] { background: var(--conditional); }
.badge[data-verdict=not-covered] { background: var(--not-covered); }
.badge[data-verdict=not-applicable] { background: var(--not-applicable); }
.chip { display: inline-block; margin: 2px 6px 2px 0; padding: 1px 6px; border: 1px solid var(--line);
  border-radius: 8px; font-size: 11px; }
#cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 10px; }
.card { background: var(--card); border: 1px solid var(--line); border-left: 5px solid var(--unknown);
  border-radius: 6px; padding: 8px 10px; min-width: 0; }
.card[data-verdict=covered] { border-left-color: var(--covered); }
.card[data-verdict=conditional] { border-left-color: var(--conditional); }
.card[data-verdict=not-covered] { border-left-color: var(--not-covered); }
.card[data-verdict=not-applicable] { border-left-color: var(--not-applicable); }
.card header { display: flex; gap: 8px; align-items: center; }
.card h3 { font-size: 14px; margin: 0; overflow-wrap: anywhere; }
.card header { align-items: flex-start; }
.card h3 .cid, td .cid { font: 12px ui-monospace, monospace; color: var(--muted); font-weight: 400; }
.card h3 .cid { display: block; }
.card h3 .cid:only-child { font-size: 13px; color: var(--fg); }
.meta { color: var(--muted); margin: 4px 0; overflow-wrap: anywhere; }
.findings { margin: 6px 0; padding-left: 16px; }
.findings li { margin-bottom: 4px; font-size: 12px; }
.clamp { display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }
.sev { font-size: 10px; text-transform: uppercase; margin-right: 4px; color: var(--muted); }
li[data-severity=error] .sev { color: var(--not-covered); font-weight: 700; }
li[data-severity=warning] .sev { color: var(--conditional); font-weight: 700; }
.fix { color: var(--muted); }
button.link { background: none; border: 0; padding: 0; color: inherit; text-decoration: underline;
  cursor: pointer; font: inherit; }
.filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-bottom: 6px; }
.filters select, .filters input { font: inherit; max-width: 260px; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; background: var(--card);
  font-size: 12px; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--line); white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }
th { position: sticky; top: 0; background: var(--card); font-weight: 600; }
tbody tr { cursor: pointer; }
tbody tr:hover, tbody tr.selected { background: rgba(127, 127, 127, 0.15); }
#detail { position: fixed; top: 0; right: 0; bottom: 0; width: min(640px, 100vw); overflow: auto;
  background: var(--card); border-left: 1px solid var(--line); padding: 12px 16px; z-index: 3;
  box-shadow: -4px 0 16px rgba(0, 0, 0, 0.2); }
#detail[hidden] { display: none; }
#detail h2 { overflow-wrap: anywhere; font-family: ui-monospace, monospace; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
pre.evidence { background: var(--bg); padding: 8px; overflow: auto; font-size: 12px; }
.empty { color: var(--muted); }
#session-findings { background: var(--card); border: 1px solid var(--line);
  border-left: 5px solid var(--not-covered); border-radius: 6px; padding: 4px 10px; margin-top: 12px; }
#session-findings[data-severity=warning] { border-left-color: var(--conditional); }
`;

const COLUMNS: readonly [string, string][] = [
  ['time', '70px'],
  ['verdict', '116px'],
  ['method', '64px'],
  ['host', '150px'],
  ['path', 'auto'],
  ['status', '60px'],
  ['endpoint', '76px'],
  ['grant', '130px'],
  ['application', '190px'],
  ['library', '90px'],
  ['reasons', '150px'],
];

// Column widths as rules: style attributes would need 'unsafe-inline' under the CSP.
const COLUMN_CSS = COLUMNS.map(([, w], i) => `col.c${i}{width:${w}}`).join('');

function body(): string {
  const reports = REPORT_FORMAT_IDS.map((f) => {
    const ext = ownExtension(f);
    const title = esc(REPORT_FORMATS[f].label);
    return `<a href="${reportPath(f)}" download="entra-bas-report${ext}" title="${title}">${ext}</a>`;
  }).join('');
  const cols = COLUMNS.map((_, i) => `<col class="c${i}">`).join('');
  const heads = COLUMNS.map(([name]) => `<th scope="col">${name}</th>`).join('');
  return `
<header class="top">
  <h1>entra-bas-proxy</h1>
  <span id="status">connecting…</span>
  <span class="stat">exchanges <b id="s-exchanges">0</b></span>
  <span class="stat">applications <b id="s-apps">0</b></span>
  <span class="stat">session verdict <span id="s-verdict"></span></span>
  <span id="s-by-verdict" title="exchanges by verdict"></span>
  <nav class="reports">report: ${reports}</nav>
</header>
<main>
  <section id="session-findings" aria-live="polite" hidden></section>
  <h2>Applications</h2>
  <section id="cards"><p class="empty">No application seen yet.</p></section>
  <button id="apps-more" class="link" hidden></button>
  <h2>Exchanges</h2>
  <div class="filters">
    <label>verdict <select id="f-verdict"></select></label>
    <label>host <select id="f-host"><option value="">all</option></select></label>
    <label>app <select id="f-app"><option value="">all</option></select></label>
    <label>search <input id="f-text" type="search" placeholder="path, app name, client id, reason…"></label>
    <button id="f-clear" type="button">clear filters</button>
    <span id="t-count" class="meta"></span>
  </div>
  <table><colgroup>${cols}</colgroup><thead><tr>${heads}</tr></thead><tbody id="rows"></tbody></table>
  <button id="t-more" type="button" hidden>show more</button>
</main>
<aside id="detail" hidden>
  <button id="d-close" type="button">close</button>
  <h2 id="d-title"></h2>
  <div id="d-body"></div>
</aside>`;
}

/** The whole page for one response. `nonce` must be base64 (it goes into attributes verbatim). */
export function renderPage(nonce: string): string {
  if (!/^[A-Za-z0-9+/=]+$/.test(nonce)) throw new Error('nonce must be base64');
  const script = dashboardClient.toString();
  if (/<\/script|<!--/i.test(script)) throw new Error('client script cannot be inlined');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>entra-bas-proxy dashboard</title>
<style nonce="${nonce}">${CSS}${COLUMN_CSS}</style>
</head>
<body>${body()}
<script nonce="${nonce}">"use strict";(${script})();</script>
</body>
</html>
`;
}
