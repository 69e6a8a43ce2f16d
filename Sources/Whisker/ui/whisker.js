/* Whisker — live Calico flow logs. Plain ES2020, no dependencies, no build step.
 * Every string that comes from the server is inserted with textContent / DOM APIs only. */
(() => {
  'use strict';

  const API = '/whisker-backend';
  const DEFAULT_START = -60;          // seconds relative to "now" on the server
  const MAX_ROWS = 20000;             // rows kept in memory
  const PAGE_ROWS = 500;              // rows put in the DOM per "show more"
  const HINT_PAGE_SIZE = 20;
  const RENDER_INTERVAL_MS = 1000;
  const COLS = 11;
  const ACTIONS = ['Allow', 'Deny', 'Pass'];
  const KINDS = ['GlobalNetworkPolicy', 'CalicoNetworkPolicy', 'NetworkPolicy', 'StagedNetworkPolicy',
    'StagedGlobalNetworkPolicy', 'StagedKubernetesNetworkPolicy', 'Profile', 'EndOfTier'];
  const PICKER_KEYS = ['policy', 'tier', 'source_ns', 'source', 'dest_ns', 'dest'];
  const URL_ORDER = ['policy', 'tier', 'source_ns', 'source', 'dest_ns', 'dest', 'port', 'protocol',
    'action', 'kind', 'pending', 'source_ip', 'dest_ip'];
  const STATE_TEXT = { connecting: 'Connecting…', live: 'Live', paused: 'Paused',
    reconnecting: 'Reconnecting…', error: 'Error' };
  const MARK = { Allow: '✓', Deny: '✗', Pass: '↷' };

  const emptyFilters = () => ({
    tab: 'all', policy: [], tier: [], source_ns: [], source: [], dest_ns: [], dest: [],
    port: [], protocol: [], source_ip: [], dest_ip: [], action: '', kind: '', pending: '',
  });

  const S = {
    filters: emptyFilters(),
    rows: [],               // newest first: {id, raw, flow, startMs, endMs, action, enforced, pending, ...}
    seen: new Set(),        // raw JSON of rows currently held (dedup)
    buffer: [],             // raw event payloads not yet merged
    cache: new Map(),       // row id -> {row: <tr>, detail: <tr>|null}
    expanded: new Set(),
    nextId: 1,
    limit: PAGE_ROWS,
    es: null,
    url: '',
    streamState: 'connecting',
    paused: false,
    pausedByExpand: false,
    windowStart: null,      // earliest loaded start time (unix s) since load/reset
    timer: null,
    lastFlush: 0,           // time of the last merge of streamed events
  };
  const pickers = new Map();
  const $ = (id) => document.getElementById(id);

  /* ---------- small helpers ---------- */

  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v == null || v === false) continue;
        if (k === 'class') el.className = v;
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const kid of kids.flat()) {
      if (kid == null || kid === false) continue;
      el.append(kid instanceof Node ? kid : String(kid));
    }
    return el;
  }

  const str = (v) => (v == null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const arr = (v) => (Array.isArray(v) ? v : []);
  const uniq = (list) => [...new Set(list)];
  const isGlobalNs = (ns) => ns == null || ns === '' || ns === '-';
  const nsLabel = (ns) => (isGlobalNs(ns) ? 'Global' : str(ns));
  const actionClass = (a) => (ACTIONS.includes(a) ? a.toLowerCase() : 'unknown');
  const sameList = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const splitList = (s) => str(s).split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);

  function parseTime(v) {
    if (typeof v === 'number' && Number.isFinite(v)) return v < 1e12 ? v * 1000 : v;
    if (typeof v !== 'string' || !v) return NaN;
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? Date.parse(v.replace(/(\.\d{3})\d+/, '$1')) : ms;
  }

  const timeOfDay = (ms) => (Number.isFinite(ms)
    ? new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })
    : '—');
  const fullTime = (ms, raw) => (Number.isFinite(ms)
    ? `${new Date(ms).toLocaleString()}  (${str(raw)})` : (str(raw) || '—'));

  function fmtNum(v) {
    if (v == null || v === '' || !Number.isFinite(Number(v))) return '—';
    return Number(v).toLocaleString();
  }

  function fmtBytes(v) {
    if (v == null || v === '' || !Number.isFinite(Number(v))) return '—';
    const n = Number(v);
    const units = ['B', 'kB', 'MB', 'GB', 'TB'];
    let i = 0;
    let x = n;
    while (Math.abs(x) >= 1000 && i < units.length - 1) { x /= 1000; i++; }
    return i === 0 ? `${n.toLocaleString()} B` : `${x.toFixed(1)} ${units[i]} (${n.toLocaleString()})`;
  }

  const actionPill = (a) => h('span', { class: `pill ${actionClass(a)}` }, a || 'Unknown');

  /* ---------- flows → rows ---------- */

  function hitsOf(flow, which) {
    const p = flow.policies;
    if (!p || typeof p !== 'object') return [];
    return arr(p[which]).filter((x) => x && typeof x === 'object');
  }

  // Verdict of a trace: the last hit that is not a Pass (Pass hands on to the next tier).
  function verdict(hits) {
    for (let i = hits.length - 1; i >= 0; i--) {
      const a = str(hits[i].action);
      if (a && a !== 'Pass') return a;
    }
    return hits.length ? str(hits[hits.length - 1].action) : '';
  }

  function makeRow(flow, raw) {
    const enforced = hitsOf(flow, 'enforced');
    const pending = hitsOf(flow, 'pending');
    const action = str(flow.action);
    const pendingAction = verdict(pending);
    return {
      id: S.nextId++, raw, flow, action, enforced, pending, pendingAction,
      pendingDiffers: pendingAction !== '' && pendingAction !== action,
      startMs: parseTime(flow.start_time), endMs: parseTime(flow.end_time),
    };
  }

  const sortKey = (r) => (Number.isFinite(r.startMs) ? r.startMs : -Infinity);
  const newestFirst = (a, b) => (sortKey(b) - sortKey(a)) || (b.id - a.id);

  function merge(a, b) {
    const out = [];
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) out.push(newestFirst(a[i], b[j]) <= 0 ? a[i++] : b[j++]);
    while (i < a.length) out.push(a[i++]);
    while (j < b.length) out.push(b[j++]);
    return out;
  }

  function schedule() {
    if (S.timer) return;
    S.timer = setTimeout(flush, Math.max(0, S.lastFlush + RENDER_INTERVAL_MS - Date.now()));
  }

  // Merge buffered events into the table (at most once per second, see schedule()).
  function flush() {
    clearTimeout(S.timer);
    S.timer = null;
    if (!S.buffer.length) return;
    const batch = [];
    for (const raw of S.buffer) {
      if (S.seen.has(raw)) continue;
      let flow;
      try { flow = JSON.parse(raw); } catch (_) { continue; }
      if (!flow || typeof flow !== 'object' || Array.isArray(flow)) continue;
      S.seen.add(raw);
      batch.push(makeRow(flow, raw));
    }
    S.buffer = [];
    if (!batch.length) return;
    S.lastFlush = Date.now();
    batch.sort(newestFirst);
    S.rows = merge(batch, S.rows);
    if (S.rows.length > MAX_ROWS) {
      for (const r of S.rows.splice(MAX_ROWS)) {
        S.seen.delete(r.raw);
        S.cache.delete(r.id);
        S.expanded.delete(r.id);
      }
    }
    for (const r of batch) {
      if (!Number.isFinite(r.startMs) || r.startMs <= 0) continue;
      const sec = Math.floor(r.startMs / 1000);
      S.windowStart = S.windowStart == null ? sec : Math.min(S.windowStart, sec);
    }
    render();
  }

  function resetRows() {
    clearTimeout(S.timer);
    S.timer = null;
    S.rows = [];
    S.seen.clear();
    S.buffer = [];
    S.cache.clear();
    S.expanded.clear();
    S.limit = PAGE_ROWS;
  }

  /* ---------- filters → API JSON ---------- */

  function policyMatches(names, tiers, kind) {
    if (!names.length && !tiers.length && !kind) return [];
    const out = [];
    for (const tier of tiers.length ? tiers : [null]) {
      for (const name of names.length ? names : [null]) {
        const m = {};
        if (kind) m.kind = kind;
        if (tier) m.tier = tier;
        if (name) m.name = name;
        out.push(m);
      }
    }
    return out;
  }

  // hintKey/hintText: for filter hints, that field is replaced by a Fuzzy match on the typed text.
  function buildFilters(f, hintKey = null, hintText = '') {
    const out = {};
    const exact = (value) => ({ value, type: 'Exact' });
    const matches = (key) => (key === hintKey
      ? (hintText ? [{ value: hintText, type: 'Fuzzy' }] : [])
      : f[key].map(exact));
    const put = (apiKey, list) => { if (list.length) out[apiKey] = list; };
    put('source_names', matches('source'));
    put('source_namespaces', matches('source_ns'));
    put('dest_names', matches('dest'));
    put('dest_namespaces', matches('dest_ns'));
    put('protocols', f.protocol.map(exact));
    put('dest_ports', f.port.map((p) => exact(Number(p))));
    put('actions', f.tab === 'denied' ? ['Deny'] : (f.action ? [f.action] : []));
    put('policies', policyMatches(matches('policy'), matches('tier'), f.kind));
    put('pending_actions', f.pending ? [f.pending] : []);
    put('source_ips', f.source_ip.map(exact));
    put('dest_ips', f.dest_ip.map(exact));
    return out;
  }

  /* ---------- free-entry value parsing ---------- */

  function normPort(s) {
    return /^\d{1,5}$/.test(s) && Number(s) <= 65535 ? String(Number(s)) : null;
  }
  function normProtocol(s) {
    return /^[a-z0-9][a-z0-9-]{0,15}$/i.test(s) ? s.toLowerCase() : null;
  }
  function isIPv6(addr) {
    if (!addr.includes(':') || !/^[0-9a-f:.]+$/i.test(addr)) return false;
    try { new URL(`http://[${addr}]/`); return true; } catch (_) { return false; }
  }
  function normIP(s) {
    const parts = s.split('/');
    if (parts.length > 2) return null;
    const [addr, bits] = parts;
    const octet = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
    const v4 = new RegExp(`^${octet}(\\.${octet}){3}$`).test(addr);
    if (!v4 && !isIPv6(addr)) return null;
    if (bits === undefined) return s;
    return /^\d{1,3}$/.test(bits) && Number(bits) <= (v4 ? 32 : 128) ? s : null;
  }

  const FREE = {
    port: { id: 'filter-port', norm: normPort, hint: 'Ports 0–65535, comma separated' },
    protocol: { id: 'filter-protocol', norm: normProtocol, hint: 'Protocol name, e.g. tcp, udp, icmp' },
    source_ip: { id: 'filter-source-ip', norm: normIP, hint: 'An address or CIDR, e.g. 10.244.1.5 or 10.244.0.0/16' },
    dest_ip: { id: 'filter-dest-ip', norm: normIP, hint: 'An address or CIDR, e.g. 10.244.1.5 or 10.244.0.0/16' },
  };

  // Returns the normalised list, or null when any entry is invalid.
  function parseFree(cfg, text) {
    const out = splitList(text).map(cfg.norm);
    return out.includes(null) ? null : uniq(out);
  }

  /* ---------- URL query string ---------- */

  function readURL() {
    const q = new URLSearchParams(location.search);
    const f = emptyFilters();
    f.tab = q.get('tab') === 'denied' ? 'denied' : 'all';
    for (const k of PICKER_KEYS) f[k] = uniq(q.getAll(k));
    for (const [k, cfg] of Object.entries(FREE)) {
      f[k] = uniq(q.getAll(k).flatMap(splitList).map(cfg.norm).filter((x) => x !== null));
    }
    const one = (k, allowed) => (allowed.includes(q.get(k)) ? q.get(k) : '');
    f.action = one('action', ACTIONS);
    f.pending = one('pending', ACTIONS);
    f.kind = one('kind', KINDS);
    return f;
  }

  function writeURL() {
    const f = S.filters;
    const q = new URLSearchParams();
    if (f.tab === 'denied') q.set('tab', 'denied');
    for (const k of URL_ORDER) {
      const v = f[k];
      if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
      else if (v) q.set(k, v);
    }
    const s = q.toString();
    try {
      history.replaceState(null, '', `${location.pathname}${s ? `?${s}` : ''}${location.hash}`);
    } catch (_) { /* e.g. opened from file:// */ }
  }

  /* ---------- the event stream ---------- */

  function streamURL(start) {
    const filters = encodeURIComponent(JSON.stringify(buildFilters(S.filters)));
    return `${API}/flows?watch=true&startTimeGte=${start}&filters=${filters}`;
  }

  function closeStream() {
    if (S.es) S.es.close();
    S.es = null;
  }

  function openStream(start) {
    closeStream();
    showError('');
    S.url = streamURL(start);
    if (typeof EventSource === 'undefined') {
      setStreamState('error', 'This browser does not support EventSource.');
      return;
    }
    let es;
    try { es = new EventSource(S.url); } catch (err) {
      setStreamState('error', str(err && err.message));
      return;
    }
    S.es = es;
    setStreamState('connecting');
    es.onopen = () => { if (S.es === es) { setStreamState('live'); showError(''); } };
    es.onmessage = (e) => {
      if (S.es !== es) return;
      if (S.streamState !== 'live') setStreamState('live');
      S.buffer.push(String(e.data));
      schedule();
    };
    es.onerror = () => {
      if (S.es !== es) return;
      if (es.readyState === EventSource.CLOSED) {
        setStreamState('error');
        explainError(S.url, es);
      } else {
        setStreamState('reconnecting');
      }
    };
  }

  // EventSource hides the HTTP error; ask the list endpoint for the {"error": …} message.
  async function explainError(url, es) {
    let msg = 'The flow stream closed.';
    try {
      const res = await fetch(url.replace('watch=true&', ''), { headers: { Accept: 'application/json' } });
      const body = await res.json().catch(() => null);
      if (!res.ok) msg = (body && typeof body.error === 'string' && body.error) || `HTTP ${res.status}`;
    } catch (_) {
      msg = 'The whisker backend is unreachable.';
    }
    if (S.es === es && S.streamState === 'error') {
      showError(`Flow stream failed: ${msg}`);
      setStreamState('error', msg);
    }
  }

  function showError(msg) {
    const el = $('stream-error');
    el.textContent = msg;
    el.hidden = !msg;
  }

  function setStreamState(state, detail = '') {
    S.streamState = state;
    const el = $('stream-state');
    el.dataset.state = state;
    el.textContent = STATE_TEXT[state] || state;
    el.title = detail || STATE_TEXT[state] || state;
    const btn = $('pause');
    btn.textContent = S.paused ? 'Play' : state === 'error' ? 'Retry' : 'Pause';
    btn.setAttribute('aria-pressed', String(S.paused));
    btn.title = S.paused ? 'Resume the live stream' : 'Pause the live stream';
    if (!S.rows.length) render();
  }

  function newestSeconds() {
    const r = S.rows[0];
    if (!r) return DEFAULT_START;
    const ms = Number.isFinite(r.endMs) && r.endMs > 0 ? r.endMs : r.startMs;
    return Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : DEFAULT_START;
  }

  function pause(byExpand) {
    if (S.paused) return;
    flush();
    closeStream();
    S.paused = true;
    S.pausedByExpand = byExpand;
    setStreamState('paused');
  }

  function play() {
    S.paused = false;
    S.pausedByExpand = false;
    openStream(newestSeconds());
  }

  // Replace all rows and reopen the stream for the current filters.
  function restart(start) {
    closeStream();
    resetRows();
    S.paused = false;
    S.pausedByExpand = false;
    openStream(start);
    render();
  }

  function filtersChanged() {
    writeURL();
    syncControls();
    restart(S.windowStart == null ? DEFAULT_START : S.windowStart);
  }

  /* ---------- table rendering ---------- */

  function endpointCell(name, ips) {
    const n = str(name) || '—';
    const list = arr(ips).map(str).filter(Boolean);
    const special = n === 'PUBLIC NETWORK' || n === 'PRIVATE NETWORK';
    return h('td', { class: 'ep', title: [n, ...list].join('\n') },
      h('div', { class: special ? 'name net' : 'name' }, n),
      list.length ? h('div', { class: 'ips', 'data-testid': 'ips' },
        list[0] + (list.length > 1 ? ` +${list.length - 1}` : '')) : null);
  }

  function hitLabel(hit) {
    const kind = str(hit.kind);
    const tier = str(hit.tier);
    const name = str(hit.name);
    if (kind === 'EndOfTier') return `${tier || '?'}/end of tier`;
    if (kind === 'Profile') return `profile/${name}`;
    return tier ? `${tier}/${name}` : (name || '?');
  }

  function hitTitle(hit) {
    const ns = isGlobalNs(hit.namespace) ? '' : `${str(hit.namespace)}/`;
    return `${str(hit.kind) || '?'} ${ns}${str(hit.name)} (tier ${str(hit.tier) || '?'}) → ${str(hit.action) || '?'}`;
  }

  function policyCell(r) {
    const td = h('td', { class: 'pol', title: r.enforced.map(hitTitle).join('\n') || 'No enforced policy trace' });
    const shown = r.enforced.slice(-2);
    if (r.enforced.length > shown.length) td.append(h('span', { class: 'hit more' }, '…'));
    shown.forEach((hit, i) => {
      if (i > 0 || r.enforced.length > shown.length) td.append(h('span', { class: 'sep' }, '›'));
      const a = str(hit.action);
      td.append(h('span', { class: `hit ${actionClass(a)}` }, `${hitLabel(hit)} ${MARK[a] || '?'}`));
    });
    if (!r.enforced.length) td.append(h('span', { class: 'muted' }, '—'));
    if (r.pendingDiffers) {
      td.append(h('span', {
        class: 'badge pending', 'data-testid': 'pending-badge',
        title: `Staged (pending) policies would ${r.pendingAction} this flow; enforced: ${r.action || '?'}`,
      }, `pending: ${r.pendingAction}`));
    }
    return td;
  }

  function buildRow(r) {
    const f = r.flow;
    const port = f.dest_port == null || f.dest_port === '' ? '—' : str(f.dest_port);
    return h('tr', {
      'data-testid': 'flow-row', 'data-id': r.id, 'data-action': r.action,
      'data-source': str(f.source_name), 'data-dest': str(f.dest_name),
      'data-source-ns': str(f.source_namespace), 'data-dest-ns': str(f.dest_namespace),
      'data-pending-action': r.pendingAction,
      class: `flow a-${actionClass(r.action)}${r.pendingDiffers ? ' pending-diff' : ''}`,
    },
    h('td', { class: 'c-exp' }, h('button', {
      type: 'button', class: 'expander', 'data-testid': 'expand',
      'aria-label': 'Show flow details', 'aria-expanded': 'false',
    }, '▸')),
    h('td', { class: 'mono', title: str(f.start_time) }, timeOfDay(r.startMs)),
    h('td', { class: 'mono', title: str(f.end_time) }, timeOfDay(r.endMs)),
    h('td', null, actionPill(r.action)),
    h('td', { class: 'ns', title: nsLabel(f.source_namespace) }, nsLabel(f.source_namespace)),
    endpointCell(f.source_name, f.source_ips),
    h('td', { class: 'ns', title: nsLabel(f.dest_namespace) }, nsLabel(f.dest_namespace)),
    endpointCell(f.dest_name, f.dest_ips),
    h('td', { class: 'mono' }, str(f.protocol) || '—'),
    h('td', { class: 'mono' }, port),
    policyCell(r));
  }

  function labelsEl(v) {
    let list;
    if (Array.isArray(v)) list = v.map(str);
    else if (v && typeof v === 'object') list = Object.entries(v).map(([k, x]) => `${k}=${str(x)}`);
    else list = str(v).split(/\s*\|\s*/);
    list = list.filter(Boolean);
    if (!list.length) return '—';
    return h('span', { class: 'labels' }, list.map((l) => h('span', { class: 'label' }, l)));
  }

  function triggerLabel(t) {
    if (!t || typeof t !== 'object') return '';
    const ns = isGlobalNs(t.namespace) ? '' : `${str(t.namespace)}/`;
    return `${ns}${str(t.name)}`;
  }

  function hitRow(hit) {
    const eot = str(hit.kind) === 'EndOfTier';
    const rule = eot ? '' : (Number(hit.rule_index) === -1 ? 'end of tier' : str(hit.rule_index));
    return h('tr', { 'data-kind': str(hit.kind) },
      h('td', null, str(hit.kind) || '—'),
      h('td', null, nsLabel(hit.namespace)),
      h('td', null, str(hit.name)),
      h('td', null, str(hit.tier)),
      h('td', null, actionPill(str(hit.action))),
      h('td', { class: 'mono' }, eot ? '' : str(hit.policy_index)),
      h('td', { class: 'mono' }, rule),
      h('td', { title: hit.trigger ? hitTitle(hit.trigger) : null }, triggerLabel(hit.trigger)));
  }

  function traceTable(title, testid, hits, note) {
    const head = ['Kind', 'Namespace', 'Name', 'Tier', 'Action', 'Policy index', 'Rule index', 'Triggered by'];
    const rows = hits.length ? hits.map(hitRow)
      : [h('tr', { class: 'empty' }, h('td', { colspan: head.length }, 'No policies'))];
    const v = verdict(hits);
    return h('section', { class: 'trace' },
      h('h3', null, title, v ? ' ' : null, v ? actionPill(v) : null, note),
      h('div', { class: 'scroll' }, h('table', { class: 'trace-t', 'data-testid': testid },
        h('thead', null, h('tr', null, head.map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, rows))));
  }

  function buildDetail(r) {
    const f = r.flow;
    const port = f.dest_port == null ? '—' : str(f.dest_port);
    const kv = [
      ['Start time', fullTime(r.startMs, f.start_time)],
      ['End time', fullTime(r.endMs, f.end_time)],
      ['Action', actionPill(r.action)],
      ['Reporter', str(f.reporter) || '—'],
      ['Protocol / port', `${str(f.protocol) || '—'} / ${port}`],
      ['Source', `${nsLabel(f.source_namespace)} / ${str(f.source_name) || '—'}`],
      ['Source labels', labelsEl(f.source_labels)],
      ['Source IPs', arr(f.source_ips).map(str).join(', ') || '—'],
      ['Destination', `${nsLabel(f.dest_namespace)} / ${str(f.dest_name) || '—'}`],
      ['Destination labels', labelsEl(f.dest_labels)],
      ['Destination IPs', arr(f.dest_ips).map(str).join(', ') || '—'],
      ['Packets in / out', `${fmtNum(f.packets_in)} / ${fmtNum(f.packets_out)}`],
      ['Bytes in / out', `${fmtBytes(f.bytes_in)} / ${fmtBytes(f.bytes_out)}`],
    ];
    const table = h('table', { class: 'kv', 'data-testid': 'flow-kv' },
      h('tbody', null, kv.map(([k, v]) => h('tr', null, h('th', { scope: 'row' }, k), h('td', null, v)))));
    const json = h('pre', { class: 'json', 'data-testid': 'flow-json', hidden: true }, JSON.stringify(f, null, 2));
    const tabDetails = h('button', { type: 'button', class: 'dtab', 'aria-pressed': 'true' }, 'Details');
    const tabJson = h('button', { type: 'button', class: 'dtab', 'aria-pressed': 'false', 'data-testid': 'details-json' }, 'JSON');
    const show = (asJson) => {
      json.hidden = !asJson;
      table.hidden = asJson;
      tabDetails.setAttribute('aria-pressed', String(!asJson));
      tabJson.setAttribute('aria-pressed', String(asJson));
    };
    tabDetails.addEventListener('click', () => show(false));
    tabJson.addEventListener('click', () => show(true));
    const note = r.pendingDiffers
      ? h('span', { class: 'badge pending' }, `differs from enforced (${r.action || '?'})`) : null;
    return h('tr', { class: 'detail-row', 'data-detail-for': r.id },
      h('td', { colspan: COLS },
        h('div', { class: 'details', 'data-testid': 'flow-details' },
          h('div', { class: 'info' }, h('div', { class: 'dtabs' }, tabDetails, tabJson), table, json),
          h('div', { class: 'traces' },
            traceTable('Enforced policies', 'trace-enforced', r.enforced, null),
            traceTable('Pending policies', 'trace-pending', r.pending, note)))));
  }

  function cached(r) {
    let c = S.cache.get(r.id);
    if (!c) {
      c = { row: buildRow(r), detail: null };
      S.cache.set(r.id, c);
    }
    const open = S.expanded.has(r.id);
    c.row.classList.toggle('open', open);
    const btn = c.row.querySelector('.expander');
    btn.setAttribute('aria-expanded', String(open));
    btn.textContent = open ? '▾' : '▸';
    if (open && !c.detail) c.detail = buildDetail(r);
    return c;
  }

  function emptyRow() {
    const text = S.paused ? 'Paused — no flows loaded. Press Play to resume.'
      : S.streamState === 'error' ? 'Could not read the flow stream.'
        : 'Waiting for flows…';
    return h('tr', { class: 'empty-row', 'data-testid': 'flows-empty' }, h('td', { colspan: COLS }, text));
  }

  function render() {
    const frag = document.createDocumentFragment();
    const visible = Math.min(S.rows.length, S.limit);
    for (let i = 0; i < visible; i++) {
      const r = S.rows[i];
      const c = cached(r);
      frag.appendChild(c.row);
      if (S.expanded.has(r.id)) frag.appendChild(c.detail);
    }
    if (!visible) frag.appendChild(emptyRow());
    $('flows-body').replaceChildren(frag);
    const total = S.rows.length;
    let count = `${total.toLocaleString()} flow${total === 1 ? '' : 's'}`;
    if (total > visible) count += ` · showing newest ${visible.toLocaleString()}`;
    if (total >= MAX_ROWS) count += ' · limit reached';
    $('flow-count').textContent = count;
    const more = $('show-more');
    more.hidden = total <= visible;
    more.textContent = `Show ${Math.min(PAGE_ROWS, total - visible).toLocaleString()} more`;
  }

  function toggleRow(id) {
    if (!S.rows.some((r) => r.id === id)) return;
    if (S.expanded.has(id)) {
      S.expanded.delete(id);
      if (!S.expanded.size && S.paused && S.pausedByExpand) play();
    } else {
      S.expanded.add(id);
      if (!S.paused) pause(true);
    }
    render();
  }

  /* ---------- multi-select filter pickers ---------- */

  function valueLabel(p, v) {
    return p.key.endsWith('_ns') ? nsLabel(v) : v;
  }

  function createPicker(root) {
    const key = root.dataset.key;
    const label = root.dataset.label || key;
    const p = {
      key, label, type: root.dataset.hint, root, items: [], page: 0, hasMore: false,
      loading: false, error: '', req: 0, text: '', debounce: null,
    };
    p.btn = h('button', { type: 'button', class: 'ms-btn', 'aria-haspopup': 'listbox', 'aria-expanded': 'false', 'data-testid': 'filter-toggle' });
    p.chips = h('span', { class: 'ms-chips' });
    p.search = h('input', {
      type: 'search', class: 'ms-search', placeholder: `Search ${label.toLowerCase()}…`,
      'aria-label': `Search ${label}`, 'data-testid': 'filter-search', autocomplete: 'off', spellcheck: 'false',
    });
    p.list = h('ul', { class: 'ms-list', role: 'listbox', 'aria-multiselectable': 'true', 'aria-label': label });
    p.status = h('div', { class: 'ms-status', 'aria-live': 'polite' });
    p.moreBtn = h('button', { type: 'button', class: 'ms-more', 'data-testid': 'filter-load-more', hidden: true }, 'Load more');
    p.pop = h('div', { class: 'ms-pop', hidden: true }, p.search, p.list, p.status, p.moreBtn);
    root.replaceChildren(p.btn, p.chips, p.pop);

    p.btn.addEventListener('click', () => (p.pop.hidden ? openPicker(p) : closePicker(p, false)));
    p.search.addEventListener('input', () => {
      clearTimeout(p.debounce);
      p.debounce = setTimeout(() => { p.text = p.search.value.trim(); loadHints(p, true); }, 250);
    });
    p.search.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        const v = p.search.value.trim();
        if (v) toggleValue(p, v, true);
      } else if (e.key === 'Escape') closePicker(p, true);
    });
    const pick = (e) => {
      const li = e.target.closest('li[data-value]');
      if (li) toggleValue(p, li.dataset.value, false);
    };
    p.list.addEventListener('click', pick);
    p.list.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); pick(e); }
      if (e.key === 'Escape') closePicker(p, true);
    });
    p.list.addEventListener('scroll', () => {
      const l = p.list;
      if (p.hasMore && !p.loading && l.scrollTop + l.clientHeight >= l.scrollHeight - 24) loadHints(p, false);
    });
    p.moreBtn.addEventListener('click', () => loadHints(p, false));
    p.chips.addEventListener('click', (e) => {
      const b = e.target.closest('button[data-value]');
      if (b) toggleValue(p, b.dataset.value, false);
    });
    return p;
  }

  function openPicker(p) {
    for (const other of pickers.values()) if (other !== p) closePicker(other, false);
    p.pop.hidden = false;
    p.btn.setAttribute('aria-expanded', 'true');
    p.search.focus();
    loadHints(p, true);
  }

  function closePicker(p, focusButton) {
    if (p.pop.hidden) return;
    p.pop.hidden = true;
    p.btn.setAttribute('aria-expanded', 'false');
    p.req++; // drop in-flight answers
    p.loading = false;
    if (focusButton) p.btn.focus();
  }

  function toggleValue(p, v, addOnly) {
    const sel = S.filters[p.key];
    const i = sel.indexOf(v);
    if (i >= 0) {
      if (addOnly) return;
      sel.splice(i, 1);
    } else {
      sel.push(v);
    }
    filtersChanged();
  }

  function renderPicker(p) {
    const sel = S.filters[p.key];
    p.btn.replaceChildren(...[h('span', null, p.label),
      sel.length ? h('span', { class: 'n' }, String(sel.length)) : null,
      h('span', { class: 'caret', 'aria-hidden': 'true' }, '▾')].filter(Boolean));
    p.root.classList.toggle('active', sel.length > 0);
    p.chips.replaceChildren(...sel.map((v) => h('span', { class: 'chip', title: v, 'data-testid': 'filter-chip' },
      valueLabel(p, v),
      h('button', { type: 'button', class: 'chip-x', 'data-value': v, 'aria-label': `Remove ${v}` }, '×'))));
    if (!p.pop.hidden) renderList(p);
  }

  function renderList(p) {
    const sel = S.filters[p.key];
    const t = p.text.toLowerCase();
    const extra = sel.filter((v) => !p.items.includes(v) && v.toLowerCase().includes(t));
    const values = [...extra, ...p.items];
    p.list.replaceChildren(...values.map((v) => h('li', {
      role: 'option', tabindex: '0', 'data-testid': 'filter-option', 'data-value': v,
      'aria-selected': String(sel.includes(v)), class: sel.includes(v) ? 'sel' : null,
    }, valueLabel(p, v))));
    let status = '';
    if (p.error) status = `Error: ${p.error}`;
    else if (p.loading) status = 'Loading…';
    else if (!values.length) status = 'No matches';
    if (!p.loading && p.text && !values.includes(p.text)) status += `${status ? ' · ' : ''}Enter adds “${p.text}”`;
    p.status.textContent = status;
    p.moreBtn.hidden = !p.hasMore || p.loading;
  }

  async function loadHints(p, reset) {
    if (reset) { p.items = []; p.page = 0; p.hasMore = false; }
    const token = ++p.req;
    p.loading = true;
    p.error = '';
    renderList(p);
    const filters = encodeURIComponent(JSON.stringify(buildFilters(S.filters, p.key, p.text)));
    const url = `${API}/flows-filter-hints?type=${encodeURIComponent(p.type)}&filters=${filters}`
      + `&page=${p.page}&pageSize=${HINT_PAGE_SIZE}`;
    try {
      const res = await fetch(url, { headers: { Accept: 'application/json' } });
      const body = await res.json().catch(() => null);
      if (token !== p.req) return;
      if (!res.ok) throw new Error((body && typeof body.error === 'string' && body.error) || `HTTP ${res.status}`);
      for (const it of arr(body && body.items)) {
        const v = it && typeof it === 'object' ? it.value : it;
        if (v == null) continue;
        const s = str(v);
        if (!p.items.includes(s)) p.items.push(s);
      }
      p.page += 1;
      const pages = Number(body && body.total && body.total.totalPages);
      p.hasMore = Number.isFinite(pages) && p.page < pages;
    } catch (err) {
      if (token !== p.req) return;
      p.error = str(err && err.message) || 'request failed';
      p.hasMore = false;
    }
    p.loading = false;
    renderList(p);
  }

  /* ---------- other controls ---------- */

  function syncControls() {
    const f = S.filters;
    for (const p of pickers.values()) renderPicker(p);
    for (const [k, cfg] of Object.entries(FREE)) {
      const el = $(cfg.id);
      const current = parseFree(cfg, el.value);
      if (!current || !sameList(current, f[k])) el.value = f[k].join(', ');
      el.classList.remove('invalid');
      el.removeAttribute('aria-invalid');
      el.title = cfg.hint;
      el.closest('.fld').classList.toggle('active', f[k].length > 0);
    }
    for (const [id, k] of [['filter-action', 'action'], ['filter-kind', 'kind'], ['filter-pending', 'pending']]) {
      $(id).value = f[k];
      $(id).closest('.fld').classList.toggle('active', !!f[k]);
    }
    const denied = f.tab === 'denied';
    $('filter-action').disabled = denied;
    $('filter-action').title = denied ? 'The Denied flows tab shows Deny only' : '';
    $('tab-all').setAttribute('aria-selected', String(!denied));
    $('tab-denied').setAttribute('aria-selected', String(denied));
    document.body.dataset.tab = f.tab;
  }

  function bindFree(key, cfg) {
    const el = $(cfg.id);
    let timer = null;
    const commit = () => {
      clearTimeout(timer);
      const v = parseFree(cfg, el.value);
      el.classList.toggle('invalid', v === null);
      if (v === null) {
        el.setAttribute('aria-invalid', 'true');
        el.title = `Invalid: ${cfg.hint}`;
        return;
      }
      el.removeAttribute('aria-invalid');
      el.title = cfg.hint;
      if (sameList(v, S.filters[key])) return;
      S.filters[key] = v;
      filtersChanged();
    };
    el.addEventListener('change', commit);
    el.addEventListener('keydown', (e) => { if (e.key === 'Enter') commit(); });
    el.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(commit, 800); });
  }

  function bindControls() {
    for (const [k, cfg] of Object.entries(FREE)) bindFree(k, cfg);
    for (const [id, k] of [['filter-action', 'action'], ['filter-kind', 'kind'], ['filter-pending', 'pending']]) {
      $(id).addEventListener('change', (e) => {
        S.filters[k] = e.target.value;
        filtersChanged();
      });
    }
    const setTab = (tab) => {
      if (S.filters.tab === tab) return;
      S.filters.tab = tab;
      filtersChanged();
    };
    $('tab-all').addEventListener('click', () => setTab('all'));
    $('tab-denied').addEventListener('click', () => setTab('denied'));
    $('reset').addEventListener('click', () => {
      S.filters = { ...emptyFilters(), tab: S.filters.tab };
      S.windowStart = null;
      for (const cfg of Object.values(FREE)) $(cfg.id).value = '';
      writeURL();
      syncControls();
      restart(DEFAULT_START);
    });
    $('pause').addEventListener('click', () => {
      if (S.paused || S.streamState === 'error') play();
      else pause(false);
    });
    $('show-more').addEventListener('click', () => {
      S.limit += PAGE_ROWS;
      render();
    });
    $('flows-body').addEventListener('click', (e) => {
      const tr = e.target.closest('tr[data-testid="flow-row"]');
      if (!tr) return;
      if (!e.target.closest('.expander') && String(window.getSelection() || '').length) return;
      toggleRow(Number(tr.dataset.id));
    });
    document.addEventListener('click', (e) => {
      const path = e.composedPath();
      for (const p of pickers.values()) if (!path.includes(p.root)) closePicker(p, false);
    });
    document.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape') return;
      for (const p of pickers.values()) closePicker(p, false);
    });
    window.addEventListener('pagehide', closeStream);
  }

  function init() {
    S.filters = readURL();
    document.querySelectorAll('.ms[data-key]').forEach((root) => {
      const p = createPicker(root);
      pickers.set(p.key, p);
    });
    bindControls();
    syncControls();
    writeURL();
    openStream(DEFAULT_START);
    render();
  }

  window.whisker = Object.freeze({
    rows: () => S.rows.map((r) => r.flow),
    currentFilter: () => buildFilters(S.filters),
    streamURL: () => S.url,
  });

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
