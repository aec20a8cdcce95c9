import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, DELIVERING_SMS, startGateway, type TestGateway } from '../helpers/gateway.js';
import { mountTmpfs, type Tmpfs } from '../store/helpers.js';

const yaml = DELIVERING_SMS;

const body = (i: number) => ({ route: 'default', to: { sms: '+15551234567' }, content: { text: `message ${i} ${'x'.repeat(3000)}` } });

describe('the gateway on a disk that fills up', () => {
  let fs: Tmpfs;
  beforeAll(() => {
    fs = mountTmpfs('4m');
  });
  afterAll(() => fs.unmount());

  it('answers 503 (never 202) while full, is not ready, recovers when space returns, and keeps every 202 across a restart', async () => {
    let gw: TestGateway | undefined = await startGateway(yaml, { dir: fs.dir });
    const acked: string[] = [];
    const statuses = new Map<number, number>();
    let n = 0;
    const post = async () => {
      n += 1;
      const res = await gw!.request.post('/v1/messages').set('x-api-key', API_KEY).set('Idempotency-Key', `k${n}`).send(body(n));
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status === 202) acked.push(res.body.id);
      else {
        expect(res.status).toBe(503);
        expect(res.body.code).toBe('unavailable');
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
      return res.status;
    };
    try {
      const filler = fs.fill(600 * 1024);
      // Concurrent senders until the disk has refused a good number of accepts.
      const refusedEnough = () => (statuses.get(503) ?? 0) >= 30;
      await Promise.all(Array.from({ length: 6 }, async () => {
        while (!refusedEnough() && n < 5000) await post();
      }));
      expect(refusedEnough()).toBe(true);
      expect(acked.length).toBeGreaterThan(10);
      await gw.request.get('/-/ready').expect(503);

      rmSync(filler);
      // Space is back: the next accept writes (and with it everything queued), readiness returns.
      expect(await post()).toBe(202);
      await gw.request.get('/-/ready').expect(200);
      const before = acked.length;
      for (let i = 0; i < 5; i += 1) expect(await post()).toBe(202);
      expect(acked.length).toBe(before + 5);
      console.log(`disk full: ${acked.length} accepts acknowledged, ${statuses.get(503)} refused with 503, ${n} requests`);

      await gw.close(true);
      gw = await startGateway(yaml, { dir: fs.dir });
      for (const id of acked) await gw.request.get(`/v1/messages/${id}`).set('x-api-key', API_KEY).expect(200);
      // Nothing refused was kept: only acknowledged messages exist.
      const listed = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await gw.request.get('/v1/messages').query({ limit: 500, ...(cursor ? { cursor } : {}) }).set('x-api-key', API_KEY).expect(200);
        for (const m of page.body.items as { id: string }[]) listed.add(m.id);
        cursor = page.body.nextCursor;
      } while (cursor);
      expect([...listed].sort()).toEqual([...acked].sort());
    } finally {
      await gw?.close(true);
    }
  }, 60_000);
});
