import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Message } from '../../src/model.js';
import { API_KEY, configText, eventually, settle, startGateway, type TestGateway } from '../helpers/gateway.js';

const ROUTES = configText(`
providers:
  wa-silent: { plugin: mock, channels: [whatsapp], outcome: none }
  wa-fails: { plugin: mock, channels: [whatsapp], outcome: failed, after: 1s }
  wa-late: { plugin: mock, channels: [whatsapp], outcome: delivered, after: 10s }
  sms-ok: { plugin: mock, channels: [sms], outcome: delivered, after: 1s }
  sms-silent: { plugin: mock, channels: [sms], outcome: none }
  sms-down: { plugin: mock, channels: [sms], sendError: server }
  sms-rejects: { plugin: mock, channels: [sms], sendError: client }
  email-ok: { plugin: mock, channels: [email], outcome: read, after: 2s }
routes:
  timeout:
    steps:
      - { channel: whatsapp, providers: [wa-silent], until: delivered, within: 5s }
      - { channel: sms, providers: [sms-ok], until: delivered, within: 30s }
  failure:
    steps:
      - { channel: whatsapp, providers: [wa-fails], until: delivered, within: 30s }
      - { channel: sms, providers: [sms-ok], until: delivered, within: 30s }
  late:
    steps:
      - { channel: whatsapp, providers: [wa-late], until: delivered, within: 5s }
      - { channel: sms, providers: [sms-silent], until: accepted, within: 30s }
  failover:
    steps:
      - { channel: sms, providers: [sms-down, sms-ok], until: delivered, within: 30s }
  permanent:
    steps:
      - { channel: sms, providers: [sms-rejects], until: delivered, within: 30s }
      - { channel: email, providers: [email-ok], until: delivered, within: 30s }
  retrying:
    steps:
      - { channel: sms, providers: [sms-down], until: delivered, within: 60s }
      - { channel: email, providers: [email-ok], until: delivered, within: 30s }
  everywhere:
    mode: broadcast
    steps:
      - { channel: sms, providers: [sms-ok], until: delivered, within: 30s }
      - { channel: email, providers: [email-ok], until: read, within: 30s }
      - { channel: whatsapp, providers: [wa-silent], until: delivered, within: 10s }
`, 'retry: { initial: 1s, max: 4s, attempts: 2 }');

