import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnDaemon, type Daemon } from '../helpers/daemon.js';
import { API_KEY, READ_KEY, configText, eventually } from '../helpers/gateway.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { openPage } from './cdp.js';
import { dumpDom, screenshot, section } from './chromium.js';

// On `default`, WhatsApp never answers within 1s and SMS delivers: the message falls back. Its status
// callbacks go to a receiver that answers 410, so each dies at once as a dead letter the page offers to
// replay. On `consent`, no user has written to the business number, so a free-form message is held.
const YAML = configText(`
providers:
  wa: { plugin: mock, channels: [whatsapp], outcome: none }
  sms: { plugin: mock, channels: [sms], outcome: delivered, after: 100ms }
  wa-business: { plugin: mock, channels: [whatsapp], from: "+15550000001", outcome: delivered, after: 1s }
consent:
  optin: { hold: 2h, optIn: { default: { name: reconnect, language: en } }, onExpiry: fallback }
routes:
  default:
    steps:
      - { channel: whatsapp, providers: [wa], until: delivered, within: 1s }
      - { channel: sms, providers: [sms], until: delivered, within: 30s }
  consent:
    steps:
      - { channel: whatsapp, providers: [wa-business], consent: optin, until: delivered, within: 30s }
`, 'retry: { initial: 50ms, max: 200ms, attempts: 2 }', { callbacks: "maxAge: 1500ms, allowedHosts: ['127.0.0.1']" }).replace('log: { level: debug }', 'log: { level: info }');

// Would set the title (or run at all) only if the page parsed message text as HTML.
const HOSTILE = `Your code is 4711 <script>document.title="pwned"</script> <img src=x onerror="document.title='pwned'"> & "quotes"`;

const OUTPUT = resolve('test-output');
const admin = { 'x-api-key': API_KEY };

interface Message { id: string; status: string; attempts: { channel: string; provider: string; status: string }[] }

