import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { API_KEY, configText, startGateway, type TestGateway } from '../helpers/gateway.js';
import { metric } from '../helpers/metrics.js';

const V1 = configText(`
providers:
  sms: { plugin: mock, channels: [sms], outcome: delivered, after: 10ms }
routes:
  default:
    steps:
      - { channel: sms, providers: [sms], until: accepted, within: 5s }
`);

describe('reload', () => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startGateway(V1);
  });
  afterEach(() => gw.close());

  const send = (route = 'default') =>
    gw.request.post('/v1/messages').set('x-api-key', API_KEY).send({ route, to: { sms: '+15551234567' }, content: { text: 'hi' } });

  it('a bad file is refused with line/column errors and the old runtime keeps serving', async () => {
    const before = gw.app.runtime();
    writeFileSync(gw.file, readFileSync(gw.file, 'utf8').replace('within: 5s', 'within: five'));

    const res = await gw.request.post('/-/reload').set('x-api-key', API_KEY).expect(400);
    expect(res.body.code).toBe('config_invalid');
    expect(res.body.details).toEqual([expect.stringMatching(/^gateway\.yaml:\d+:\d+: routes\.default\.steps\.0\.within: must be a duration/)]);
    expect(gw.app.runtime()).toBe(before);

    await send().expect(202);
    const metrics = (await gw.request.get('/metrics')).text;
    expect(metric(metrics, 'switchboard_config_last_reload_successful', {}, NaN)).toBe(0);
  });

  it('a good file swaps the runtime, updates the hash metric, and new routes work at once', async () => {
    const before = gw.app.runtime();
    const hashBefore = metric((await gw.request.get('/metrics')).text, 'switchboard_config_hash', {}, NaN);
    await send('express').expect(400);
    writeFileSync(gw.file, `${readFileSync(gw.file, 'utf8')}
  express:
    steps:
      - { channel: sms, providers: [sms], until: accepted, within: 1s }
`);
    const res = await gw.request.post('/-/reload').set('x-api-key', API_KEY).expect(200);
    expect(res.body.configHash).toBe(gw.app.runtime().loaded.hash);
    expect(gw.app.runtime()).not.toBe(before);
    await send('express').expect(202);
    const metrics = (await gw.request.get('/metrics')).text;
    expect(metric(metrics, 'switchboard_config_last_reload_successful', {}, NaN)).toBe(1);
    expect(metric(metrics, 'switchboard_config_hash', {}, NaN)).not.toBe(hashBefore);
  });

  it('a message in flight keeps the route it started with', async () => {
    const { body } = await send().expect(202);
    writeFileSync(gw.file, readFileSync(gw.file, 'utf8').replace('within: 5s', 'within: 9s'));
    await gw.request.post('/-/reload').set('x-api-key', API_KEY).expect(200);
    const m = await gw.request.get(`/v1/messages/${body.id}`).set('x-api-key', API_KEY).expect(200);
    expect(m.body.plan.steps[0].within).toBe('5s');
  });

  it('repeated reload requests while one runs coalesce into one follow-up', async () => {
    const swaps: unknown[] = [];
    const results = await Promise.all(Array.from({ length: 5 }, () => gw.app.reload().then((r) => {
      swaps.push(gw.app.runtime());
      return r.ok;
    })));
    expect(results).toEqual([true, true, true, true, true]);
    // The first call ran; the four that came while it ran shared one more run.
    expect(new Set(swaps).size).toBe(2);
  });

  it('reload needs the admin scope', async () => {
    await gw.request.post('/-/reload').expect(401);
  });
});
