/**
 * The inline assets of the HTML report (render-html.ts): its one stylesheet, its one client script
 * and the Content-Security-Policy that allows exactly these two by hash and nothing else. Pure
 * constants; the script reads the row layout written by row() in render-html.ts (keep them in step).
 */
import { createHash } from 'node:crypto';

export const HTML_STYLE = `
:root{--nc:#c62828;--un:#5f6b78;--co:#a35f00;--cv:#2e7d32;--na:#9e9e9e;--muted:#555;color:#1b1b1b;background:#fff;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
body{max-width:1400px;margin:0 auto;padding:1rem 1.5rem;line-height:1.45}
h1{font-size:1.6rem;margin:.2rem 0}h2{margin-top:1.6rem;border-bottom:1px solid #ddd}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
pre{white-space:pre-wrap;word-break:break-all;background:#f6f8fa;padding:.5rem;border-radius:4px}
table{border-collapse:collapse;margin:.5rem 0}th,td{border-bottom:1px solid #ddd;padding:.25rem .6rem;
text-align:left;vertical-align:top}caption{text-align:left;font-weight:600}
header.summary{display:flex;flex-wrap:wrap;gap:.5rem 3rem;align-items:flex-start}header.summary .lead{flex:1 1 28rem}
table.counts td{text-align:right}
#predicted-observed td{text-align:left}#predicted-observed td.num{text-align:right;font-variant-numeric:tabular-nums}
#predicted-observed tr.contradicted td{background:#fff4e5}
table.exchanges{width:100%;table-layout:fixed;font-size:.86em}
table.exchanges th,table.exchanges td{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;padding:.2rem .4rem;vertical-align:middle;font-variant-numeric:tabular-nums}
col.c-time{width:6em}col.c-verdict{width:9.2em}col.c-method{width:5.4em}col.c-host{width:14em}
col.c-status{width:4.8em}col.c-app{width:13em}col.c-flow{width:10.6em}col.c-reasons{width:11em}
#ex-rows tr.row{cursor:pointer}#ex-rows tr.row:hover,#ex-rows tr.row:focus{background:#f1f5f9;outline:none}
#ex-rows tr.selected{background:#e3f2fd}#ex-rows td.detail-cell{white-space:normal;background:#fafafa;padding:0}
.badge{display:inline-block;white-space:nowrap;padding:.05em .6em;border-radius:.8em;color:#fff;font-weight:600;font-size:.85em}
.badge.v-not-covered{background:var(--nc)}.badge.v-unknown{background:var(--un)}
.badge.v-conditional{background:var(--co)}.badge.v-covered{background:var(--cv)}
.badge.v-not-applicable{background:var(--na);color:#1b1b1b}
rect.v-not-covered{fill:var(--nc)}rect.v-unknown{fill:var(--un)}rect.v-conditional{fill:var(--co)}
rect.v-covered{fill:var(--cv)}rect.v-not-applicable{fill:var(--na)}rect.empty{fill:#eee}
svg{max-width:1100px;display:block}svg text{font-size:13px;fill:#1b1b1b}svg .cid{fill:#555;font-family:ui-monospace,monospace;font-size:12px}
svg .name{font-weight:600}svg .tick{font-size:11px;fill:#666}svg line.grid{stroke:#e3e3e3;stroke-width:1}svg .count{font-weight:600}
.overall{font-size:1.2rem}.overall .badge{font-size:1rem}
#applications .apps{display:grid;grid-template-columns:repeat(auto-fill,minmax(30rem,1fr));gap:.8rem}
.app{border:1px solid #ddd;border-radius:6px;padding:.1rem .9rem .4rem;min-width:0}
.app h3{margin:.5rem 0 .2rem;font-size:1rem;overflow-wrap:anywhere}.app .app-name{font-weight:700}
.app code.cid,.cid{color:var(--muted);font-weight:400}.facts{margin:.1rem 0;color:var(--muted)}
.app dl{display:grid;grid-template-columns:max-content 1fr;gap:0 .8rem;margin:.2rem 0;font-size:.9em}.app dd{margin:0;overflow-wrap:anywhere}
#detail{padding:.2rem 1rem .6rem}#detail dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem}#detail dd{margin:0;word-break:break-all}
.findings{padding-left:1.2rem;margin:.3rem 0;font-size:.92em}.finding{margin:.35rem 0}.remediation,.ids{margin:.1rem 0}.ids{color:var(--muted);font-size:.85em}
.sev{text-transform:uppercase;font-size:.72em;font-weight:700;padding:0 .35em;border:1px solid;border-radius:3px}
.sev-error .sev{color:var(--nc)}.sev-warning .sev{color:var(--co)}.sev-info .sev{color:var(--un)}
.controls{display:flex;flex-wrap:wrap;gap:.5rem 1rem;margin:.5rem 0}.controls select,.controls input{max-width:22rem}
.pager{margin:.5rem 0}
footer{margin-top:2rem;border-top:1px solid #ddd;color:var(--muted);font-size:.85em}
@media print{.controls,.pager,#detail,noscript{display:none}body{max-width:none;padding:0}
.app,#chart,tr{break-inside:avoid}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
a[href^="http"]::after{content:" (" attr(href) ")";font-size:.8em;word-break:break-all}}
`;

