import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyCallback } from '../../src/callbacks/signature.js';
import { API_KEY, configText, eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { startReceiver } from '../helpers/receiver.js';

const SECRET = 'callback-secret-0123456789';

const receiver = startReceiver;

const YAML = configText(`
providers:
  sms: { plugin: mock, channels: [sms], outcome: delivered, after: 50ms }
routes:
  default:
    steps:
      - { channel: sms, providers: [sms], until: delivered, within: 30s }
`, 'retry: { initial: 50ms, max: 200ms, attempts: 3 }', { callbackSecret: SECRET, callbacks: "maxAge: 1500ms, allowedHosts: ['127.0.0.1']" });

// Real time with short waits: fetch's own timers do not run on a fake clock.

describe('outbound status callbacks', () => {
  let gw: TestGateway;
  let hook: Awaited<ReturnType<typeof receiver>>;
  let status = 200;

  beforeEach(async () => {
    status = 200;
    hook = await receiver(() => status);
    gw = await startGateway(YAML);
  });
  afterEach(async () => {
    await gw.close();
    hook.server.close();
  });

  const send = () => gw.request.post('/v1/messages').set('x-api-key', API_KEY)
    .send({ route: 'default', to: { sms: '+15551234567' }, content: { text: 'hi' }, callbackUrl: hook.url, tags: { order: '42' } })
    .expect(202);

  it('posts each status change, signed with HMAC-SHA256 over timestamp and body', async () => {
    const { body } = await send();
    const got = await eventually(() => {
      expect(hook.received.map((r) => JSON.parse(r.body).status)).toEqual(['routing', 'delivered']);
      return hook.received;
    });
    const last = JSON.parse(got[1].body);
    expect(last).toMatchObject({ id: body.id, status: 'delivered', previousStatus: 'routing', tags: { order: '42' } });
    for (const r of got) {
      expect(verifyCallback(SECRET, r.body, r.headers, Date.now() / 1000)).toBe(true);
      expect(verifyCallback('another-secret-0123456', r.body, r.headers, Date.now() / 1000)).toBe(false);
      expect(verifyCallback(SECRET, `${r.body} `, r.headers, Date.now() / 1000)).toBe(false);
    }
  });

  it('retries a 503 with backoff, then gives up into the dead letters after maxAge; replay re-sends', async () => {
    status = 503;
    await send();
    // Both status changes (routing, delivered) give up; count once neither is retrying any more.
    await eventually(() => {
      expect(gw.app.store.deadLetters.size).toBe(2);
      expect(gw.app.store.outbox.size).toBe(0);
    }, 10_000);
    // Tried more than once (backoff), for about maxAge, before giving up.
    expect(hook.received.length).toBeGreaterThan(2);
    const dead = await gw.request.get('/v1/dead-letters').set('x-api-key', API_KEY).expect(200);
    expect(dead.body.items[0]).toMatchObject({ kind: 'callback', reason: expect.stringMatching(/^HTTP 503 after \d+ tries$/) });
    const metrics = (await gw.request.get('/metrics')).text;
    expect(metrics).toMatch(/switchboard_dead_letters [1-9]/);

    status = 200;
    const before = hook.received.length;
    await gw.request.post(`/v1/dead-letters/${dead.body.items[0].id}/replay`).set('x-api-key', API_KEY).expect(202);
    await eventually(() => expect(hook.received.length).toBe(before + 1));
    expect(gw.app.store.deadLetters.get(dead.body.items[0].id)).toBeUndefined();
  });

  it('a permanent 4xx answer goes to the dead letters at once', async () => {
    status = 410;
    await send();
    await eventually(() => expect(gw.app.store.deadLetters.size).toBe(1));
    const dead = [...gw.app.store.deadLetters.values()][0];
    expect(dead.reason).toBe('HTTP 410 after 1 tries');
    const m = await eventually(async () => {
      const got = (await gw.app.engine.get(dead.job.messageId))!;
      expect(got.history.some((h) => h.event === 'callback_failed')).toBe(true);
      return got;
    });
    expect(m.history.find((h) => h.event === 'callback_failed')?.cause).toBe(`status callback to 127.0.0.1:${new URL(hook.url).port} gave up: HTTP 410 after 1 tries (dead letter ${dead.id})`);
  });
});
