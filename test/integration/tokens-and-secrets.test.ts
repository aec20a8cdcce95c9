import type { Clock } from '../../src/clock.js';
import { afterEach, describe, expect, it } from 'vitest';
import { deliveredEvent, failedEvent, receivedEvent } from '../fakes/bandwidth-fake.js';
import {
  ACCOUNT_SID, API_KEY, AUTH_TOKEN, BW_CLIENT_ID, BW_CLIENT_SECRET, BW_FROM, CALLBACK_SECRET, CB_PASSWORD, CB_USER, CUSTOMER, SECRETS, TWILIO_FROM,
  basic, bandwidthCallback, labelValues, metric, metricsText, send, startHarness, twilioInbound, twilioStatus, waitMessage,
  type Harness,
} from './harness.js';

/** Real timers, but a `now` the test can move forward: the gateway's token cache reads this clock. */
function skewedClock() {
  let skew = 0;
  const clock: Clock = { now: () => Date.now() + skew, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
  return { clock, skip: (ms: number) => void (skew += ms) };
}

describe('Bandwidth OAuth tokens through the gateway', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('reuses a token while it is fresh and fetches a new one once it expired', async () => {
    const time = skewedClock();
    h = await startHarness({ bandwidth: { tokenTtlSeconds: 60 }, clock: time.clock });
    const first = await send(h, 'bw-accepted');
    await waitMessage(h, first, (got) => expect(got.status).toBe('sent'));
    const second = await send(h, 'bw-accepted');
    await waitMessage(h, second, (got) => expect(got.status).toBe('sent'));
    expect(h.bw.grants).toHaveLength(1);
    expect(h.bw.grants[0]).toMatchObject({ form: { grant_type: 'client_credentials' }, authorization: basic(BW_CLIENT_ID, BW_CLIENT_SECRET) });

    time.skip(61_000); // past the token's expires_in, as far as the gateway can tell
    const third = await send(h, 'bw-accepted');
    const m = await waitMessage(h, third, (got) => expect(got.status).toBe('sent'));
    expect(h.bw.grants).toHaveLength(2);
    expect(h.bw.grants[1].token).not.toBe(h.bw.grants[0].token);
    const requests = h.bw.messageRequests();
    expect(requests.map((r) => r.headers.authorization)).toEqual([
      `Bearer ${h.bw.grants[0].token}`, `Bearer ${h.bw.grants[0].token}`, `Bearer ${h.bw.grants[1].token}`,
    ]);
    expect(m.attempts).toHaveLength(1);
    expect(m.attempts[0].status).toBe('queued');
  });

  it('a revoked token fails one send (permanent auth error, failover), and the next send gets a new token', async () => {
    h = await startHarness();
    const first = await send(h, 'bw-accepted');
    await waitMessage(h, first, (got) => expect(got.status).toBe('sent'));
    expect(h.bw.grants).toHaveLength(1);

    h.bw.revokeTokens();
    const rejected = await send(h, 'bw-then-twilio');
    let m = await waitMessage(h, rejected, (got) => expect(got.attempts[1]?.status).toBe('queued'));
    expect(m.attempts[0]).toMatchObject({ provider: 'bandwidth', status: 'error', retryable: false, errorCode: 'unauthorized' });
    expect(m.attempts[1].provider).toBe('twilio-us');

    const next = await send(h, 'bw-accepted');
    m = await waitMessage(h, next, (got) => expect(got.status).toBe('sent'));
    expect(h.bw.grants).toHaveLength(2);
    expect(h.bw.messageRequests().at(-1)?.headers.authorization).toBe(`Bearer ${h.bw.grants[1].token}`);
    const text = await metricsText(h);
    expect(metric(text, 'switchboard_provider_errors_total', { provider: 'bandwidth', reason: 'auth' })).toBe(1);
    expect(metric(text, 'switchboard_provider_request_duration_seconds_count', { provider: 'bandwidth', operation: 'oauth_token' })).toBe(2);
  });
});

