import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import type { Store } from '../../src/store/store.js';
import { failNextCommit } from '../helpers/store-faults.js';
import { manualClock } from '../helpers/clock.js';
import { API_KEY, configText, eventually, settle, startGateway, type TestGateway } from '../helpers/gateway.js';
import { metric } from '../helpers/metrics.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';

/** An SMS provider that never sends a receipt: two sends at once, then one a minute, one call at a time. */
const SLOW_SMS = configText(`
providers:
  sms: { plugin: mock, channels: [sms], outcome: none, rateLimit: { mps: 0.0167, burst: 2, concurrency: 1 } }
routes:
  default:
    steps:
      - { channel: sms, providers: [sms], until: delivered, within: 5m }
`, '', { callbacks: 'allowedHosts: ["127.0.0.1"]' });


const timerIds = (store: Store) => [...store.timers.entries()].map(([id]) => id).sort();
const sends = async (gw: TestGateway) => metric((await gw.request.get('/metrics')).text, 'switchboard_provider_request_duration_seconds_count', { provider: 'sms', operation: 'send' }, 0);

describe('routing within the accept', () => {
  let gw: TestGateway | undefined;
  let hook: Receiver | undefined;
  afterEach(async () => {
    await gw?.close();
    await hook?.close();
    gw = undefined;
    hook = undefined;
  });

  it('stores the first claim, its step timer and its callback with the message, with no start timer, and sends without a timer firing', async () => {
    const { clock, advance } = manualClock(Date.now());
    hook = await startReceiver(() => 200);
    gw = await startGateway(SLOW_SMS, { clock });
    const { body } = await gw.request.post('/v1/messages').set('x-api-key', API_KEY)
      .send({ route: 'default', to: { sms: '+15551112222' }, content: { text: 'hi' }, callbackUrl: hook.url }).expect(202);
    expect(body.status).toBe('accepted');
    // The manual clock never moved: no timer could have fired, yet the provider was asked.
    await eventually(async () => expect(await sends(gw!)).toBe(1));
    const m = (await gw.app.store.messages.get(body.id))!;
    expect(m.status).toBe('routing');
    expect(m.history.map((h) => h.event).slice(0, 3)).toEqual(['accepted', 'routing', 'step_started']);
    expect(m.attempts).toHaveLength(1);
    expect(gw.app.store.timers.get(`${body.id}.start`)).toBeUndefined();
    expect(gw.app.store.timers.get(`${body.id}.0.timeout`)?.due).toBe(clock.now() + 300_000);
    // Its callback was stored with it, and goes out once the clock lets timers run.
    expect([...gw.app.store.outbox.values()].map((j) => j.messageId)).toEqual([body.id]);
    advance(0);
    await eventually(() => expect(hook!.received.map((r) => JSON.parse(r.body).status)).toContain('routing'));
  });

  it('leaves nothing of a refused accept behind: no claim, no step or rate timer, no callback, no send, no rate slot', async () => {
    hook = await startReceiver(() => 200);
    gw = await startGateway(SLOW_SMS);
    const send = (text: string) => gw!.request.post('/v1/messages').set('x-api-key', API_KEY)
      .send({ route: 'default', to: { sms: '+15551112222' }, content: { text }, callbackUrl: hook!.url });
    // Refused after its claim: the provider's one call slot must come back.
    failNextCommit(gw.app.store);
    await send('refused with a claim').expect(503);
    const kept = await send('kept').expect(202);
    await settle(gw.app);
    await eventually(async () => expect(await sends(gw!)).toBe(1));
    const timersBefore = timerIds(gw.app.store);
    const outboxBefore = gw.app.store.outbox.size;

    // The bucket is empty now, so this one would wait on a `step-send` timer.
    failNextCommit(gw.app.store);
    await send('refused while waiting').expect(503);
    await settle(gw.app);
    await new Promise((r) => setTimeout(r, 100));
    expect(timerIds(gw.app.store)).toEqual(timersBefore);
    expect(gw.app.store.outbox.size).toBe(outboxBefore);
    // The kept send was answered, so any claim left would be a refused message's.
    expect(gw.app.store.inflight.size).toBe(0);
    expect((await gw.app.engine.list({ limit: 10 })).items.map((m) => m.id)).toEqual([kept.body.id]);
    await eventually(() => expect(hook!.received.length).toBeGreaterThan(0));
    expect(hook.received.every((r) => JSON.parse(r.body).id === kept.body.id)).toBe(true);
    expect(await sends(gw)).toBe(1);
  });

  it('refuses a message that cannot be stored once routed, taking back its claim and timers, and never sends it', async () => {
    gw = await startGateway(SLOW_SMS);
    const { messages } = gw.app.store;
    const put = messages.put.bind(messages);
    messages.put = (record) => {
      messages.put = put;
      throw new AppError('validation_failed', 'the record takes too many bytes stored');
    };
    const refused = await gw.request.post('/v1/messages').set('x-api-key', API_KEY)
      .send({ route: 'default', to: { sms: '+15551112222' }, content: { text: 'hi' } });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('validation_failed');
    await settle(gw.app);
    await new Promise((r) => setTimeout(r, 100));
    expect(timerIds(gw.app.store)).toEqual([]);
    expect(gw.app.store.inflight.size).toBe(0);
    expect(await sends(gw)).toBe(0);
  });

  it('starts from a timer when a guard fails during the accept, and still sends', async () => {
    let calls = 0;
    const flaky = Object.assign(() => {
      calls += 1;
      if (calls === 1) throw new Error('the shared store could not be read');
      return { action: 'send' as const };
    }, { storesFor: () => false });
    gw = await startGateway(SLOW_SMS, { guards: [flaky] });
    const { body } = await gw.request.post('/v1/messages').set('x-api-key', API_KEY)
      .send({ route: 'default', to: { sms: '+15551112222' }, content: { text: 'hi' } }).expect(202);
    await eventually(async () => expect(await sends(gw!)).toBe(1));
    const m = (await gw.app.store.messages.get(body.id))!;
    expect(calls).toBe(2);
    expect(m.attempts).toHaveLength(1);
    expect(m.history.filter((h) => h.event === 'routing')).toHaveLength(1);
  });
});
