import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CUSTOMER, TWILIO_FROM,
  metric, metricsText, send, startHarness, twilioCreates, waitMessage,
  type Harness,
} from './harness.js';

describe('retryable and permanent provider errors through the gateway', () => {
  let h: Harness;
  beforeEach(async () => {
    // retry: { initial: 100ms, max: 400ms, attempts: 2 }
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('Twilio answering 500 fails over to Bandwidth within the same step', async () => {
    h.twilio.failNext({ status: 500 });
    const id = await send(h, 'twilio-then-bw');
    const m = await waitMessage(h, id, (got) => expect(got.attempts[1]?.status).toBe('queued'));
    expect(m.attempts.map((a) => [a.step, a.provider, a.status])).toEqual([[0, 'twilio-us', 'error'], [0, 'bandwidth', 'queued']]);
    expect(m.attempts[0]).toMatchObject({ retryable: true, errorCode: '20500' });
    expect(m.attempts[0].errorReason).toContain('500');
    expect(m.steps[0].state).toBe('active');
    expect(m.history.find((e) => e.event === 'provider_failover')?.cause).toBe('trying bandwidth');
    expect(twilioCreates(h)).toHaveLength(1);
    expect(h.bw.messageRequests()).toHaveLength(1);
    expect(h.bw.messageRequests()[0].body).toMatchObject({ to: [CUSTOMER], tag: m.attempts[1].id });
    const text = await metricsText(h);
    expect(metric(text, 'switchboard_provider_errors_total', { provider: 'twilio-us', reason: 'server' })).toBe(1);
    expect(metric(text, 'switchboard_fallbacks_total')).toBe(0);
  });

  it('Bandwidth answering 429 fails over to Twilio within the same step', async () => {
    h.bw.failNext(429);
    const id = await send(h, 'bw-then-twilio');
    const m = await waitMessage(h, id, (got) => expect(got.attempts[1]?.status).toBe('queued'));
    expect(m.attempts.map((a) => [a.provider, a.status])).toEqual([['bandwidth', 'error'], ['twilio-us', 'queued']]);
    expect(m.attempts[0]).toMatchObject({ retryable: true, errorCode: 'max-message-queue-size-exceeded' });
    expect(m.attempts[0].errorReason).toContain('429');
    expect(twilioCreates(h)[0].form).toMatchObject({ To: CUSTOMER, From: TWILIO_FROM });
    const text = await metricsText(h);
    expect(metric(text, 'switchboard_provider_errors_total', { provider: 'bandwidth', reason: 'rate_limited' })).toBe(1);
  });

  it('a retryable error on the only provider of a step is retried with backoff, and succeeds', async () => {
    h.bw.failNext(500);
    const id = await send(h, 'bw-retry');
    const m = await waitMessage(h, id, (got) => expect(got.status).toBe('sent'));
    expect(m.attempts.map((a) => [a.step, a.provider, a.status])).toEqual([[0, 'bandwidth', 'error'], [0, 'bandwidth', 'queued']]);
    expect(m.attempts[0]).toMatchObject({ retryable: true, errorCode: 'internal-server-error' });
    expect(m.steps[0]).toMatchObject({ state: 'succeeded', retries: 1 });
    expect(m.history.filter((e) => e.event === 'retry_scheduled')).toHaveLength(1);
    const [first, second] = h.bw.messageRequests();
    // Backoff for the first retry is between initial/2 and initial (50–100 ms).
    expect(second.at - first.at).toBeGreaterThanOrEqual(45);
    expect(twilioCreates(h)).toHaveLength(0);
  });

  it('retries stop after retry.attempts and the route moves to the next step', async () => {
    h.bw.failNext(503, 3);
    const id = await send(h, 'bw-retry');
    const m = await waitMessage(h, id, (got) => expect(got.status).toBe('sent'));
    expect(m.attempts.map((a) => [a.channel, a.provider, a.status])).toEqual([
      ['sms', 'bandwidth', 'error'], ['sms', 'bandwidth', 'error'], ['sms', 'bandwidth', 'error'], ['whatsapp', 'twilio-us', 'queued'],
    ]);
    expect(m.attempts.slice(0, 3).every((a) => a.retryable === true)).toBe(true);
    expect(m.history.filter((e) => e.event === 'retry_scheduled')).toHaveLength(2);
    expect(m.steps[0].state).toBe('failed');
    expect(m.history.find((e) => e.event === 'fallback')?.cause).toContain('retries ran out');
    expect(h.bw.messageRequests()).toHaveLength(3);
    expect(twilioCreates(h)[0].form.To).toBe(`whatsapp:${CUSTOMER}`);
    const text = await metricsText(h);
    expect(metric(text, 'switchboard_fallbacks_total', { route: 'bw-retry', from_channel: 'sms', to_channel: 'whatsapp', reason: 'failed' })).toBe(1);
  });

  it('Twilio 400/21211 is permanent: the step fails at once, without a retry, and the next step runs', async () => {
    h.twilio.failNext({ status: 400, code: 21211, message: "The 'To' number is not a valid phone number." });
    const id = await send(h, 'permanent');
    let m = await waitMessage(h, id, (got) => expect(got.attempts[1]?.status).toBe('queued'));
    expect(m.attempts[0]).toMatchObject({ step: 0, provider: 'twilio-us', status: 'error', retryable: false, errorCode: '21211' });
    expect(m.attempts[0].errorReason).toContain("invalid 'To' phone number");
    expect(m.attempts[1]).toMatchObject({ step: 1, provider: 'bandwidth', channel: 'sms' });
    expect(m.steps[0].state).toBe('failed');
    expect(m.history.some((e) => e.event === 'retry_scheduled')).toBe(false);
    expect(m.history.find((e) => e.event === 'fallback')?.cause).not.toContain('retries');

    // No retry is stored for the failed step, so no second Twilio request can ever follow.
    expect(h.gw.app.scheduler.get(`${id}.0.retry`)).toBeUndefined();
    m = await waitMessage(h, id, () => undefined);
    expect(twilioCreates(h)).toHaveLength(1);
    expect(m.attempts).toHaveLength(2);
    const text = await metricsText(h);
    expect(metric(text, 'switchboard_provider_errors_total', { provider: 'twilio-us', reason: 'client' })).toBe(1);
    expect(metric(text, 'switchboard_fallbacks_total', { route: 'permanent', from_channel: 'sms', to_channel: 'sms', reason: 'failed' })).toBe(1);
  });

  it('Bandwidth 400 is permanent even on a route that would retry a 5xx', async () => {
    h.bw.failNext(400);
    const id = await send(h, 'bw-retry');
    const m = await waitMessage(h, id, (got) => expect(got.attempts[1]?.status).toBe('queued'));
    expect(m.attempts.map((a) => [a.channel, a.provider, a.status])).toEqual([['sms', 'bandwidth', 'error'], ['whatsapp', 'twilio-us', 'queued']]);
    expect(m.attempts[0]).toMatchObject({ retryable: false, errorCode: 'request-validation' });
    expect(m.history.some((e) => e.event === 'retry_scheduled')).toBe(false);
    expect(h.gw.app.scheduler.get(`${id}.0.retry`)).toBeUndefined();
    expect(h.bw.messageRequests()).toHaveLength(1);
  });
});