describe('route engine on fake time', () => {
  let gw: TestGateway;

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    gw = await startGateway(ROUTES);
  });
  afterEach(async () => {
    await gw.close();
    vi.useRealTimers();
  });

  async function advance(ms: number): Promise<void> {
    await vi.advanceTimersByTimeAsync(ms);
    await settle(gw.app);
  }

  async function send(route: string, to: Record<string, string> = { phone: '+15551230001', email: 'ann@example.com' }): Promise<string> {
    const res = await gw.request.post('/v1/messages').set('x-api-key', API_KEY).send({ route, to, content: { text: 'hello' } });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('accepted');
    await advance(0);
    return res.body.id as string;
  }

  async function message(id: string): Promise<Message> {
    const res = await gw.request.get(`/v1/messages/${id}`).set('x-api-key', API_KEY).expect(200);
    return res.body as Message;
  }

  it('falls back to the next step when no receipt comes within the wait', async () => {
    const id = await send('timeout');
    let m = await message(id);
    expect(m.status).toBe('routing');
    expect(m.attempts.map((a) => [a.channel, a.status])).toEqual([['whatsapp', 'queued']]);

    await advance(4999);
    expect((await message(id)).attempts).toHaveLength(1);

    await advance(1);
    m = await message(id);
    expect(m.steps[0].state).toBe('timed_out');
    expect(m.history.find((h) => h.event === 'fallback')?.cause).toBe('fallback: no delivered receipt within 5s');
    expect(m.attempts.map((a) => a.channel)).toEqual(['whatsapp', 'sms']);

    await advance(1000);
    m = await eventually(async () => {
      const got = await message(id);
      expect(got.status).toBe('delivered');
      return got;
    });
    expect(m.attempts[1].receipts.map((r) => r.status)).toEqual(['sent', 'delivered']);
    expect(gw.app.scheduler.pending).toBe(0);
    expect(gw.app.store.inflight.size).toBe(0);
  });

  it('moves on at once when the provider reports failure', async () => {
    const id = await send('failure');
    await advance(1000);
    const m = await eventually(async () => {
      const got = await message(id);
      expect(got.attempts).toHaveLength(2);
      return got;
    });
    expect(m.attempts[0]).toMatchObject({ channel: 'whatsapp', status: 'failed', errorCode: 'MOCK_FAILED' });
    expect(m.steps[0].state).toBe('failed');
    expect(m.history.find((h) => h.event === 'fallback')?.cause).toMatch(/^fallback: whatsapp failed \(MOCK_FAILED/);
    // The fallback did not wait for the 30 s window of the first step.
    expect(Date.parse(m.attempts[1].createdAt) - Date.parse(m.createdAt)).toBeLessThan(2000);
  });

  it('records a receipt that arrives after its step was left, and upgrades the finished message', async () => {
    const id = await send('late');
    await advance(5000);
    // The provider taking the SMS meets `until: accepted`: the message is done, as "sent".
    await eventually(async () => expect((await message(id)).status).toBe('sent'));
    await advance(5000);
    const m = await eventually(async () => {
      const got = await message(id);
      expect(got.attempts[0].status).toBe('delivered');
      return got;
    });
    const late = m.history.filter((h) => h.event === 'late_receipt');
    expect(late.length).toBeGreaterThan(0);
    expect(late.at(-1)?.cause).toContain('whatsapp delivered after the step was timed_out');
    expect(m.status).toBe('delivered');
    expect(m.history.at(-1)?.event).toBe('late_receipt_upgrade');
  });

  it('fails over to the next provider of the same step on a send error', async () => {
    const id = await send('failover');
    const m = await eventually(async () => {
      const got = await message(id);
      expect(got.attempts).toHaveLength(2);
      return got;
    });
    expect(m.attempts.map((a) => [a.provider, a.status])).toEqual([['sms-down', 'error'], ['sms-ok', 'queued']]);
    expect(m.attempts[0]).toMatchObject({ retryable: true, errorCode: 'MOCK_SERVER' });
    expect(m.history.some((h) => h.event === 'provider_failover')).toBe(true);
    await advance(1000);
    await eventually(async () => expect((await message(id)).status).toBe('delivered'));
  });

  it('gives up on a step at once on a permanent error, but retries a retryable one with backoff', async () => {
    const permanent = await send('permanent');
    await eventually(async () => {
      const got = await message(permanent);
      expect(got.steps[0].state).toBe('failed');
      expect(got.attempts.map((a) => a.channel)).toEqual(['sms', 'email']);
    });

    const retrying = await send('retrying');
    let m = await message(retrying);
    expect(m.steps[0].state).toBe('waiting_retry');
    expect(m.attempts).toHaveLength(1);
    await advance(1000); // first retry: between 0.5 s and 1 s
    m = await message(retrying);
    expect(m.attempts).toHaveLength(2);
    await advance(2000); // second retry: between 1 s and 2 s
    m = await eventually(async () => {
      const got = await message(retrying);
      expect(got.steps[0].state).toBe('failed');
      return got;
    });
    expect(m.attempts.map((a) => a.channel)).toEqual(['sms', 'sms', 'sms', 'email']);
    expect(m.history.filter((h) => h.event === 'retry_scheduled')).toHaveLength(2);
  });

  it('skips a step with no address for its channel and records why', async () => {
    const id = await send('timeout', { sms: '+15551230002' });
    const m = await message(id);
    expect(m.steps[0].state).toBe('skipped');
    expect(m.history.find((h) => h.event === 'step_skipped')?.cause).toBe('no whatsapp address');
    expect(m.attempts.map((a) => a.channel)).toEqual(['sms']);
  });

  it('broadcast runs every step at once and ends when all have settled', async () => {
    const id = await send('everywhere');
    let m = await message(id);
    expect(m.attempts.map((a) => a.channel).sort()).toEqual(['email', 'sms', 'whatsapp']);
    await advance(2000);
    m = await message(id);
    expect(m.steps.map((s) => s.state)).toEqual(['succeeded', 'succeeded', 'active']);
    expect(m.status).toBe('routing');
    await advance(8000);
    m = await eventually(async () => {
      const got = await message(id);
      expect(got.completedAt).toBeDefined();
      return got;
    });
    expect(m.steps[2].state).toBe('timed_out');
    expect(m.status).toBe('read');
  });

  it('cancel stops pending fallbacks', async () => {
    const id = await send('timeout');
    const res = await gw.request.post(`/v1/messages/${id}/cancel`).set('x-api-key', API_KEY).expect(200);
    expect(res.body.status).toBe('canceled');
    await advance(10_000);
    const m = await message(id);
    expect(m.status).toBe('canceled');
    expect(m.attempts).toHaveLength(1);
    expect(gw.app.scheduler.pending).toBe(0);
    await gw.request.post(`/v1/messages/${id}/cancel`).set('x-api-key', API_KEY).expect(409);
  });
});
