// The status page. Everything shown comes from the gateway's REST API with the operator's key; every
// value is put in the page as text (never parsed as HTML): messages carry user text, and the CSP's
// Trusted Types rule makes an innerHTML assignment throw anyway.
'use strict';

const KEY_ITEM = 'switchboard.apiKey';
const REFRESH_MS = 10_000;
const RECENT = 25;

const $ = (id) => document.getElementById(id);
const openMessages = new Set();
let firstRender = true;
let timer;

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
  }
}

// A key handed over in the fragment (`/ui#key=…`, never sent to the server) is kept for this tab and
// taken out of the address bar and history at once.
function takeKeyFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.has('key')) return;
  history.replaceState(null, '', location.pathname + location.search);
  if (params.get('key')) sessionStorage.setItem(KEY_ITEM, params.get('key'));
}

async function api(path, init = {}) {
  const key = sessionStorage.getItem(KEY_ITEM);
  const res = await fetch(path, {
    ...init,
    headers: { authorization: `Bearer ${key}`, accept: 'application/json', ...(init.headers || {}) },
    cache: 'no-store',
    credentials: 'omit',
    redirect: 'error',
  });
  const body = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

/** `el('td', {class: 'x'}, 'text', child)`: strings become text nodes, never markup. */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const time = (iso) => (iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 19) : '');
const badge = (status) => el('span', { class: `badge s-${String(status).replace(/[^a-z_]/g, '')}` }, status);
const muted = (text) => el('p', { class: 'muted' }, text);

function table(headings, rows) {
  if (rows.length === 0) return muted('None.');
  return el('table', {}, el('thead', {}, el('tr', {}, headings.map((h) => el('th', {}, h)))), el('tbody', {}, rows));
}

function fill(sectionId, ...nodes) {
  $(sectionId).querySelector('.body').replaceChildren(...nodes);
}

function contentText(content) {
  if (!content) return '';
  if (content.text) return content.text;
  if (content.subject) return content.subject;
  if (content.template) return `template ${content.template.name}`;
  const perChannel = Object.values(content.channels || {}).find((c) => c && (c.text || c.subject));
  return perChannel ? perChannel.text || perChannel.subject : '';
}

const recipients = (to) => Object.entries(to || {}).map(([channel, address]) => `${channel} ${address}`).join(', ');

function renderConfig(status) {
  const r = status.reload;
  const rows = [
    ['Config hash', el('code', {}, status.configHash)],
    ['Last reload', r.successful ? el('span', { class: 'ok' }, 'successful') : el('span', { class: 'bad' }, 'refused — the previous configuration keeps serving')],
    ['Last successful load', time(r.lastSuccessAt)],
    ['Restart required', r.restartRequired ? el('span', { class: 'bad' }, 'yes: some changed settings apply only after a restart') : 'no'],
    ['Held messages', status.heldMessages],
    ['Dead letters', status.deadLetters],
    ['Version', status.version],
  ];
  fill('config', el('dl', {}, rows.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])));
  $('summary').textContent = `v${status.version} · config ${status.configHash.slice(0, 12)}`;
}

function renderProviders(providers) {
  const rows = providers.map((p) => {
    const errors = Object.entries(p.errors).map(([reason, n]) => `${reason} ${n}`).join(', ') || '0';
    const rate = p.errorRate === null ? '—' : `${(p.errorRate * 100).toFixed(1)}%`;
    return el('tr', {}, el('td', {}, p.name), el('td', {}, p.plugin), el('td', {}, p.channels.join(', ')), el('td', { class: 'num' }, p.sends),
      el('td', {}, errors), el('td', { class: 'num' }, p.failedReceipts), el('td', { class: p.errorRate ? 'num bad' : 'num' }, rate));
  });
  fill('providers', table(['Instance', 'Plugin', 'Channels', 'Sends', 'Send errors', 'Failed receipts', 'Error rate'], rows),
    muted('Counted since the daemon started; the error rate is (send errors + failed receipts) / sends.'));
}

