import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AUTH_TOKEN, CUSTOMER, PUBLIC_URL,
  metric, metricsText, send, startHarness, twilioCreates, waitMessage,
  type Harness,
} from './harness.js';

describe('Twilio calling the gateway itself, over a real socket', () => {
  let h: Harness | undefined;
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await h?.close();
    server = undefined;
    h = undefined;
  });

  it("the fake's own signed status callbacks, sent to the StatusCallback the gateway asked for, deliver the message", async () => {
    let local = '';
    h = await startHarness({
      twilio: {
        // Twilio signs the public URL; behind the "proxy" it reaches the gateway on 127.0.0.1.
        autoStatus: { authToken: AUTH_TOKEN, statuses: ['sent', 'delivered'], delayMs: 100, target: (url) => url.replace(PUBLIC_URL, local) },
      },
    });
    server = createServer(h.gw.app.http.callback());
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    local = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const id = await send(h, 'twilio-sms');
    const m = await waitMessage(h, id, (got) => expect(got.status).toBe('delivered'));
    await h.twilio.settled();
    expect(twilioCreates(h)[0].form.To).toBe(CUSTOMER);
    expect(h.twilio.callbacks.map((c) => [c.url, c.messageStatus, c.status])).toEqual([
      [`${PUBLIC_URL}/webhooks/twilio-us/status`, 'sent', 200],
      [`${PUBLIC_URL}/webhooks/twilio-us/status`, 'delivered', 200],
    ]);
    expect(m.attempts[0].receipts.map((r) => r.status)).toEqual(['sent', 'delivered']);
    expect(m.attempts[0].details).toMatchObject({ twilioStatus: 'delivered' });
    expect(metric(await metricsText(h), 'switchboard_webhooks_total', { provider: 'twilio-us', kind: 'status', result: 'applied' })).toBe(2);
  });
});
