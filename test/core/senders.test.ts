import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/model.js';
import { API_KEY, configText, eventually, settle, startGateway, type TestGateway } from '../helpers/gateway.js';

const YAML = configText(`
providers:
  sms-a: { plugin: mock, channels: [sms], outcome: delivered, after: 0s, from: "+15550000001" }
  sms-b: { plugin: mock, channels: [sms], outcome: delivered, after: 0s, senders: ["+15550000002", "+1 555 000 0003"] }
routes:
  default:
    steps:
      - { channel: sms, providers: [sms-a, sms-b], until: delivered, within: 1m }
`);

describe('sender selection', () => {
  let gw: TestGateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  async function send(body: Record<string, unknown>): Promise<Message> {
    const { body: accepted } = await gw!.request.post('/v1/messages').set('x-api-key', API_KEY)
      .send({ route: 'default', to: { sms: '+15551112222' }, content: { text: 'hi' }, ...body }).expect(202);
    await settle(gw!.app);
    return eventually(async () => {
      const { body: m } = await gw!.request.get(`/v1/messages/${accepted.id}`).set('x-api-key', API_KEY).expect(200);
      expect(['delivered', 'failed']).toContain(m.status);
      return m as Message;
    });
  }

  it('sends through the first provider whose senders include the message\'s from, and passes it on', async () => {
    gw = await startGateway(YAML);
    const m = await send({ from: '+15550000003' });
    expect(m.status).toBe('delivered');
    expect(m.attempts).toHaveLength(1);
    expect(m.attempts[0].provider).toBe('sms-b');
    expect(m.attempts[0].details).toEqual({ from: '+15550000003' });
    expect(m.history.some((h) => h.event === 'provider_skipped' && h.cause === 'sms-a may not send from +15550000003')).toBe(true);
  });

  it('uses an instance\'s own sender as its only one when it lists none', async () => {
    gw = await startGateway(YAML);
    const own = await send({ from: '+1 (555) 000-0001' });
    expect(own.attempts.map((a) => a.provider)).toEqual(['sms-a']);
    const none = await send({});
    expect(none.attempts.map((a) => [a.provider, a.details])).toEqual([['sms-a', { from: '+15550000001' }]]);
  });

  it('fails the step with the reason when no provider may send from it', async () => {
    gw = await startGateway(YAML);
    const m = await send({ from: '+15559999999' });
    expect(m.status).toBe('failed');
    expect(m.attempts).toHaveLength(0);
    expect(m.history.find((h) => h.event === 'step_failed')?.cause).toBe('no provider of the sms step may send from +15559999999 (see providers.<name>.senders)');
  });

  it('refuses a from that is not a string', async () => {
    gw = await startGateway(YAML);
    await gw.request.post('/v1/messages').set('x-api-key', API_KEY)
      .send({ route: 'default', to: { sms: '+15551112222' }, content: { text: 'hi' }, from: 5 }).expect(400);
  });
});