function renderMessage(m) {
  const attempts = table(['Step', 'Channel', 'Provider', 'Status', 'Provider id', 'Error', 'Updated'], m.attempts.map((a) => el('tr', {},
    el('td', { class: 'num' }, a.step + 1), el('td', {}, a.purpose ? `${a.channel} (${a.purpose})` : a.channel), el('td', {}, a.provider),
    el('td', {}, badge(a.status)), el('td', {}, el('code', {}, a.providerMessageId || '')),
    el('td', {}, [a.errorCode, a.errorReason].filter(Boolean).join(': ')), el('td', {}, time(a.updatedAt)))));
  const history = table(['At', 'Event', 'Status', 'Cause'], m.history.map((h) => el('tr', {},
    el('td', {}, time(h.at)), el('td', {}, h.event), el('td', {}, h.status ? badge(h.status) : ''), el('td', {}, h.cause || ''))));
  const details = el('details', { class: 'message', 'data-id': m.id, open: openMessages.has(m.id) },
    el('summary', {}, badge(m.status), ' ', el('code', {}, m.id), ` ${m.route} → ${recipients(m.to)} `, el('q', {}, contentText(m.content)),
      el('span', { class: 'muted' }, ` ${time(m.createdAt)}`)),
    el('h3', {}, 'Attempts'), attempts, el('h3', {}, 'History'), history);
  details.addEventListener('toggle', () => (details.open ? openMessages.add(m.id) : openMessages.delete(m.id)));
  return details;
}

function renderMessages(items) {
  if (firstRender && items[0]) openMessages.add(items[0].id);
  fill('messages', items.length ? el('div', {}, items.map(renderMessage)) : muted('No messages yet.'));
}

function renderHeld(items) {
  const rows = items.map((m) => {
    const held = [...m.history].reverse().find((h) => h.status === 'held');
    return el('tr', {}, el('td', {}, el('code', {}, m.id)), el('td', {}, m.route), el('td', {}, recipients(m.to)),
      el('td', {}, el('q', {}, contentText(m.content))), el('td', {}, time(held && held.at)), el('td', {}, (held && held.cause) || ''));
  });
  fill('held', table(['Message', 'Route', 'To', 'Content', 'Held since', 'Why'], rows));
}

async function replay(button, id) {
  button.disabled = true;
  try {
    await api(`/v1/dead-letters/${encodeURIComponent(id)}/replay`, { method: 'POST' });
    button.replaceWith(el('span', { class: 'ok' }, 'requeued'));
    setTimeout(refresh, 1000);
  } catch (err) {
    button.disabled = false;
    button.after(el('span', { class: 'bad' }, ` ${err.message}`));
  }
}

function renderDeadLetters(result) {
  if (result instanceof ApiError) {
    fill('dead-letters', muted(result.status === 403 ? 'Dead letters need a key with the admin scope.' : `Could not load: ${result.message}`));
    return;
  }
  const rows = result.items.map((d) => {
    const button = el('button', { type: 'button', class: 'replay', 'data-id': d.id }, 'Replay');
    button.addEventListener('click', () => replay(button, d.id));
    return el('tr', {}, el('td', {}, time(d.at)), el('td', {}, d.kind), el('td', {}, el('code', {}, d.job.messageId)), el('td', {}, d.reason),
      el('td', { class: 'num' }, d.job.tries), el('td', {}, d.job.lastError || ''), el('td', {}, button));
  });
  fill('dead-letters', table(['At', 'Kind', 'Message', 'Reason', 'Tries', 'Last error', ''], rows));
}

function showLogin(notice) {
  clearTimeout(timer);
  $('content').hidden = true;
  $('session').hidden = true;
  $('login').hidden = false;
  setNotice(notice);
  $('key').focus();
}

function setNotice(text) {
  $('notice').textContent = text || '';
  $('notice').hidden = !text;
}

async function refresh() {
  clearTimeout(timer);
  if (!sessionStorage.getItem(KEY_ITEM)) return showLogin();
  try {
    const status = await api('/-/status');
    const [recent, held, dead] = await Promise.all([
      api(`/v1/messages?limit=${RECENT}`),
      api('/v1/messages?status=held&limit=100'),
      api('/v1/dead-letters?limit=100').catch((err) => (err instanceof ApiError ? err : Promise.reject(err))),
    ]);
    $('login').hidden = true;
    $('session').hidden = false;
    $('content').hidden = false;
    setNotice(`Updated ${time(new Date().toISOString())} UTC`);
    renderConfig(status);
    renderProviders(status.providers);
    renderHeld(held.items);
    renderDeadLetters(dead);
    renderMessages(recent.items);
    firstRender = false;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      sessionStorage.removeItem(KEY_ITEM);
      return showLogin('The gateway refused this key.');
    }
    if (err instanceof ApiError && err.status === 403) {
      sessionStorage.removeItem(KEY_ITEM);
      return showLogin('This key lacks the read scope.');
    }
    setNotice(`Could not reach the gateway: ${err.message}`);
  }
  timer = setTimeout(refresh, REFRESH_MS);
}

function start() {
  takeKeyFromFragment();
  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY_ITEM, $('key').value);
    $('key').value = '';
    refresh();
  });
  $('forget').addEventListener('click', () => {
    sessionStorage.removeItem(KEY_ITEM);
    showLogin('Key forgotten.');
  });
  $('refresh').addEventListener('click', refresh);
  refresh();
}

start();
