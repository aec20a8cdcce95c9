import { describe, expect, it } from 'vitest';
import { failNextCommit } from '../helpers/store-faults.js';
import { API_KEY, DELIVERING_SMS, settle, startGateway } from '../helpers/gateway.js';

const yaml = DELIVERING_SMS;

describe('an accept whose commit fails', () => {
  it('answers 503 with Retry-After, leaves nothing behind, never sends; a retry with the same key sends once', async () => {
    const gw = await startGateway(yaml);
    const body = { route: 'default', to: { sms: '+15551234567' }, content: { text: 'code 1234' } };
    try {
      failNextCommit(gw.app.store);
      const refused = await gw.request.post('/v1/messages').set('x-api-key', API_KEY).set('Idempotency-Key', 'k1').send(body).expect(503);
      expect(refused.body.code).toBe('unavailable');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      // The queued changes of the failed commit go out with the next one: they must net to nothing.
      await settle(gw.app);
      await gw.close(true);
    } catch (err) {
      await gw.close();
      throw err;
    }

    const again = await startGateway(yaml, { dir: gw.dir });
    try {
      await settle(again.app);
      expect((await again.app.engine.list({ limit: 10 })).items).toEqual([]);
      expect(again.app.store.timers.size).toBe(0);
      expect(again.app.store.idempotency.size).toBe(0);

      const ok = await again.request.post('/v1/messages').set('x-api-key', API_KEY).set('Idempotency-Key', 'k1').send(body).expect(202);
      await settle(again.app);
      const { items } = await again.app.engine.list({ limit: 10 });
      expect(items.map((m) => m.id)).toEqual([ok.body.id]);
      expect(items[0].attempts).toHaveLength(1);
    } finally {
      await again.close();
    }
  });
});
