import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/model.js';
import { API_KEY, configText, eventually, settle, startGateway } from '../helpers/gateway.js';

const yaml = (resendUnknown: boolean) => configText(`
providers:
  sms: { plugin: mock, channels: [sms], outcome: none }
routes:
  default:
    resendUnknown: ${resendUnknown}
    steps:
      - { channel: sms, providers: [sms], until: delivered, within: 1m }
`);

/** Leaves a stored message whose attempt was in flight when the process "died". */
async function crashDuringSend(resendUnknown: boolean) {
  const gw = await startGateway(yaml(resendUnknown));
  const res = await gw.request.post('/v1/messages').set('x-api-key', API_KEY).send({ route: 'default', to: { sms: '+15551234567' }, content: { text: 'x' } }).expect(202);
  await eventually(async () => expect((await gw.app.engine.get(res.body.id))?.attempts).toHaveLength(1));
  await settle(gw.app);
  const m = (await gw.app.store.messages.get(res.body.id)) as Message;
  // What the disk holds if the process dies between storing the attempt and hearing the provider.
  m.attempts[0].status = 'sending';
  delete m.attempts[0].providerMessageId;
  gw.app.store.messages.put(m);
  gw.app.store.inflight.set(m.attempts[0].id, { message: m.id, step: 0 });
  await gw.app.store.commit();
  await gw.close(true);
  return { dir: gw.dir, id: res.body.id as string };
}

describe('restart with an attempt in flight', () => {
  it('marks it unknown and does not send it again by default', async () => {
    const { dir, id } = await crashDuringSend(false);
    const gw = await startGateway(yaml(false), { dir });
    try {
      await settle(gw.app);
      const m = (await gw.app.engine.get(id))!;
      expect(m.attempts.map((a) => a.status)).toEqual(['unknown']);
      expect(m.history.some((h) => h.event === 'attempt_unknown')).toBe(true);
      expect(gw.app.store.inflight.size).toBe(0);
      // The step's timeout is still pending, so the route can still move on.
      expect(gw.app.scheduler.pending).toBe(1);
    } finally {
      await gw.close();
    }
  });

  it('sends it again when the route says resendUnknown: true', async () => {
    const { dir, id } = await crashDuringSend(true);
    const gw = await startGateway(yaml(true), { dir });
    try {
      const m = await eventually(async () => {
        const got = (await gw.app.engine.get(id))!;
        expect(got.attempts.map((a) => a.status)).toEqual(['unknown', 'queued']);
        return got;
      });
      expect(m.history.some((h) => h.event === 'resend_unknown')).toBe(true);
    } finally {
      await gw.close();
    }
  });
});
