import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboundRecord } from '../../src/model.js';
import { DELIVERING_SMS, eventually } from '../helpers/gateway.js';
import { startCliGateway, type CliGateway } from './harness.js';

describe('switchboard inbound', () => {
  let h: CliGateway;
  beforeAll(async () => {
    h = await startCliGateway(DELIVERING_SMS);
    for (const [from, text] of [['+15551230001', 'first'], ['+15551230002', 'second\nline']]) {
      await h.gw.request.post('/webhooks/sms/inbound').send({ from, to: '+15557654321', text }).expect(200);
    }
    await eventually(async () => expect((await h.gw.app.store.inbound.list({ limit: 10 })).items).toHaveLength(2));
  });
  afterAll(async () => {
    await h.close();
  });

  it('lists received messages as a table, newest first, a multi-line text kept on one row', async () => {
    const got = await h.cli(['inbound']);
    expect(got.code).toBe(0);
    const lines = got.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +RECEIVED +INSTANCE +CHANNEL +FROM +TO +TEXT$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/ sms +sms +\+15551230002 +\+15557654321 +second line$/),
      expect.stringMatching(/ sms +sms +\+15551230001 +\+15557654321 +first$/),
    ]);
  });

  it('filters reach GET /v1/inbound, and --json parses', async () => {
    const only = JSON.parse((await h.cli(['inbound', '--from', '+15551230001', '--json'])).stdout) as { items: InboundRecord[] };
    expect(only.items.map((r) => r.text)).toEqual(['first']);
    const none = JSON.parse((await h.cli(['inbound', '--instance', 'other', '--json'])).stdout) as { items: InboundRecord[] };
    expect(none.items).toEqual([]);
    const bad = await h.cli(['inbound', '--channel', 'fax']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^switchboard inbound: GET \/v1\/inbound refused \(400 validation_failed\): channel must be one of/);
  });
});
