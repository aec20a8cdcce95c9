import { readFileSync, writeFileSync } from 'node:fs';
import cron from 'node-cron';
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

  it('a refused file that quotes its own new secrets (in a key name) is answered and logged masked', async () => {
    const secret = 'brand-new-secret-0123456789';
    // The new webhook token is also pasted where a key belongs: the schema error quotes the key.
    writeFileSync(gw.file, readFileSync(gw.file, 'utf8').replace(
      'sms: { plugin: mock, channels: [sms], outcome: delivered, after: 10ms }',
      `sms: { plugin: mock, channels: [sms], outcome: delivered, after: 10ms, webhookToken: "${secret}", "${secret}": 1 }`,
    ));
    const res = await gw.request.post('/-/reload').set('x-api-key', API_KEY).expect(400);
    expect(res.body.details.join('\n')).toContain('***');
    expect(res.text).not.toContain(secret);
    expect(gw.logs.join('')).not.toContain(secret);
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

  const edit = (from: string | RegExp, to: string) => writeFileSync(gw.file, readFileSync(gw.file, 'utf8').replace(from, to));
  const reload = () => gw.request.post('/-/reload').set('x-api-key', API_KEY).expect(200);

  it('log.level applies on reload: debug lines appear and disappear', async () => {
    const debugLines = () => gw.logs.filter((l) => JSON.parse(l).level === 'debug').length;
    edit('log: { level: debug }', 'log: { level: info }');
    await reload();
    const quiet = debugLines();
    await gw.request.get('/v1/messages/nope').set('x-api-key', API_KEY).expect(404);
    expect(debugLines()).toBe(quiet);

    edit('log: { level: info }', 'log: { level: debug }');
    await reload();
    await gw.request.get('/v1/messages/nope').set('x-api-key', API_KEY).expect(404);
    expect(debugLines()).toBe(quiet + 1);
  });

  it('settings only a restart applies are named in the answer, a warning and a gauge; reverting clears them', async () => {
    const gauge = async () => metric((await gw.request.get('/metrics')).text, 'switchboard_config_restart_required', {}, NaN);
    expect(await gauge()).toBe(0);
    const original = readFileSync(gw.file, 'utf8');
    edit('port: 0', 'port: 18080');
    edit('store: { path: ./data }', 'store: { path: ./elsewhere }');
    edit('log: { level: debug }', 'log: { level: info }');
    const res = await reload();
    expect(res.body).toEqual({ status: 'reloaded', configHash: gw.app.runtime().loaded.hash, restartRequired: ['server.port', 'store.path'] });
    expect(await gauge()).toBe(1);
    expect(gw.logs.some((l) => /"level":"warn".*"restartRequired":\["server.port","store.path"\].*only after a restart/.test(l))).toBe(true);
    // The live part of the same file did apply.
    expect(gw.app.logger.level).toBe('info');

    writeFileSync(gw.file, original);
    expect((await reload()).body.restartRequired).toEqual([]);
    expect(await gauge()).toBe(0);
  });

  it('a changed maintenance schedule replaces the cron task; a refused one leaves it', async () => {
    await gw.close();
    gw = await startGateway(V1.replace('store: { path: ./data }', 'store: { path: ./data, maintenance: "17 3 * * *" }'), { start: false });
    await gw.app.start();
    const patterns = () => [...cron.getTasks().values()].map((t) => t.getPattern());
    expect(patterns()).toContain('17 3 * * *');
    edit('"17 3 * * *"', '"*/7 * * * *"');
    await reload();
    expect(patterns()).toContain('*/7 * * * *');
    expect(patterns()).not.toContain('17 3 * * *');

    edit('"*/7 * * * *"', '"every night"');
    const refused = await gw.request.post('/-/reload').set('x-api-key', API_KEY).expect(400);
    expect(refused.body.details).toEqual([expect.stringMatching(/^gateway\.yaml:\d+:\d+: store\.maintenance: "every night" is not a cron schedule/)]);
    expect(patterns()).toContain('*/7 * * * *');
  });
});
