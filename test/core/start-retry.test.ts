import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../helpers/clock.js';
import { API_KEY, DELIVERING_SMS, eventually, settle, startGateway, type TestGateway } from '../helpers/gateway.js';

describe('the start of a route', () => {
  let gw: TestGateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('runs again when a guard failed before any step began (the store could not be read), and then sends', async () => {
    const { clock, advance } = manualClock(Date.now());
    let calls = 0;
    gw = await startGateway(DELIVERING_SMS, {
      clock,
      guards: [() => {
        calls += 1;
        if (calls === 1) throw new Error('the shared store could not be read');
        return { action: 'send' };
      }],
    });
    const { body } = await gw.request.post('/v1/messages').set('x-api-key', API_KEY)
      .send({ route: 'default', to: { sms: '+15551112222' }, content: { text: 'hi' } }).expect(202);
    advance(0);
    await settle(gw.app);
    expect(calls).toBe(1);
    // The failed start was stored as routing with no step begun; its timer comes back and carries on.
    advance(5_000);
    await eventually(async () => {
      advance(0);
      const { body: m } = await gw!.request.get(`/v1/messages/${body.id}`).set('x-api-key', API_KEY).expect(200);
      expect(m.status).toBe('delivered');
    });
    expect(calls).toBe(2);
  });
});
