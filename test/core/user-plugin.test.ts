import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_KEY, configText, eventually, startGateway } from '../helpers/gateway.js';

// A user plugin whose provider calls back before its API answers, as real providers sometimes do.
const EARLY_PLUGIN = `
let n = 0;
export default {
  name: 'early',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  channels: () => ['sms'],
  create(_options, deps) {
    return {
      async send() {
        const providerMessageId = 'early-' + (++n);
        for (const status of ['delivered', 'sent']) {
          const body = { id: providerMessageId, status };
          await deps.loopback('status', { headers: {}, rawBody: JSON.stringify(body), body });
        }
        return { providerMessageId, status: 'queued' };
      },
      webhooks: {
        status: (req) => ({ ok: true, events: [{ type: 'status', providerMessageId: req.body.id, status: req.body.status }] }),
      },
    };
  },
};
`;

describe('a user plugin loaded from a path', () => {
  it('is validated, built and used; receipts that beat the API answer are parked, then applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-user-plugin-'));
    writeFileSync(join(dir, 'early-plugin.mjs'), EARLY_PLUGIN);
    const gw = await startGateway(configText(`
plugins:
  early: { path: ./early-plugin.mjs }
providers:
  fast: { plugin: early }
routes:
  default:
    steps:
      - { channel: sms, providers: [fast], until: delivered, within: 30s }
`), { dir });
    try {
      const res = await gw.request.post('/v1/messages').set('x-api-key', API_KEY).send({ route: 'default', to: { sms: '+15551234567' }, content: { text: 'x' } }).expect(202);
      const m = await eventually(async () => {
        const got = (await gw.app.engine.get(res.body.id))!;
        expect(got.status).toBe('delivered');
        return got;
      });
      expect(m.attempts[0].receipts.map((r) => r.status)).toEqual(['sent', 'delivered']);
      expect(gw.app.store.parked.size).toBe(0);
      const metrics = (await gw.request.get('/metrics')).text;
      expect(metrics).toContain('switchboard_webhooks_total{provider="fast",kind="status",result="parked"} 2');
    } finally {
      await gw.close();
    }
  });
});
