import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { API_KEY, READ_KEY, configText, eventually, startGateway, type TestGateway } from '../helpers/gateway.js';

// `refuses` fails every send (a client error); `flaky` takes every send, and reports failure for +1555000… numbers.
const YAML = configText(`
providers:
  refuses: { plugin: mock, channels: [sms], sendError: client }
  flaky: { plugin: mock, channels: [sms], outcome: delivered, after: 0s, recipients: [{ match: "+1555000*", outcome: failed }] }
  idle: { plugin: mock, channels: [email] }
routes:
  default:
    steps:
      - { channel: sms, providers: [refuses, flaky], until: delivered, within: 1m }
`);

interface Status {
  configHash: string;
  reload: { successful: boolean; lastSuccessAt: string | null; restartRequired: boolean };
  providers: { name: string; plugin: string; channels: string[]; sends: number; errors: Record<string, number>; failedReceipts: number; errorRate: number | null }[];
}

describe('GET /-/status (what the status page shows beside the REST API)', () => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startGateway(YAML);
  });
  afterEach(() => gw.close());

  const status = async (): Promise<Status> => (await gw.request.get('/-/status').set('x-api-key', READ_KEY).expect(200)).body as Status;

  async function send(phone: string): Promise<void> {
    const res = await gw.request.post('/v1/messages').set('x-api-key', API_KEY).send({ route: 'default', to: { sms: phone }, content: { text: 'hi' } }).expect(202);
    const id = (res.body as { id: string }).id;
    await eventually(async () => expect(['delivered', 'failed']).toContain((await gw.request.get(`/v1/messages/${id}`).set('x-api-key', API_KEY)).body.status));
  }

  it('gives each provider its sends, errors by reason, failed receipts and error rate', async () => {
    await send('+15550001111');
    await send('+15559992222');
    const s = await status();
    expect(s.providers).toEqual([
      { name: 'refuses', plugin: 'mock', channels: ['sms'], sends: 2, errors: { client: 2 }, failedReceipts: 0, errorRate: 1 },
      { name: 'flaky', plugin: 'mock', channels: ['sms'], sends: 2, errors: {}, failedReceipts: 1, errorRate: 0.5 },
      { name: 'idle', plugin: 'mock', channels: ['email'], sends: 0, errors: {}, failedReceipts: 0, errorRate: null },
    ]);
    // Counts only: no recipient reaches this answer.
    expect(JSON.stringify(s)).not.toMatch(/\+1555/);
  });

  it('reports the serving config hash and a refused reload, which leaves that hash serving', async () => {
    const before = await status();
    expect(before.configHash).toMatch(/^[0-9a-f]{64}$/);
    expect(before.reload).toEqual({ successful: true, lastSuccessAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), restartRequired: false });

    writeFileSync(gw.file, YAML.replace('plugin: mock, channels: [email]', 'plugin: nosuchplugin'));
    await gw.request.post('/-/reload').set('x-api-key', API_KEY).expect(400);
    const after = await status();
    expect(after.configHash).toBe(before.configHash);
    expect(after.reload.successful).toBe(false);
    expect(after.reload.lastSuccessAt).toBe(before.reload.lastSuccessAt);
  });

  it('needs a key with the read scope', async () => {
    await gw.request.get('/-/status').expect(401);
    await gw.request.get('/-/status').set('authorization', 'Bearer wrong-key-0000000000').expect(401);
    await gw.request.get('/-/status').set('authorization', `Bearer ${READ_KEY}`).expect(200);
  });
});
