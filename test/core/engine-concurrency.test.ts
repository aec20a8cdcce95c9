import { describe, expect, it } from 'vitest';
import { CEILING_WINDOW_MS, SEND_CEILING_MS } from '../../src/engine/send.js';
import type { Message } from '../../src/model.js';
import type { PluginDefinition } from '../../src/plugin-api.js';
import { builtinsWith } from '../helpers/builtins.js';
import { manualClock } from '../helpers/clock.js';
import { API_KEY, configText, eventually, settle, startGateway, type TestGateway } from '../helpers/gateway.js';
import { gatedPlugin } from '../helpers/gated-plugin.js';
import { metric } from '../helpers/metrics.js';

const send = (gw: TestGateway, to: Record<string, string>) =>
  gw.request.post('/v1/messages').set('x-api-key', API_KEY).send({ route: 'default', to, content: { text: 'x' } }).expect(202);

const message = async (gw: TestGateway, id: string) => (await gw.app.engine.get(id)) as Message;

/** Lets pending I/O and microtasks run without moving the clock. */
const ticks = async (n = 20) => {
  for (let i = 0; i < n; i += 1) await new Promise((r) => setImmediate(r));
};

describe('engine under concurrency', () => {
  it('no lock is held across a provider call: a cancel during a fallback\'s send answers at once, and the send\'s outcome is still recorded', async () => {
    const gated = gatedPlugin();
    const gw = await startGateway(configText(`
providers:
  broken: { plugin: mock, channels: [sms], sendError: client }
  slow: { plugin: gated }
routes:
  default:
    steps:
      - { channel: sms, providers: [broken], until: delivered, within: 1m }
      - { channel: email, providers: [slow], until: delivered, within: 1m }
`), { builtins: gated.builtins });
    try {
      const { body } = await send(gw, { sms: '+15551234567', email: 'a@example.com' });
      await eventually(() => expect(gated.waiting).toBe(1));
      // The send of the second step is still in flight, and the cancel does not wait for it.
      const cancel = await gw.request.post(`/v1/messages/${body.id}/cancel`).set('x-api-key', API_KEY);
      expect(cancel.status).toBe(200);
      expect(gated.waiting).toBe(1);
      expect((await message(gw, body.id)).attempts[1].status).toBe('sending');
      gated.open();
      await settle(gw.app);
      const m = await message(gw, body.id);
      const events = m.history.map((h) => h.event);
      // The provider's answer lands afterwards, on a message that stays canceled.
      expect(events.indexOf('canceled')).toBeLessThan(events.indexOf('attempt_sent'));
      expect(m.attempts[1].status).not.toBe('sending');
      expect(m.status).toBe('canceled');
      expect(m.steps[1].state).toBe('canceled');
    } finally {
      await gw.close();
    }
  });

  it('a reload lets the old runtime finish its send before closing its providers', async () => {
    const gated = gatedPlugin();
    const gw = await startGateway(configText(`
providers:
  slow: { plugin: gated }
routes:
  default:
    steps:
      - { channel: sms, providers: [slow], until: sent, within: 1m }
`), { builtins: gated.builtins });
    try {
      const { body } = await send(gw, { sms: '+15551234567' });
      await eventually(() => expect(gated.waiting).toBe(1));
      expect((await gw.app.reload()).ok).toBe(true);
      await ticks();
      expect(gated.events).toEqual(['send +15551234567']);
      gated.open();
      await eventually(() => expect(gated.events).toEqual(['send +15551234567', 'sent +15551234567', 'closed']));
      const m = await message(gw, body.id);
      expect(m.attempts.map((a) => a.status)).toEqual(['sent']);
      expect(m.status).toBe('sent');
    } finally {
      await gw.close();
    }
  });

  it('a plugin that ignores the abort signal is abandoned at the send ceiling: attempt unknown, lock released', async () => {
    const gated = gatedPlugin({ ignoreAbort: true });
    const time = manualClock(Date.parse('2026-11-28T12:00:00Z'));
    const gw = await startGateway(configText(`
providers:
  stuck: { plugin: gated }
routes:
  default:
    steps:
      - { channel: sms, providers: [stuck], until: delivered, within: 10m }
`), { builtins: gated.builtins, clock: time.clock });
    try {
      const { body } = await send(gw, { sms: '+15551234567' });
      time.advance(0);
      await eventually(() => expect(gated.waiting).toBe(1));
      // Not before the ceiling: the plugin still holds the send a moment short of it.
      time.advance(SEND_CEILING_MS - 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await message(gw, body.id)).attempts.map((a) => a.status)).toEqual(['sending']);
      time.advance(CEILING_WINDOW_MS + 1);
      const m = await eventually(async () => {
        const got = await message(gw, body.id);
        expect(got.attempts.map((a) => a.status)).toEqual(['unknown']);
        return got;
      });
      expect(m.history.some((h) => h.event === 'attempt_unknown')).toBe(true);
      expect(gw.app.store.inflight.size).toBe(0);
      // The lock is free: a cancel is answered although the plugin never returned.
      await gw.request.post(`/v1/messages/${body.id}/cancel`).set('x-api-key', API_KEY).expect(200);
    } finally {
      gated.open();
      await gw.close();
    }
  });

  it('a plugin whose send throws instead of rejecting fails that attempt like any error, and the step moves on', async () => {
    const throwing: PluginDefinition<Record<string, never>> = {
      name: 'throwing',
      optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
      channels: () => ['sms'],
      create: () => ({
        send() {
          throw new Error('thrown before any promise');
        },
        async close() {},
      }),
    };
    const gw = await startGateway(configText(`
providers:
  throws: { plugin: throwing }
  sms: { plugin: mock, channels: [sms], outcome: delivered, after: 0s }
routes:
  default:
    steps:
      - { channel: sms, providers: [throws, sms], until: delivered, within: 1m }
`), { builtins: builtinsWith(throwing) });
    try {
      const { body } = await send(gw, { sms: '+15551234567' });
      const m = await eventually(async () => {
        const got = await message(gw, body.id);
        expect(got.status).toBe('delivered');
        return got;
      });
      expect(m.attempts.map((a) => [a.provider, a.status])).toEqual([['throws', 'error'], ['sms', 'delivered']]);
      expect(m.attempts[0].errorReason).toBe('thrown before any promise');
      expect(gw.app.store.inflight.size).toBe(0);
    } finally {
      await gw.close();
    }
  });

  it('a provider rateLimit spaces sends out as stored timers, reported per instance', async () => {
    const time = manualClock(Date.parse('2026-11-28T12:00:00Z'));
    const gw = await startGateway(configText(`
providers:
  sms: { plugin: mock, channels: [sms], outcome: none, rateLimit: { mps: 1, burst: 1 } }
routes:
  default:
    steps:
      - { channel: sms, providers: [sms], until: delivered, within: 1m }
`), { clock: time.clock });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3; i += 1) ids.push((await send(gw, { sms: `+1555123456${i}` })).body.id);
      time.advance(0);
      await settle(gw.app);
      const attempts = async () => Promise.all(ids.map(async (id) => (await message(gw, id)).attempts.length));
      expect(await attempts()).toEqual([1, 0, 0]);
      expect((await message(gw, ids[1])).steps[0].state).toBe('waiting_rate');
      const scrape = async () => (await gw.request.get('/metrics')).text;
      expect(metric(await scrape(), 'switchboard_provider_sends_waiting', { provider: 'sms' }, NaN)).toBe(2);
      time.advance(1000);
      await settle(gw.app);
      expect(await attempts()).toEqual([1, 1, 0]);
      time.advance(1000);
      await settle(gw.app);
      expect(await attempts()).toEqual([1, 1, 1]);
      expect(metric(await scrape(), 'switchboard_provider_sends_waiting', { provider: 'sms' }, NaN)).toBe(0);
    } finally {
      await gw.close();
    }
  });

  it('a 429 with Retry-After holds every send to that instance until then, even if the backoff is shorter', async () => {
    const time = manualClock(Date.parse('2026-11-28T12:00:00Z'));
    const gw = await startGateway(configText(`
providers:
  sms: { plugin: mock, channels: [sms], outcome: none, sendError: rate_limited, retryAfter: 20s }
routes:
  default:
    steps:
      - { channel: sms, providers: [sms], until: delivered, within: 5m }
`, 'retry: { initial: 1s, max: 1s, attempts: 5 }'), { clock: time.clock });
    try {
      const { body } = await send(gw, { sms: '+15551234567' });
      time.advance(0);
      await settle(gw.app);
      expect((await message(gw, body.id)).attempts).toHaveLength(1);
      time.advance(5000);
      await settle(gw.app);
      // The backoff (1 s) has passed, the provider's Retry-After (20 s) has not.
      expect((await message(gw, body.id)).attempts).toHaveLength(1);
      time.advance(15_000);
      await settle(gw.app);
      expect((await message(gw, body.id)).attempts).toHaveLength(2);
    } finally {
      await gw.close();
    }
  });
});
