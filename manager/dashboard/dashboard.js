/*
 * manager/dashboard/dashboard.js: polls the manager's admin API and draws the dashboard:
 * the ring as a circle (each node's arcs in its colour, from /v1/ring?arcs=360), the nodes
 * with state and ring checksums (a checksum other than the manager's in red), a key search
 * (/v1/whereis) that marks the key on the ring and highlights its replicas, and a line chart
 * of the manager's request rates from /metrics, and the data moves of a rebalance
 * (/v1/rebalance: progress, keys done and left, bytes, rate, ETA, per node). Plain ES2017, no
 * libraries.
 * A token for remote use comes from the URL fragment (#token=...) and is kept in
 * sessionStorage; #key=bucket/key searches that key on load.
 */
'use strict';

const POLL_MS = 2000;
const HISTORY = 60;
const SVGNS = 'http://www.w3.org/2000/svg';
const PALETTE = ['#1e88e5', '#43a047', '#fb8c00', '#8e24aa', '#e53935', '#00acc1', '#6d4c41',
                 '#3949ab', '#c0ca33', '#d81b60', '#00897b', '#5e35b1'];

const state = { colors: {}, status: null, ring: null, rebalance: null, hits: [], keyArc: null,
                samples: [] };

function fragmentParams() {
  const out = {};
  for (const part of location.hash.replace(/^#/, '').split('&')) {
    const i = part.indexOf('=');
    if (i > 0) out[decodeURIComponent(part.slice(0, i))] = decodeURIComponent(part.slice(i + 1));
  }
  return out;
}

const params = fragmentParams();
if (params.token) sessionStorage.setItem('cairn-token', params.token);

async function api(path, asText) {
  const headers = {};
  const token = sessionStorage.getItem('cairn-token');
  if (token) headers.Authorization = 'Bearer ' + token;
  const resp = await fetch(path, { headers, cache: 'no-store' });
  const body = asText ? await resp.text() : await resp.json();
  if (!resp.ok) throw new Error((body && body.error) || (path + ': HTTP ' + resp.status));
  return body;
}

function el(tag, attrs, text) {
  const isSvg = ['svg', 'path', 'circle', 'line', 'polyline', 'text', 'g', 'title', 'rect']
    .includes(tag);
  const e = isSvg ? document.createElementNS(SVGNS, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function showError(msg) {
  const box = document.getElementById('error');
  box.hidden = !msg;
  box.textContent = msg || '';
}

function colorOf(name) {
  if (!state.colors[name]) {
    const used = Object.keys(state.colors).length;
    state.colors[name] = PALETTE[used % PALETTE.length];
  }
  return state.colors[name];
}

/* ---- ring ---------------------------------------------------------------------------- */

const CX = 200, CY = 200, R = 140, WIDTH = 32;

function point(frac, radius) {
  const a = frac * 2 * Math.PI - Math.PI / 2;  /* 0 at the top, clockwise */
  return [CX + radius * Math.cos(a), CY + radius * Math.sin(a)];
}

function arcPath(f0, f1) {
  const [x0, y0] = point(f0, R), [x1, y1] = point(f1, R);
  const large = f1 - f0 > 0.5 ? 1 : 0;
  return `M ${x0.toFixed(2)} ${y0.toFixed(2)} A ${R} ${R} 0 ${large} 1 ${x1.toFixed(2)} ${y1.toFixed(2)}`;
}

function drawRing() {
  const svg = document.getElementById('ring');
  const legend = document.getElementById('legend');
  const ring = state.ring;
  svg.replaceChildren();
  legend.replaceChildren();
  if (!ring) {
    svg.appendChild(el('circle', { cx: CX, cy: CY, r: R, fill: 'none', stroke: '#ccc',
                                   'stroke-width': WIDTH, 'stroke-dasharray': '4 6' }));
    svg.appendChild(el('text', { x: CX, y: CY, 'text-anchor': 'middle', class: 'center' },
                       'no ring yet'));
    return;
  }
  for (const m of ring.members) colorOf(m.name);
  const total = ring.partitions;
  for (const a of ring.arcs) {
    const p = el('path', { d: arcPath(a.start / total, a.end / total), class: 'arc',
                           'data-node': a.node, fill: 'none', stroke: colorOf(a.node),
                           'stroke-width': WIDTH });
    if (state.hits.length && !state.hits.includes(a.node)) p.setAttribute('opacity', '0.35');
    p.appendChild(el('title', {}, `${a.node}: arcs ${a.start}..${a.end - 1}`));
    svg.appendChild(p);
  }
  for (let q = 0; q < 4; q++) {  /* quarter ticks, outside the band */
    const [x, y] = point(q / 4, R + WIDTH / 2 + 8);
    const anchor = q === 1 ? 'start' : q === 3 ? 'end' : 'middle';
    const dy = q === 0 ? -2 : q === 2 ? 12 : 4;
    svg.appendChild(el('text', { x: x.toFixed(1), y: (y + dy).toFixed(1), 'text-anchor': anchor },
                       (q * total / 4).toString()));
  }
  svg.appendChild(el('text', { x: CX, y: CY - 6, 'text-anchor': 'middle', class: 'center' },
                     ring.cur));
  svg.appendChild(el('text', { x: CX, y: CY + 14, 'text-anchor': 'middle' },
                     `${ring.members.length} nodes · N=${ring.n} · ${total} arcs`));
  if (state.keyArc !== null) {
    const f = (state.keyArc + 0.5) / total;
    const [x0, y0] = point(f, R - WIDTH / 2 - 18), [x1, y1] = point(f, R + WIDTH / 2 + 2);
    svg.appendChild(el('line', { x1: x0, y1: y0, x2: x1, y2: y1, stroke: '#1d2330',
                                 'stroke-width': 3, id: 'key-marker' }));
    svg.appendChild(el('circle', { cx: x0, cy: y0, r: 5, fill: '#1d2330' }));
  }
  for (const m of ring.members) {
    const li = el('li', { 'data-node': m.name });
    if (state.hits.includes(m.name)) li.className = 'replica-hit';
    li.appendChild(el('span', { class: 'dot', style: `background:${colorOf(m.name)}` }));
    li.appendChild(document.createTextNode(`${m.name} ${m.share_pct.toFixed(1)}%`));
    legend.appendChild(li);
  }
}

/* ---- nodes --------------------------------------------------------------------------- */

function drawNodes() {
  const st = state.status;
  const tbody = document.querySelector('#nodes tbody');
  tbody.replaceChildren();
  if (!st) return;
  const cur = st.manager.ring_cur, prev = st.manager.ring_prev;
  const c = st.consistency;
  document.getElementById('summary').textContent =
    `ring ${cur} · prev ${prev} · N=${c.n} W=${c.w} R=${c.r} D=${c.d} · v${st.manager.version || ''}`;
  const rows = [{ name: 'manager', type: 'manager', state: st.manager.state, host: '',
                  port: '', ring_cur: cur, ring_prev: prev, updated_at: '' }].concat(st.nodes);
  for (const n of rows) {
    const tr = el('tr', { 'data-node': n.name, class: 'node-row' });
    if (state.hits.includes(n.name)) tr.classList.add('replica-hit');
    const name = el('td');
    if (n.type === 'storage') name.appendChild(el('span', { class: 'dot',
                                                            style: `background:${colorOf(n.name)}` }));
    name.appendChild(document.createTextNode(n.name));
    tr.appendChild(name);
    tr.appendChild(el('td', {}, n.type));
    tr.appendChild(el('td', { class: 'state-' + n.state }, n.state));
    tr.appendChild(el('td', {}, n.host ? `${n.host}:${n.port}` : st.manager.admin));
    /* a node in contact that holds another ring than the manager's has not synced yet */
    const live = n.state === 'running' || n.state === 'suspend';
    const badCur = n.type !== 'manager' && live && cur !== '0000000000000000' && n.ring_cur !== cur;
    const badPrev = n.type !== 'manager' && live && cur !== '0000000000000000' && n.ring_prev !== prev;
    tr.appendChild(el('td', { class: 'sum' + (badCur ? ' mismatch' : '') }, n.ring_cur));
    tr.appendChild(el('td', { class: 'sum' + (badPrev ? ' mismatch' : '') }, n.ring_prev));
    const when = el('td', { title: n.updated_at || '' },
                    n.updated_at ? n.updated_at.slice(11, 19) + ' UTC' : '');
    tr.appendChild(when);
    tbody.appendChild(tr);
  }
}

/* ---- data moves ---------------------------------------------------------------------- */

function mib(bytes) {
  return ((bytes || 0) / 1048576).toFixed(bytes >= 10485760 ? 0 : 2);
}

/* The rebalance as the manager sums it from the nodes (/v1/rebalance): keys done and left,
 * bytes, the rate and the ETA at that rate, and each node's share. */
function drawMoves() {
  const rb = state.rebalance;
  const box = document.getElementById('moves');
  const table = document.getElementById('moves-nodes');
  const tbody = table.querySelector('tbody');
  tbody.replaceChildren();
  if (!rb) { box.textContent = '-'; table.hidden = true; return; }
  if (rb.state !== 'running') {
    box.textContent = rb.last ? `idle; last: ${rb.last}` : 'idle';
    table.hidden = true;
    return;
  }
  const eta = rb.eta_s === null || rb.eta_s === undefined ? '-' : `${rb.eta_s} s`;
  box.replaceChildren(
    el('progress', { max: '100', value: String(rb.progress || 0) }),
    document.createTextNode(` ${(rb.progress || 0).toFixed(1)}% · ${rb.done} keys done, ` +
      `${rb.left} left · ${mib(rb.bytes)} MiB moved · ${rb.rate_keys_s} keys/s, ` +
      `${mib(rb.rate_bytes_s)} MiB/s · ETA ${eta}`));
  for (const n of rb.detail || []) {
    const tr = el('tr', { 'data-node': n.node, class: 'move-row' });
    for (const v of [n.node, n.walk || '-', n.done, n.left, n.rate_keys_s, mib(n.rate_bytes_s),
                     mib(n.bytes), mib(n.budget_bytes_s)])
      tr.appendChild(el('td', {}, v === undefined ? '-' : String(v)));
    tbody.appendChild(tr);
  }
  table.hidden = false;
}

/* ---- whereis ------------------------------------------------------------------------- */

async function whereis(key) {
  const box = document.getElementById('whereis');
  box.replaceChildren();
  try {
    const w = await api('/v1/whereis?key=' + encodeURIComponent(key));
    state.hits = w.replicas.map(r => r.node);
    state.keyArc = w.arc;
    box.appendChild(el('div', {}, `${w.key} → arc ${w.arc} (position ${w.position})`));
    const ol = el('ol', { id: 'replicas' });
    for (const r of w.replicas) {
      const li = el('li', { class: 'replica', 'data-node': r.node });
      li.appendChild(el('span', { class: 'dot', style: `background:${colorOf(r.node)}` }));
      li.appendChild(document.createTextNode(`${r.node} (${r.role}, ${r.state}) ${r.address}`));
      ol.appendChild(li);
    }
    box.appendChild(ol);
  } catch (e) {
    state.hits = [];
    state.keyArc = null;
    box.appendChild(el('div', { class: 'mismatch' }, e.message));
  }
  drawRing();
  drawNodes();
}

/* ---- metrics chart ------------------------------------------------------------------- */

/* Sums every sample of a counter family in Prometheus text. */
function sumCounter(text, name) {
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(name + '{') || line.startsWith(name + ' ')) {
      const v = parseFloat(line.slice(line.lastIndexOf(' ') + 1));
      if (!Number.isNaN(v)) total += v;
    }
  }
  return total;
}

function drawChart() {
  const svg = document.getElementById('rate-chart');
  const W = 560, H = 180, L = 40, B = 20, T = 10;
  svg.replaceChildren();
  const pts = [];
  for (let i = 1; i < state.samples.length; i++) {
    const a = state.samples[i - 1], b = state.samples[i];
    const dt = (b.t - a.t) / 1000;
    if (dt > 0) pts.push({ http: Math.max(0, (b.http - a.http) / dt),
                           rpc: Math.max(0, (b.rpc - a.rpc) / dt) });
  }
  const max = Math.max(1, ...pts.map(p => Math.max(p.http, p.rpc)));
  const top = Math.ceil(max);
  svg.appendChild(el('line', { x1: L, y1: H - B, x2: W, y2: H - B, stroke: '#ccc' }));
  svg.appendChild(el('line', { x1: L, y1: T, x2: L, y2: H - B, stroke: '#ccc' }));
  svg.appendChild(el('text', { x: L - 6, y: T + 8, 'text-anchor': 'end' }, String(top)));
  svg.appendChild(el('text', { x: L - 6, y: H - B, 'text-anchor': 'end' }, '0'));
  svg.appendChild(el('text', { x: W, y: H - 4, 'text-anchor': 'end' },
                     `last ${HISTORY * POLL_MS / 1000} s`));
  for (const key of ['http', 'rpc']) {
    const coords = pts.map((p, i) => {
      const x = L + (W - L) * (pts.length === 1 ? 1 : i / (HISTORY - 2));
      const y = H - B - (H - B - T) * (p[key] / top);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    });
    svg.appendChild(el('polyline', { points: coords.join(' '), fill: 'none', class: 'series-' + key,
                                     stroke: key === 'http' ? '#1e88e5' : '#43a047',
                                     'stroke-width': 2 }));
  }
  const last = pts[pts.length - 1];
  document.getElementById('rate-now').textContent =
    last ? ` — now ${last.http.toFixed(1)} and ${last.rpc.toFixed(1)} req/s` : '';
}

/* ---- polling ------------------------------------------------------------------------- */

async function poll() {
  try {
    state.status = await api('/v1/status');
    try {
      state.ring = await api('/v1/ring?arcs=360');
    } catch (e) {
      state.ring = null;  /* not started yet: drawn as an empty ring */
    }
    try {
      state.rebalance = await api('/v1/rebalance');
    } catch (e) {
      state.rebalance = null;
    }
    const text = await api('/metrics', true);
    state.samples.push({ t: Date.now(),
                         http: sumCounter(text, 'cairn_manager_http_requests_total'),
                         rpc: sumCounter(text, 'cairn_manager_rpc_requests_total') });
    if (state.samples.length > HISTORY) state.samples.shift();
    showError('');
    document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    showError('cannot read the manager: ' + e.message);
  }
  drawRing();
  drawNodes();
  drawMoves();
  drawChart();
}

document.getElementById('search').addEventListener('submit', ev => {
  ev.preventDefault();
  const key = document.getElementById('key').value.trim();
  if (key) whereis(key);
});

poll().then(() => {
  if (params.key) {
    document.getElementById('key').value = params.key;
    whereis(params.key);
  }
});
setInterval(poll, POLL_MS);
