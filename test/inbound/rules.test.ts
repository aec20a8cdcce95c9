import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyCallback } from '../../src/callbacks/signature.js';
import type { Message } from '../../src/model.js';
import { manualClock } from '../helpers/clock.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { API_KEY, configText, eventually, settle, startGateway, type TestGateway } from '../helpers/gateway.js';

const SECRET = 'callback-secret-0123456789';

function rulesConfig(url: string, rules: string): string {
  return configText(`
providers:
  sms: { plugin: mock, channels: [sms], outcome: delivered, after: 0s, from: "+15557654321" }
  wa: { plugin: mock, channels: [whatsapp], outcome: delivered, after: 0s }
routes:
  default:
    steps:
      - { channel: sms, providers: [sms], until: delivered, within: 1m }
inbound:
${rules.replaceAll('URL', url)}
`, 'retry: { initial: 50ms, max: 200ms, attempts: 3 }', { callbackSecret: SECRET, callbacks: "maxAge: 5s, allowedHosts: ['127.0.0.1']" });
}

const inbound = (gw: TestGateway, body: Record<string, unknown>, instance = 'sms') =>
  gw.request.post(`/webhooks/${instance}/inbound`).send({ from: '+15551230001', to: '+15557654321', ...body }).expect(200);

async function messagesOf(gw: TestGateway, route: string): Promise<Message[]> {
  const { body } = await gw.request.get(`/v1/messages?route=${encodeURIComponent(route)}`).set('x-api-key', API_KEY).expect(200);
  return body.items as Message[];
}

