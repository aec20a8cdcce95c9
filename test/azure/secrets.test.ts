import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryStatus } from '../fakes/event-grid.js';
import { postJson } from '../fakes/fake-server.js';
import { report, resultsBody } from '../fakes/infobip-fake.js';
import { eventually } from '../helpers/gateway.js';
import { API_KEY, CUSTOMER, EVENT_GRID_SECRET, INFOBIP_SECRET, startAzureHarness, type AzureHarness } from './setup.js';

describe('ACS and Infobip secrets', () => {
  let h: AzureHarness;
  beforeAll(async () => {
    h = await startAzureHarness({ 'api.keys': [{ name: 'app', key: API_KEY, scopes: ['send', 'read', 'admin'] }] });
  });
  afterAll(() => h.close());

  it('after sends, Event Grid and Infobip callbacks and rejections: /-/config, logs and /metrics hold no secret or phone number', async () => {
    const id = (await h.gw.request.post('/v1/messages').set('x-api-key', API_KEY).send({ route: 'notify', to: { phone: CUSTOMER }, content: { text: 'hi' } })).body.id as string;
    await eventually(() => expect(h.acs.sent).toHaveLength(1));
    const grid = h.grid('eventgrid');
    await grid.handshake();
    await grid.publish([deliveryStatus(h.acs.sent[0].messageId, 'Failed', { channelCode: '131026', channelMessage: 'Message Undeliverable.' })]);
    await eventually(() => expect(h.acs.sent).toHaveLength(2));
    await postJson(`${h.origin}/webhooks/acs/events?code=forged-000000000000000`, []);
    await postJson(`${h.origin}/webhooks/infobip/reports?secret=forged-000000000000000`, resultsBody([]));
    await postJson(`${h.origin}/webhooks/infobip/reports?secret=${INFOBIP_SECRET}`, resultsBody([report({ messageId: 'x', to: '15554440001' }, 'DELIVERED')]));
    await eventually(async () => expect((await h.message(id)).attempts).toHaveLength(2));

    const config = (await h.gw.request.get('/-/config').set('x-api-key', API_KEY).expect(200)).body as { providers: Record<string, Record<string, unknown>> };
    expect(config.providers.acs).toMatchObject({ endpoint: h.acs.url, accessKey: '***', webhookSecret: '***' });
    expect(config.providers.infobip).toMatchObject({ apiKey: '***', webhookSecret: '***' });
    const secrets = [h.acs.accessKey, EVENT_GRID_SECRET, h.infobip.apiKey, INFOBIP_SECRET, API_KEY];
    const configText = JSON.stringify(config);
    const logs = h.gw.logs.join('');
    const metrics = (await h.gw.request.get('/metrics')).text;
    expect(h.gw.logs.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(configText.includes(secret), `/-/config holds ${secret.slice(0, 6)}…`).toBe(false);
      expect(logs.includes(secret), `logs hold ${secret.slice(0, 6)}…`).toBe(false);
      expect(metrics.includes(secret)).toBe(false);
    }
    expect(metrics).not.toContain(CUSTOMER.slice(2));
  });
});
