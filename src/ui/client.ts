/**
 * The dashboard's browser script. It runs in the page, not in Node: page.ts inlines it with
 * `dashboardClient.toString()`, so this function must stay self-contained (no references to
 * anything outside its own body; type-only imports are fine, they are erased).
 *
 * Rules it keeps: data only ever reaches the DOM through textContent / dataset / checked https
 * hrefs (never innerHTML); SSE records are batched and applied once per animation frame; the
 * table shows at most `limit` rows (200 more per "show more"), and at most MAX_STORE records stay
 * in the page, so a 10,000-exchange session stays responsive.
 */
import type { CompactApplication, CompactSnapshot } from '../core/compact-aggregates.js';
import type { CompactRecord } from './compact.js';

export function dashboardClient(): void {
  const MAX_STORE = 5000;
  const PAGE = 200;
  const MAX_CARDS = 60;
  const VERDICTS = ['not-covered', 'unknown', 'conditional', 'covered', 'not-applicable'];
  const SEVERITY = ['error', 'warning', 'info'];
  /** A tenant GUID in a path is shortened to its first 8 digits (the full path is on hover). */
  const GUID_IN_PATH = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

  interface Filters {
    verdict: string;
    host: string;
    app: string;
    text: string;
  }

  let records: CompactRecord[] = [];
  const ids = new Set<string>();
  let pending: CompactRecord[] = [];
  let snapshot: CompactSnapshot | null = null;
  let snapshotDirty = false;
  let tableDirty = true;
  let frame = 0;
  let limit = PAGE;
  let showAllApps = false;
  let selected: string | null = null;
  const hosts = new Set<string>();
  const apps = new Set<string>();
  /** Display names by client id, from the applications of the latest snapshot. */
  const names = new Map<string, string>();
  let optionsDirty = false;
  const filters: Filters = { verdict: '', host: '', app: '', text: '' };

  function byId<T extends HTMLElement>(id: string): T {
    const e = document.getElementById(id);
    if (e === null) throw new Error(`missing #${id}`);
    return e as T;
  }

  function el(tag: string, cls?: string, text?: string): HTMLElement {
    const e = document.createElement(tag);
    if (cls !== undefined && cls !== '') e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function badge(verdict: string): HTMLElement {
    const b = el('span', 'badge', verdict);
    b.dataset.verdict = VERDICTS.includes(verdict) ? verdict : 'unknown';
    return b;
  }

  function safeLink(href: string, text: string): HTMLElement {
    try {
      const u = new URL(href);
      if (u.protocol !== 'https:') return el('span', '', text);
      const a = document.createElement('a');
      a.href = u.href;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      a.textContent = text;
      return a;
    } catch {
      // Not a URL: show the text without a link.
      return el('span', '', text);
    }
  }

  function schedule(): void {
    if (frame === 0) frame = requestAnimationFrame(flush);
  }

  function addRecords(list: readonly CompactRecord[]): void {
    for (const r of list) {
      if (ids.has(r.id)) continue;
      ids.add(r.id);
      records.push(r);
      if (!hosts.has(r.host)) {
        hosts.add(r.host);
        optionsDirty = true;
      }
      const app = r.clientId ?? '';
      if (app !== '' && !apps.has(app)) {
        apps.add(app);
        optionsDirty = true;
      }
    }
    if (records.length > MAX_STORE) {
      const drop = records.slice(0, records.length - MAX_STORE);
      records = records.slice(records.length - MAX_STORE);
      for (const r of drop) ids.delete(r.id);
    }
    tableDirty = true;
  }

  function flush(): void {
    frame = 0;
    if (pending.length > 0) {
      const batch = pending;
      pending = [];
      addRecords(batch);
    }
    if (snapshotDirty) {
      snapshotDirty = false;
      if (learnNames()) {
        optionsDirty = true;
        tableDirty = true;
      }
      renderSummary();
      renderCards();
    }
    if (optionsDirty) {
      optionsDirty = false;
      fillSelect('f-host', hosts, filters.host, (v) => v);
      fillSelect('f-app', apps, filters.app, (v) => {
        const name = names.get(v);
        return name === undefined ? v : `${name} (${v})`;
      });
    }
    if (tableDirty) {
      tableDirty = false;
      renderTable();
    }
  }

  /** Takes the names of the snapshot's applications; true when one is new or changed. */
  function learnNames(): boolean {
    let changed = false;
    for (const a of snapshot?.applications ?? []) {
      if (typeof a.name !== 'string' || a.name === '' || names.get(a.clientId) === a.name) continue;
      names.set(a.clientId, a.name);
      changed = true;
    }
    return changed;
  }

  /** An exchange's application: its display name when known, and the client id. */
  function appOf(r: CompactRecord): { name: string | null; id: string } {
    const id = r.clientId ?? '';
    const name = r.appName ?? names.get(id) ?? null;
    return { name, id };
  }

  function shortId(id: string): string {
    const m = /^([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{8}([0-9a-f]{4})$/i.exec(
      id,
    );
    return m ? `${m[1] ?? ''}…${m[2] ?? ''}` : id;
  }

  function fillSelect(
    id: string,
    values: Set<string>,
    current: string,
    label: (v: string) => string,
  ): void {
    const select = byId<HTMLSelectElement>(id);
    select.replaceChildren(...optionList([...values].sort(), label));
    select.value = current;
  }

  /** `all` (value '') and an option per value. */
  function optionList(values: readonly string[], label: (v: string) => string): HTMLElement[] {
    const pairs = [['', 'all'] as const, ...values.map((v) => [v, label(v)] as const)];
    return pairs.map(([value, text]) => {
      const o = el('option', '', text) as HTMLOptionElement;
      o.value = value;
      return o;
    });
  }

  function renderSummary(): void {
    if (snapshot === null) return;
    const s = snapshot.summary;
    byId('s-exchanges').textContent = String(s.exchanges);
    byId('s-apps').textContent = String(s.applications);
    const overall = byId('s-verdict');
    overall.replaceChildren(badge(s.verdict));
    const counts: HTMLElement[] = [];
    for (const v of VERDICTS) {
      const n = (s.byVerdict as Record<string, number>)[v] ?? 0;
      const chip = el('span', 'chip');
      chip.append(badge(v), document.createTextNode(` ${n}`));
      counts.push(chip);
    }
    byId('s-by-verdict').replaceChildren(...counts);
    document.title = `entra-bas-proxy: ${s.verdict} (${s.exchanges} exchanges)`;
    renderSessionFindings(s.findings ?? []);
  }

  /** What no application owns: no sign-in traffic (yet), refused TLS handshakes. */
  function renderSessionFindings(
    found: readonly { severity: string; code: string; message: string; remediation: string }[],
  ): void {
    const box = byId('session-findings');
    box.hidden = found.length === 0;
    if (found.length === 0) return box.replaceChildren();
    box.dataset.severity = found.some((f) => f.severity === 'error') ? 'error' : 'warning';
    const ul = el('ul', 'findings');
    for (const f of found) ul.append(findingItem(f, false));
    box.replaceChildren(el('h2', '', 'Session findings'), ul);
  }

  /**
   * A finding as a list item: severity, code (and docs link), message, fix. `clamp`: two lines
   * each at most (an application's card), the full text on hover.
   */
  function findingItem(
    f: { severity: string; code: string; message: string; remediation: string; docUrl?: string },
    clamp: boolean,
  ): HTMLElement {
    const li = el('li');
    li.dataset.severity = f.severity;
    const head = el('div');
    head.append(el('span', 'sev', f.severity), el('code', '', f.code));
    if (f.docUrl) head.append(document.createTextNode(' '), safeLink(f.docUrl, 'docs'));
    const msg = el('div', clamp ? 'clamp' : '', f.message);
    li.append(head, msg);
    const fix =
      f.remediation === '' ? null : el('div', clamp ? 'clamp fix' : 'fix', `Fix: ${f.remediation}`);
    if (fix) li.append(fix);
    if (clamp) {
      msg.title = f.message;
      if (fix) fix.title = f.remediation;
    }
    return li;
  }

  function rank(list: readonly string[], v: string): number {
    const i = list.indexOf(v);
    return i < 0 ? list.length : i;
  }

  function renderCard(a: CompactApplication): HTMLElement {
    const card = el('article', 'card');
    card.dataset.clientId = a.clientId;
    card.dataset.verdict = a.verdict;
    const head = el('header');
    const title = el('h3');
    if (typeof a.name === 'string' && a.name !== '')
      title.append(el('span', 'name', a.name), document.createTextNode(' '));
    title.append(el('span', 'cid', a.clientId));
    head.append(badge(a.verdict), title);
    card.append(head);
    const count = `${a.exchangeCount} exchange${a.exchangeCount === 1 ? '' : 's'}`;
    const meta = [
      a.appType,
      a.clientType,
      a.library ?? 'no library',
      count,
      ...a.hosts.slice(0, 3),
    ];
    if (a.hosts.length > 3) meta.push(`+${a.hosts.length - 3} hosts`);
    card.append(el('p', 'meta', meta.join(' · ')));
    const flows = el('p', 'flows');
    for (const [flow, n] of Object.entries(a.flows))
      flows.append(el('span', 'chip', `${flow} ×${n}`));
    card.append(flows);
    const findings = [...a.findings]
      .sort((x, y) => rank(SEVERITY, x.severity) - rank(SEVERITY, y.severity))
      .slice(0, 3);
    if (findings.length > 0) {
      const ul = el('ul', 'findings');
      for (const f of findings) ul.append(findingItem(f, true));
      card.append(ul);
      if (a.findings.length > 3)
        card.append(el('p', 'meta', `+${a.findings.length - 3} more findings`));
    }
    const filter = el('button', 'link', 'show its exchanges');
    filter.addEventListener('click', () => setFilter('app', a.clientId));
    card.append(filter);
    return card;
  }

  function renderCards(): void {
    if (snapshot === null) return;
    const list = [...snapshot.applications].sort(
      (x, y) =>
        rank(VERDICTS, x.verdict) - rank(VERDICTS, y.verdict) || y.exchangeCount - x.exchangeCount,
    );
    const shown = showAllApps ? list : list.slice(0, MAX_CARDS);
    const cards = shown.map(renderCard);
    if (cards.length === 0) cards.push(el('p', 'empty', 'No application seen yet.'));
    byId('cards').replaceChildren(...cards);
    const more = byId<HTMLButtonElement>('apps-more');
    more.hidden = list.length <= shown.length;
    more.textContent = `show all ${list.length} applications`;
  }

  function matches(r: CompactRecord): boolean {
    if (filters.verdict !== '' && r.verdict !== filters.verdict) return false;
    if (filters.host !== '' && r.host !== filters.host) return false;
    if (filters.app !== '' && r.clientId !== filters.app) return false;
    if (filters.text !== '') {
      const t = filters.text.toLowerCase();
      const hay = `${r.path} ${r.clientId ?? ''} ${appOf(r).name ?? ''} ${r.reasonCodes.join(' ')} ${r.grantType ?? ''} ${r.library ?? ''}`;
      if (!hay.toLowerCase().includes(t)) return false;
    }
    return true;
  }

  /** A cell showing `text`, with `full` (default: the text) on hover. */
  function cell(text: string, cls?: string, full?: string): HTMLElement {
    const td = el('td', cls, text);
    td.title = full ?? text;
    return td;
  }

  /** The application cell: the name (or a short client id), the full client id on hover. */
  function appCell(r: CompactRecord): HTMLElement {
    const { name, id } = appOf(r);
    const td = el('td');
    if (name !== null)
      td.append(document.createTextNode(`${name} `), el('span', 'cid', shortId(id)));
    else td.append(el('span', 'cid', shortId(id)));
    td.title = name === null ? id : `${name} (${id})`;
    return td;
  }

  function renderRow(r: CompactRecord): HTMLElement {
    const tr = el('tr');
    tr.dataset.id = r.id;
    if (r.id === selected) tr.className = 'selected';
    const verdict = el('td');
    verdict.append(badge(r.verdict));
    tr.append(
      cell(r.startedAt.slice(11, 19)),
      verdict,
      cell(r.method),
      cell(r.host),
      cell(
        r.path.replace(GUID_IN_PATH, (g) => `${g.slice(0, 8)}…`),
        'path',
        r.path,
      ),
      cell(r.status === null ? (r.error ?? '—') : String(r.status)),
      cell(r.endpoint),
      cell(r.grantType ?? ''),
      appCell(r),
      cell(r.library ?? ''),
      cell(r.reasonCodes.join(', '), 'reasons'),
    );
    return tr;
  }

  function renderTable(): void {
    const rows: HTMLElement[] = [];
    let matching = 0;
    for (let i = records.length - 1; i >= 0; i--) {
      const r = records[i];
      if (r === undefined || !matches(r)) continue;
      matching++;
      if (rows.length < limit) rows.push(renderRow(r));
    }
    byId('rows').replaceChildren(...rows);
    const total = snapshot?.summary.exchanges ?? records.length;
    byId('t-count').textContent =
      `showing ${rows.length} of ${matching} matching · ${records.length} kept in this page · ${total} in the session`;
    byId<HTMLButtonElement>('t-more').hidden = rows.length >= matching;
  }

  function setFilter(key: keyof Filters, value: string): void {
    filters[key] = value;
    const input = byId<HTMLInputElement | HTMLSelectElement>(`f-${key}`);
    input.value = value;
    limit = PAGE;
    tableDirty = true;
    schedule();
  }

  function kv(dl: HTMLElement, key: string, value: string): void {
    dl.append(el('dt', '', key), el('dd', '', value));
  }

  async function select(id: string): Promise<void> {
    selected = id;
    tableDirty = true;
    schedule();
    const panel = byId('detail');
    const body = byId('d-body');
    panel.hidden = false;
    byId('d-title').textContent = id;
    body.replaceChildren(el('p', 'meta', 'loading…'));
    try {
      const res = await fetch(`/api/exchanges/${encodeURIComponent(id)}`, {
        headers: { accept: 'application/json' },
      });
      if (selected !== id) return;
      if (!res.ok) {
        body.replaceChildren(el('p', 'meta', `not available (HTTP ${res.status})`));
        return;
      }
      const r = (await res.json()) as Record<string, unknown> & {
        reasons?: { code: string; message: string; remediation?: string; docUrl?: string }[];
        evidence?: unknown;
      };
      if (selected !== id) return;
      const dl = el('dl');
      const fields = [
        'verdict',
        'method',
        'host',
        'path',
        'status',
        'cloud',
        'hostSupported',
        'protocol',
        'endpoint',
        'grantType',
        'pkce',
        'clientType',
        'clientCredential',
        'appType',
        'samlInitiation',
        'appName',
        'clientId',
        'tenant',
        'scopes',
        'library',
        'libraryVersion',
        'interaction',
        'managedIdentity',
        'clientRequestId',
        'serverRequestId',
        'startedAt',
        'durationMs',
        'error',
        'source',
      ];
      for (const f of fields) {
        const v = r[f];
        if (v === undefined || v === null) continue;
        kv(dl, f, typeof v === 'string' ? v : JSON.stringify(v));
      }
      const reasons = el('ul', 'reasons');
      for (const reason of r.reasons ?? []) {
        const li = el('li');
        li.append(el('code', '', reason.code), el('span', '', ` ${reason.message}`));
        if (reason.remediation !== undefined)
          li.append(el('div', 'fix', `Fix: ${reason.remediation}`));
        if (reason.docUrl !== undefined) li.append(safeLink(reason.docUrl, 'docs'));
        reasons.append(li);
      }
      const evidence = el('pre', 'evidence', JSON.stringify(r.evidence ?? null, null, 2));
      body.replaceChildren(
        el('h3', '', 'Reasons'),
        reasons,
        el('h3', '', 'Evidence (decoded, redacted)'),
        evidence,
        el('h3', '', 'Exchange'),
        dl,
      );
    } catch (err) {
      if (selected === id) body.replaceChildren(el('p', 'meta', `failed to load: ${String(err)}`));
    }
  }

  function closeDetail(): void {
    selected = null;
    byId('detail').hidden = true;
    tableDirty = true;
    schedule();
  }

  async function loadSnapshot(): Promise<void> {
    const res = await fetch('/api/snapshot', { headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const data = (await res.json()) as { snapshot: CompactSnapshot; recent: CompactRecord[] };
    snapshot = data.snapshot;
    snapshotDirty = true;
    // Merge what the page already has (streamed while the snapshot was on its way, or before a
    // reconnect) with the snapshot's records, in time order, without duplicates.
    const previous = records.concat(pending);
    pending = [];
    records = [];
    ids.clear();
    addRecords(data.recent);
    addRecords(previous);
    records.sort((x, y) => (x.startedAt < y.startedAt ? -1 : x.startedAt > y.startedAt ? 1 : 0));
    schedule();
  }

  function connect(): void {
    const status = byId('status');
    const source = new EventSource('/api/events');
    let opened = false;
    source.addEventListener('open', () => {
      status.textContent = 'live';
      status.dataset.state = 'live';
      // On a reconnect, records may have been missed: refetch the latest ones.
      if (opened) loadSnapshot().catch(() => (status.textContent = 'snapshot failed'));
      opened = true;
    });
    source.addEventListener('error', () => {
      status.textContent = 'reconnecting…';
      status.dataset.state = 'down';
    });
    source.addEventListener('record', (e) => {
      pending.push(JSON.parse((e as MessageEvent<string>).data) as CompactRecord);
      if (pending.length > MAX_STORE) pending = pending.slice(pending.length - MAX_STORE);
      schedule();
    });
    source.addEventListener('snapshot', (e) => {
      snapshot = JSON.parse((e as MessageEvent<string>).data) as CompactSnapshot;
      snapshotDirty = true;
      tableDirty = true;
      schedule();
    });
  }

  function wire(): void {
    for (const key of ['verdict', 'host', 'app'] as const) {
      byId<HTMLSelectElement>(`f-${key}`).addEventListener('change', (e) =>
        setFilter(key, (e.target as HTMLSelectElement).value),
      );
    }
    byId<HTMLInputElement>('f-text').addEventListener('input', (e) =>
      setFilter('text', (e.target as HTMLInputElement).value),
    );
    byId('f-clear').addEventListener('click', () => {
      for (const key of ['verdict', 'host', 'app', 'text'] as const) setFilter(key, '');
    });
    byId('t-more').addEventListener('click', () => {
      limit += PAGE;
      tableDirty = true;
      schedule();
    });
    byId('apps-more').addEventListener('click', () => {
      showAllApps = true;
      snapshotDirty = true;
      schedule();
    });
    byId('rows').addEventListener('click', (e) => {
      const tr = (e.target as HTMLElement).closest('tr');
      const id = tr?.dataset.id;
      if (id !== undefined) void select(id);
    });
    byId('d-close').addEventListener('click', closeDetail);
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') closeDetail();
    });
    byId('f-verdict').replaceChildren(...optionList(VERDICTS, (v) => v));
  }

  wire();
  connect();
  loadSnapshot().catch((err: unknown) => {
    byId('status').textContent = `snapshot failed: ${String(err)}`;
  });
}
