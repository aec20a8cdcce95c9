import { afterEach, describe, expect, it } from 'vitest';
import { holdMessageReads } from '../helpers/store-faults.js';
import { gatedPlugin } from '../helpers/gated-plugin.js';
import { API_KEY, configText, eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { metric } from '../helpers/metrics.js';

const CONFIG = configText(`
providers:
  slow: { plugin: gated }
routes:
  default:
    steps:
      - { channel: sms, providers: [slow], until: delivered, within: 1m }
`);

describe('a receipt that comes back before its send\'s answer is applied', () => {
  let gw: TestGateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('waits for that answer in this process and is applied once, never parked', async () => {
    const gated = gatedPlugin();
    gw = await startGateway(CONFIG, { builtins: gated.builtins });
    const { body } = await gw.request.post('/v1/messages').set('x-api-key', API_KEY)
      .send({ route: 'default', to: { sms: '+15551112222' }, content: { text: 'hi' } }).expect(202);
    await eventually(() => expect(gated.waiting).toBe(1));
    // The store is slow to give the message back when the provider answers, so the answer
    // cannot be applied yet: the attempt's provider id is not known to the store.
    const reads = holdMessageReads(gw.app.store);
    gated.open();
    await eventually(async () => expect(metric((await gw!.request.get('/metrics')).text, 'switchboard_provider_request_duration_seconds_count', { provider: 'slow', operation: 'send' }, 0)).toBe(1));

    let outcome: string | undefined;
    const receipt = gw.app.engine.ingestStatus('slow', { type: 'status', providerMessageId: 'gated-1', status: 'delivered' }).then((o) => (outcome = o));
    await new Promise((r) => setTimeout(r, 50));
    expect(outcome).toBeUndefined();
    expect(gw.app.store.parked.size).toBe(0);

    reads.release();
    await receipt;
    expect(outcome).toBe('applied');
    expect(gw.app.store.parked.size).toBe(0);
    const m = (await gw.app.store.messages.get(body.id))!;
    expect(m.attempts[0].receipts.map((r) => r.status)).toEqual(['delivered']);
    expect(m.status).toBe('delivered');
    expect(m.history.map((h) => h.event).filter((e) => e === 'receipt')).toHaveLength(1);
  });
});