describe('secrets never leak', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('after sends, callbacks, rejections, errors and token refreshes: /-/config, logs and /metrics hold no secret or phone number', async () => {
    h = await startHarness();
    // A full fallback route, with a forged and an unauthenticated callback on the way.
    const id = await send(h, 'wa-sms-sms');
    let m = await waitMessage(h, id, (got) => expect(got.attempts[0]?.status).toBe('queued'));
    expect((await twilioStatus(h, m.attempts[0].providerMessageId!, 'failed', { authToken: 'forged-token-123' })).status).toBe(403);
    expect((await twilioStatus(h, m.attempts[0].providerMessageId!, 'failed', { errorCode: '30008' })).status).toBe(200);
    m = await waitMessage(h, id, (got) => expect(got.attempts[1]?.status).toBe('queued'));
    expect((await bandwidthCallback(h, [failedEvent(h.bw.sent[0], 5600)], { auth: basic(CB_USER, 'guess') })).status).toBe(401);
    expect((await bandwidthCallback(h, [failedEvent(h.bw.sent[0], 5600)])).status).toBe(200);
    m = await waitMessage(h, id, (got) => expect(got.attempts[2]?.status).toBe('queued'));
    expect((await twilioStatus(h, m.attempts[2].providerMessageId!, 'delivered')).status).toBe(200);
    await waitMessage(h, id, (got) => expect(got.status).toBe('delivered'));

    // Provider errors (server, auth after a revoke) and a token refresh.
    h.twilio.failNext({ status: 500 });
    const failover = await send(h, 'twilio-then-bw');
    await waitMessage(h, failover, (got) => expect(got.attempts[1]?.status).toBe('queued'));
    h.bw.revokeTokens();
    const revoked = await send(h, 'bw-then-twilio');
    await waitMessage(h, revoked, (got) => expect(got.attempts[1]?.status).toBe('queued'));
    const refreshed = await send(h, 'bw-sms');
    await waitMessage(h, refreshed, (got) => expect(got.attempts[0]?.status).toBe('queued'));
    expect((await bandwidthCallback(h, [deliveredEvent(h.bw.sent.at(-1)!)])).status).toBe(200);
    expect(h.bw.grants.length).toBeGreaterThanOrEqual(2);

    // Inbound on both providers, and a malformed body.
    expect((await twilioInbound(h, { from: CUSTOMER, to: TWILIO_FROM, body: 'hi' }).request()).status).toBe(200);
    expect((await bandwidthCallback(h, [receivedEvent({ from: CUSTOMER, to: BW_FROM, text: 'hi' })], { kind: 'inbound' })).status).toBe(200);
    expect((await bandwidthCallback(h, '{not json')).status).toBe(400);

    // /-/config: the secrets are masked, the rest is shown.
    const res = await h.gw.request.get('/-/config').set('x-api-key', API_KEY);
    expect(res.status).toBe(200);
    const config = res.body as { providers: Record<string, Record<string, unknown>>; callbacks: Record<string, unknown> };
    expect(config.providers['twilio-us']).toMatchObject({ accountSid: ACCOUNT_SID, authToken: '***' });
    expect(config.providers.bandwidth).toMatchObject({ clientId: BW_CLIENT_ID, clientSecret: '***', callbackUsername: CB_USER, callbackPassword: '***' });
    expect(config.callbacks.secret).toBe('***');
    const configText = JSON.stringify(res.body);
    for (const secret of [...SECRETS, API_KEY]) expect(configText).not.toContain(secret);
    // Admin only.
    expect((await h.gw.request.get('/-/config')).status).toBe(401);

    // Logs: nothing secret, in the clear or as the Basic/Bearer credentials built from it.
    const logs = h.gw.logs.join('');
    expect(h.gw.logs.length).toBeGreaterThan(0);
    const derived = [
      Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64'),
      Buffer.from(`${BW_CLIENT_ID}:${BW_CLIENT_SECRET}`).toString('base64'),
      Buffer.from(`${CB_USER}:${CB_PASSWORD}`).toString('base64'),
      ...h.bw.grants.map((g) => g.token).filter((t): t is string => t !== undefined),
    ];
    for (const secret of [...SECRETS, API_KEY, ...derived]) expect(logs.includes(secret), `logs contain ${secret.slice(0, 6)}…`).toBe(false);
    expect(logs).not.toContain(CALLBACK_SECRET);

    // Metrics: no secret, no phone number anywhere (labels included).
    const text = await metricsText(h);
    for (const secret of [...SECRETS, API_KEY, ...derived]) expect(text).not.toContain(secret);
    for (const number of [CUSTOMER, TWILIO_FROM, BW_FROM, CUSTOMER.slice(1), TWILIO_FROM.slice(1), BW_FROM.slice(1)]) expect(text).not.toContain(number);
    const values = labelValues(text);
    expect(values.length).toBeGreaterThan(0);
    expect(values.filter((v) => /\+?\d{8,}/.test(v))).toEqual([]);
    expect(metric(text, 'switchboard_webhooks_total', { result: 'rejected_signature' })).toBe(1);
    expect(metric(text, 'switchboard_webhooks_total', { result: 'rejected_credentials' })).toBe(1);
  });
});