describe('the status page in a real headless Chromium', () => {
  let dir: string;
  let daemon: Daemon;
  let hook: Receiver;
  let id: string;
  let heldId: string;
  let deadLetterIds: string[];
  let configHash: string;
  let adminDom: string;
  let answer = 410;

  const api = async <T>(path: string, headers: Record<string, string> = admin): Promise<T> => {
    const res = await fetch(`${daemon.url}${path}`, { headers });
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-ui-'));
    writeFileSync(join(dir, 'gateway.yaml'), YAML);
    hook = await startReceiver(() => answer);
    daemon = await spawnDaemon(join(dir, 'gateway.yaml'));
    const send = async (body: object): Promise<string> => {
      const sent = await fetch(`${daemon.url}/v1/messages`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(sent.status).toBe(202);
      return ((await sent.json()) as { id: string }).id;
    };
    // Held first, so the fallback is the newest message: the one the page opens (and the screenshot shows).
    heldId = await send({ route: 'consent', to: { whatsapp: '+15551230077' }, content: { text: 'Your parcel waits at the depot' } });
    await eventually(async () => expect((await api<Message>(`/v1/messages/${heldId}`)).status).toBe('held'), 10_000);
    id = await send({ route: 'default', to: { phone: '+15551230042' }, content: { text: HOSTILE }, callbackUrl: hook.url });
    await eventually(async () => expect((await api<Message>(`/v1/messages/${id}`)).status).toBe('delivered'), 15_000);
    deadLetterIds = await eventually(async () => {
      const { items } = await api<{ items: { id: string }[] }>('/v1/dead-letters');
      expect(items.length).toBeGreaterThan(0);
      return items.map((d) => d.id);
    }, 10_000);
    configHash = (await api<{ configHash: string }>('/-/ready')).configHash;
    adminDom = await dumpDom(`${daemon.url}/ui#key=${API_KEY}`);
  }, 90_000);

  afterAll(async () => {
    if (daemon) {
      daemon.child.kill('SIGKILL');
      await daemon.exited;
    }
    await hook?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the message that fell back with its attempts and history, the held message, the providers, the config and the dead letters', async () => {
    const messages = section(adminDom, 'messages');
    expect(messages).toContain(id);
    expect(messages).toMatch(/<td>whatsapp<\/td><td>wa<\/td><td><span class="badge s-queued">queued<\/span>/);
    expect(messages).toMatch(/<td>sms<\/td><td>sms<\/td><td><span class="badge s-delivered">delivered<\/span>/);
    expect(messages).toContain('fallback: no delivered receipt within 1s');

    const providers = section(adminDom, 'providers');
    expect(providers).toMatch(/<td>wa<\/td><td>mock<\/td><td>whatsapp<\/td><td class="num">1<\/td>/);
    expect(providers).toMatch(/<td>sms<\/td><td>mock<\/td><td>sms<\/td><td class="num">1<\/td>/);

    const config = section(adminDom, 'config');
    expect(config).toContain('<dt>Held messages</dt><dd>1</dd>');
    expect(config).toContain(`<code>${configHash}</code>`);
    expect(config).toContain('<dt>Last reload</dt><dd><span class="ok">successful</span></dd>');

    const dead = section(adminDom, 'dead-letters');
    for (const d of deadLetterIds) expect(dead).toContain(`<button type="button" class="replay" data-id="${d}">Replay</button>`);
    const held = section(adminDom, 'held');
    expect(held).toContain(`<td><code>${heldId}</code></td><td>consent</td><td>whatsapp +15551230077</td><td><q>Your parcel waits at the depot</q></td>`);
    expect(held).toContain('consent: no open WhatsApp window');
    expect(held).not.toContain(id);

    mkdirSync(OUTPUT, { recursive: true });
    const png = join(OUTPUT, 'ui.png');
    rmSync(png, { force: true });
    await screenshot(`${daemon.url}/ui#key=${API_KEY}`, png);
    const bytes = readFileSync(png);
    expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(bytes.length).toBeGreaterThan(20_000);
    console.log(`status page screenshot: ${png}`);
  }, 60_000);

  it('shows message text as text: markup in a message neither runs nor becomes elements', () => {
    const messages = section(adminDom, 'messages');
    // The serialized DOM escapes text nodes: the payload is there, as characters.
    expect(messages).toContain('<q>Your code is 4711 &lt;script&gt;document.title="pwned"&lt;/script&gt; &lt;img src=x onerror="document.title=\'pwned\'"&gt; &amp; "quotes"</q>');
    expect(adminDom).not.toMatch(/<img/);
    expect(adminDom.match(/<script/g)).toHaveLength(1);
    expect(adminDom).toContain('<title>Switchboard status</title>');
  });

  it('without a key the page asks for one and shows no data; the data endpoint refuses', async () => {
    const dom = await dumpDom(`${daemon.url}/ui`);
    expect(dom).toMatch(/<form id="login">/);
    expect(dom).toMatch(/<main id="content" hidden="">/);
    for (const secret of [id, heldId, configHash, '4711', '+15551230042', ...deadLetterIds]) expect(dom).not.toContain(secret);
    expect((await fetch(`${daemon.url}/-/status`)).status).toBe(401);
  }, 60_000);

  it('a refused key is dropped and the page says so, showing nothing', async () => {
    const dom = await dumpDom(`${daemon.url}/ui#key=not-a-key`);
    expect(dom).toContain('<p id="notice" role="status">The gateway refused this key.</p>');
    expect(dom).toMatch(/<main id="content" hidden="">/);
    for (const secret of [id, configHash, '4711']) expect(dom).not.toContain(secret);
  }, 60_000);

  it('a read-only key shows messages but not dead letters, which need admin', async () => {
    const dom = await dumpDom(`${daemon.url}/ui#key=${READ_KEY}`);
    expect(section(dom, 'messages')).toContain(id);
    const dead = section(dom, 'dead-letters');
    expect(dead).toContain('Dead letters need a key with the admin scope.');
    for (const d of deadLetterIds) expect(dead).not.toContain(d);
  }, 60_000);

  it('serves the page and its assets with a self-only CSP and no data in them', async () => {
    for (const [path, type] of [['/ui', 'text/html'], ['/ui/app.js', 'text/javascript'], ['/ui/app.css', 'text/css']]) {
      const res = await fetch(`${daemon.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain(type);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("require-trusted-types-for 'script'");
      expect(csp).not.toMatch(/unsafe|\*|https?:/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      const body = await res.text();
      for (const secret of [id, configHash, '4711']) expect(body).not.toContain(secret);
    }
  });

  // Last: it replays a dead letter.
  it('takes the key out of the address bar, and its Replay button requeues a dead letter; Forget key drops the key', async () => {
    const page = await openPage();
    try {
      const target = deadLetterIds[0];
      const button = `document.querySelector('button.replay[data-id="${target}"]')`;
      await page.goto(`${daemon.url}/ui#key=${API_KEY}`);
      await eventually(async () => expect(await page.evaluate(`Boolean(${button})`)).toBe(true), 15_000);
      expect(await page.evaluate('location.href')).toBe(`${daemon.url}/ui`);
      expect(await page.evaluate('sessionStorage.getItem("switchboard.apiKey")')).toBe(API_KEY);

      answer = 200;
      const delivered = hook.received.length;
      await page.evaluate(`${button}.click()`);
      await eventually(async () => expect(await page.evaluate('document.querySelector("#dead-letters .ok")?.textContent')).toBe('requeued'));
      await eventually(async () => expect((await api<{ items: { id: string }[] }>('/v1/dead-letters')).items.map((d) => d.id)).not.toContain(target), 10_000);
      // Requeued is not yet delivered: the outbox sends it on its own turn.
      await eventually(async () => expect(hook.received.length).toBeGreaterThan(delivered), 10_000);

      await page.evaluate('document.getElementById("forget").click()');
      expect(await page.evaluate('sessionStorage.getItem("switchboard.apiKey")')).toBeNull();
      expect(await page.evaluate('document.getElementById("content").hidden')).toBe(true);
    } finally {
      await page.close();
    }
  }, 60_000);
});