export const HTML_SCRIPT = `
(function () {
  'use strict';
  // Row layout (see rowText() in html-rows.ts): 0 id, 1 startedAt, 2 method, 3 host, 4 path,
  // 5 status, 6 verdict index, 7 application key, 8 flow, 9 reasons [[code, message]],
  // 10 client id, 11 client request id, 12 server request id, 13 duration ms, 14 library,
  // 15 evidence, 16 error, 17 tenant, 18 scopes. Numbers in string slots index meta.strings.
  // meta.names: display names by application key (own properties only).
  function $(id) { return document.getElementById(id); }
  var rows = JSON.parse($('ebp-rows').textContent || '[]');
  var meta = JSON.parse($('ebp-meta').textContent || '{}');
  var S = meta.strings || [], V = meta.verdicts || [], size = meta.pageSize || 100;
  var names = meta.names || {}, COLS = 9;
  function s(v) { return typeof v === 'number' ? S[v] : v; }
  function nameOf(key) {
    return key !== null && key !== undefined && Object.prototype.hasOwnProperty.call(names, key) ? names[key] : null;
  }
  var fVerdict = $('f-verdict'), fApp = $('f-app'), fHost = $('f-host'), fText = $('f-text');
  var body = $('ex-rows'), info = $('p-info'), prev = $('p-prev'), next = $('p-next');
  var detail = $('detail'), openRow = null, openId = null;
  var view = rows, page = 0, timer = 0;
  var GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
  // GUIDs as their first 8 and last 4 digits: ids differ at either end. In a path (a tenant), the
  // first 4 are enough and leave room for the endpoint.
  function short(x) {
    return String(x).replace(GUID, function (g) { return g.slice(0, 8) + '\u2026' + g.slice(-4); });
  }
  function shortPath(x) {
    return String(x).replace(GUID, function (g) { return g.slice(0, 4) + '\u2026'; });
  }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== null && text !== undefined) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function cell(shown, full) {
    var td = el('td', shown);
    td.title = full === undefined ? String(shown) : String(full);
    return td;
  }
  function matches(r, v, a, h, t) {
    if (v !== '' && V[r[6]] !== v) return false;
    if (a !== '' && s(r[7]) !== a) return false;
    if (h !== '' && s(r[3]) !== h) return false;
    if (t !== '') {
      var hay = [r[0], s(r[4]), r[11], r[12], s(r[10]), nameOf(s(r[7]))].join(' ').toLowerCase();
      if (hay.indexOf(t) < 0) return false;
    }
    return true;
  }
  function apply() {
    var v = fVerdict.value, a = fApp.value, h = fHost.value, t = fText.value.trim().toLowerCase();
    view = v === '' && a === '' && h === '' && t === '' ? rows
      : rows.filter(function (r) { return matches(r, v, a, h, t); });
    page = 0;
    draw();
  }
  function draw() {
    var pages = Math.max(1, Math.ceil(view.length / size));
    if (page >= pages) page = pages - 1;
    if (page < 0) page = 0;
    var end = Math.min(view.length, (page + 1) * size);
    var frag = document.createDocumentFragment();
    close();
    for (var i = page * size; i < end; i++) frag.appendChild(tr(view[i]));
    body.textContent = '';
    body.appendChild(frag);
    info.textContent = view.length === 0 ? 'No exchanges match.'
      : 'Exchanges ' + (page * size + 1) + '\u2013' + end + ' of ' + view.length + ' (page ' + (page + 1) + ' of ' + pages + ')';
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }
  function appLabel(r) {
    var key = s(r[7]), id = s(r[10]) || key, name = nameOf(key);
    if (!id && !name) return ['\u2013', ''];
    if (name) return [name, name + ' (' + id + ')'];
    return [short(id), id];
  }
  function tr(r) {
    var row = el('tr', null, 'row'), verdict = V[r[6]], vc = el('td'), started = String(r[1]);
    var path = s(r[4]), app = appLabel(r), reasons = r[9].map(function (x) { return s(x[0]); }).join(', ');
    row.tabIndex = 0;
    row.setAttribute('aria-expanded', 'false');
    vc.appendChild(el('span', verdict, 'badge v-' + verdict));
    row.appendChild(cell(started.length >= 19 ? started.slice(11, 19) : started, started));
    row.appendChild(vc);
    row.appendChild(cell(r[2]));
    row.appendChild(cell(s(r[3])));
    row.appendChild(cell(shortPath(path), path));
    row.appendChild(cell(r[5] === null ? (r[16] ? r[16].code : '\u2013') : r[5]));
    row.appendChild(cell(app[0], app[1]));
    row.appendChild(cell(r[8]));
    row.appendChild(cell(reasons));
    row.addEventListener('click', function () { toggle(r, row); });
    row.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); toggle(r, row); }
    });
    return row;
  }
  function close() {
    if (openRow) {
      openRow.className = 'row';
      openRow.setAttribute('aria-expanded', 'false');
      var holder = openRow.nextSibling;
      if (holder && holder.className === 'detail-row') holder.parentNode.removeChild(holder);
    }
    openRow = null;
    openId = null;
    detail.hidden = true;
  }
  function toggle(r, row) {
    var same = openId === r[0] && openRow === row;
    close();
    if (!same) show(r, row);
  }
  // The detail expands in place: a row right under the selected one holds it.
  function show(r, row) {
    openRow = row;
    openId = r[0];
    row.className = 'row selected';
    row.setAttribute('aria-expanded', 'true');
    detail.textContent = '';
    detail.appendChild(el('h3', 'Exchange ' + r[0]));
    var dl = el('dl');
    function add(key, value) {
      if (value === null || value === undefined || value === '') return;
      dl.appendChild(el('dt', key));
      dl.appendChild(el('dd', value));
    }
    add('Verdict', V[r[6]]);
    add('Request', r[2] + ' ' + s(r[3]) + s(r[4]));
    add('Status', r[5]);
    add('Started', r[1]);
    add('Duration (ms)', r[13]);
    add('Application', nameOf(s(r[7])));
    add('Client ID', s(r[10]));
    add('Application key', s(r[7]) !== s(r[10]) ? s(r[7]) : null);
    add('Tenant', r[17]);
    add('Scopes', r[18] ? r[18].join(' ') : null);
    add('Library', s(r[14]));
    add('Client request id', r[11]);
    add('Server request id', r[12]);
    if (r[16]) add('Error', r[16].code + ': ' + r[16].message);
    detail.appendChild(dl);
    detail.appendChild(el('h4', 'Reasons'));
    var ul = el('ul');
    r[9].forEach(function (x) {
      var li = el('li');
      li.appendChild(el('code', s(x[0])));
      li.appendChild(document.createTextNode(' ' + s(x[1])));
      ul.appendChild(li);
    });
    detail.appendChild(ul);
    detail.appendChild(el('h4', 'Redacted evidence'));
    detail.appendChild(el('pre', JSON.stringify(r[15], null, 2)));
    var holder = el('tr', null, 'detail-row'), td = el('td', null, 'detail-cell');
    td.colSpan = COLS;
    td.appendChild(detail);
    holder.appendChild(td);
    row.parentNode.insertBefore(holder, row.nextSibling);
    detail.hidden = false;
  }
  [fVerdict, fApp, fHost].forEach(function (x) { x.addEventListener('change', apply); });
  fText.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(apply, 150); });
  fText.form.addEventListener('submit', function (e) { e.preventDefault(); apply(); });
  prev.addEventListener('click', function () { page -= 1; draw(); });
  next.addEventListener('click', function () { page += 1; draw(); });
  draw();
})();
`;

function sha256(s: string): string {
  return `sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}`;
}

/** The page's CSP: no resource but the inline script and stylesheet above (by hash), data: images. */
export const HTML_CSP = [
  "default-src 'none'",
  `script-src '${sha256(HTML_SCRIPT)}'`,
  `style-src '${sha256(HTML_STYLE)}'`,
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
