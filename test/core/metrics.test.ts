import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { API_KEY, configText, eventually, settle, startGateway, type TestGateway } from '../helpers/gateway.js';
import { metric } from '../helpers/metrics.js';

const YAML = configText(`
providers:
  wa: { plugin: mock, channels: [whatsapp], outcome: none }
  sms: { plugin: mock, channels: [sms], outcome: delivered, after: 2s }
routes:
  default:
    steps:
      - { channel: whatsapp, providers: [wa], until: delivered, within: 5s }
      - { channel: sms, providers: [sms], until: delivered, within: 30s }
`);

describe('metrics after a fallback scenario', () => {
  let gw: TestGateway;
  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    gw = await startGateway(YAML);
  });
  afterEach(async () => {
    await gw.close();
    vi.useRealTimers();
  });

  it('counts accepts, attempts, the fallback with its reason, the outcome and the time to delivery', async () => {
    for (const n of ['+15551230001', '+15551230002']) {
      await gw.request.post('/v1/messages').set('x-api-key', API_KEY).send({ route: 'default', to: { phone: n }, content: { text: 'x' } }).expect(202);
    }
    await vi.advanceTimersByTimeAsync(0);
    await settle(gw.app);
    let text = (await gw.request.get('/metrics')).text;
    expect(metric(text, 'switchboard_scheduler_pending_timers', {}, NaN)).toBe(2);
    await vi.advanceTimersByTimeAsync(5000);
    await settle(gw.app);
    await vi.advanceTimersByTimeAsync(2000);
    await eventually(async () => {
      text = (await gw.request.get('/metrics')).text;
      expect(metric(text, 'switchboard_messages_total', { route: 'default', outcome: 'delivered' }, NaN)).toBe(2);
      // Counted once each receipt's effects are stored: sent and delivered for both messages.
      expect(metric(text, 'switchboard_webhooks_total', { provider: 'sms', kind: 'status', result: 'applied' }, NaN)).toBe(4);
    });
    expect(metric(text, 'switchboard_messages_accepted_total', { route: 'default' }, NaN)).toBe(2);
    expect(metric(text, 'switchboard_fallbacks_total', { route: 'default', from_channel: 'whatsapp', to_channel: 'sms', reason: 'timeout' }, NaN)).toBe(2);
    expect(metric(text, 'switchboard_attempts_total', { channel: 'whatsapp', provider: 'wa', status: 'queued' }, NaN)).toBe(2);
    expect(metric(text, 'switchboard_attempts_total', { channel: 'sms', provider: 'sms', status: 'delivered' }, NaN)).toBe(2);
    expect(metric(text, 'switchboard_time_to_delivery_seconds_count', { route: 'default', channel: 'sms' }, NaN)).toBe(2);
    // Accepted at t=0, delivered at t=7 s on the fake clock.
    expect(metric(text, 'switchboard_time_to_delivery_seconds_bucket', { le: '5', route: 'default', channel: 'sms' }, NaN)).toBe(0);
    expect(metric(text, 'switchboard_time_to_delivery_seconds_bucket', { le: '10', route: 'default', channel: 'sms' }, NaN)).toBe(2);
    expect(metric(text, 'switchboard_provider_errors_total', { provider: 'wa', reason: 'timeout' }, NaN)).toBe(0);
    expect(metric(text, 'switchboard_scheduler_pending_timers', {}, NaN)).toBe(0);
    expect(metric(text, 'switchboard_config_last_reload_successful', {}, NaN)).toBe(1);
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).not.toContain('+1555');
  });
});