describe('inbound rules', () => {
  let gw: TestGateway | undefined;
  let target: Receiver;
  let status = 200;

  beforeEach(async () => {
    status = 200;
    target = await startReceiver(() => status, '/inbound');
  });
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
    target.server.close();
  });

  it('answers a keyword (first word, any case) through the instance it came through, and nothing else', async () => {
    gw = await startGateway(rulesConfig('', `
  - match: { channel: sms, keyword: HOURS }
    reply: { text: "We are open 9-17 CET." }`));
    await inbound(gw, { text: '  hours please', channel: 'sms' });
    await inbound(gw, { text: 'what are your hours', channel: 'sms' });
    await settle(gw.app);
    const replies = await eventually(async () => {
      const found = await messagesOf(gw!, 'system:auto-reply');
      expect(found).toHaveLength(1);
      expect(found[0].status).toBe('delivered');
      return found;
    });
    expect(replies[0].to).toEqual({ sms: '+15551230001' });
    expect(replies[0].content.text).toBe('We are open 9-17 CET.');
    expect(replies[0].attempts[0].provider).toBe('sms');
    const metrics = await gw.request.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/switchboard_inbound_rules_matched_total\{rule="0"\} 1/);
  });

  it('runs rules in order: the first match wins, unless it says continue', async () => {
    gw = await startGateway(rulesConfig('', `
  - match: { text: "^price" }
    reply: { text: "first" }
    continue: true
  - match: { text: "price" }
    reply: { text: "second" }
  - match: {}
    reply: { text: "third" }`));
    await inbound(gw, { text: 'Price list?', channel: 'sms', id: 'a' });
    await inbound(gw, { text: 'hello', channel: 'sms', id: 'b' });
    await settle(gw.app);
    const texts = await eventually(async () => {
      const found = (await messagesOf(gw!, 'system:auto-reply')).map((m) => m.content.text).sort();
      expect(found).toHaveLength(3);
      return found;
    });
    // "Price list?" → first (continue) and second (stops); "hello" → third only.
    expect(texts).toEqual(['first', 'second', 'third']);
  });

  it('replies through a route when the rule names one', async () => {
    gw = await startGateway(rulesConfig('', `
  - match: { provider: wa }
    reply: { text: "thanks", route: default }`));
    await inbound(gw, { text: 'hi', channel: 'whatsapp' }, 'wa');
    await settle(gw.app);
    const [reply] = await eventually(async () => {
      const found = await messagesOf(gw!, 'default');
      expect(found).toHaveLength(1);
      return found;
    });
    expect(reply.to).toEqual({ whatsapp: '+15551230001' });
  });

  it('forwards the inbound message signed like status callbacks, and retries a 5xx', async () => {
    status = 503;
    gw = await startGateway(rulesConfig(target.url, `
  - match: { to: "+1 555 765 4321" }
    forward: { url: "URL" }`));
    await inbound(gw, { text: 'order 42', channel: 'sms' });
    await eventually(() => expect(target.received.length).toBeGreaterThanOrEqual(1));
    status = 200;
    await eventually(() => expect(target.received.length).toBeGreaterThanOrEqual(2), 10_000);
    const last = target.received.at(-1)!;
    expect(verifyCallback(SECRET, last.body, last.headers, Date.now() / 1000)).toBe(true);
    const body = JSON.parse(last.body) as { event: string; inbound: { text: string; from: string } };
    expect(body.event).toBe('inbound');
    expect(body.inbound).toMatchObject({ text: 'order 42', from: '+15551230001' });
    const metrics = await gw.request.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/switchboard_inbound_forwards_total\{result="retry"\} [1-9]/);
    expect(metrics.text).toMatch(/switchboard_inbound_forwards_total\{result="delivered"\} 1/);
  });

  it('runs the listeners after a restart when the process stopped before they ran', async () => {
    const { clock, advance } = manualClock(Date.now());
    // The first life stores the message and never gets through its listeners (as if killed there).
    const first = await startGateway(rulesConfig(target.url, '  []'), { clock, inboundListeners: [() => new Promise<void>(() => undefined)] });
    first.request.post('/webhooks/sms/inbound').send({ from: '+15551230001', to: '+15557654321', text: 'lost?', id: 'k1' }).then(() => undefined, () => undefined);
    await eventually(async () => {
      const { body } = await first.request.get('/v1/inbound').set('x-api-key', API_KEY).expect(200);
      expect(body.items).toHaveLength(1);
    });
    await first.app.store.commit();
    await first.close(true);

    // The next life has a forward rule: the stored message reaches it once the staged job is due.
    gw = await startGateway(rulesConfig(target.url, `
  - match: {}
    forward: { url: "URL" }`), { dir: first.dir, clock });
    advance(30_000);
    await settle(gw.app);
    expect(target.received).toHaveLength(0);
    advance(31_000);
    await eventually(async () => {
      advance(0);
      expect(target.received).toHaveLength(1);
    }, 10_000);
    expect(JSON.parse(target.received[0].body).inbound.text).toBe('lost?');
  });

  it('refuses a rule with two actions, with file:line:column', async () => {
    const bad = rulesConfig('', `
  - match: {}
    reply: { text: "x" }
    forward: { url: "https://example.com/in" }`);
    const err = await startGateway(bad).then(() => undefined, (e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const text = String((err as Error & { errors?: string[] }).errors ?? (err as Error).message);
    expect(text).toMatch(/gateway\.yaml:\d+:\d+: inbound\.0: must match exactly one schema/);
  });

  it('refuses references to nothing, a bad pattern and a private forward URL, with file:line:column', async () => {
    const bad = rulesConfig('http://10.0.0.1/in', `
  - match: { provider: nope }
    reply: { text: "x" }
  - match: { text: "([" }
    forward: { url: "URL" }
  - match: {}
    bridge: missing`);
    const err = await startGateway(bad).then(() => undefined, (e: Error) => e);
    const text = String((err as Error & { errors?: string[] }).errors ?? (err as Error).message);
    expect(text).toMatch(/gateway\.yaml:\d+:\d+: inbound\[0\]: unknown provider "nope"/);
    expect(text).toMatch(/inbound\[1\]: match\.text is not a regular expression/);
    expect(text).toMatch(/inbound\[1\]: forward\.url: /);
    expect(text).toMatch(/inbound\[2\]: unknown bridge "missing"/);
  });
});
