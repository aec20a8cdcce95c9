import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, configText, eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { runInProcess } from './harness.js';

// Two SMS numbers on two instances; the first fails every send, so failover shows in the real run.
const SENDERS = configText(`
providers:
  wa: { plugin: mock, channels: [whatsapp], from: "+15550000009", outcome: none }
  sms-a: { plugin: mock, channels: [sms], from: "+15550000001", sendError: server }
  sms-b: { plugin: mock, channels: [sms], from: "+15550000002", outcome: delivered, after: 0s }
routes:
  default:
    steps:
      - { channel: whatsapp, providers: [wa], until: delivered, within: 1m }
      - { channel: sms, providers: [sms-a, sms-b], until: delivered, within: 1m }
`);

describe('switchboard routes test', () => {
  let dir: string;
  let gw: TestGateway;
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-routes-'));
    gw = await startGateway(SENDERS);
  });
  afterAll(async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the shipped route tests pass against gateway.yaml and the AWS example, reading no secrets', async () => {
    const main = await runInProcess(['routes', 'test', 'examples/route-tests/gateway.test.yaml', '--config', 'gateway.yaml'], {});
    expect(main).toMatchObject({ code: 0, stderr: '' });
    expect(main.stdout).toMatch(/^6 cases: 6 passed, 0 failed$/m);
    expect(main.stdout).not.toMatch(/^FAIL/m);
    const aws = await runInProcess(['routes', 'test', 'examples/route-tests/aws-omnichannel.test.yaml', '--config', 'examples/aws-omnichannel.yaml', '--no-secrets'], {});
    expect(aws).toMatchObject({ code: 0, stderr: '' });
    expect(aws.stdout).toContain('(sms: no provider of the sms step may send from +15550001111)');
  });

  it('plans what the running engine then does: sender filtering and failover order', async () => {
    const file = write('agree.yaml', `tests:
  - name: from the second number, only its instance may send
    message: { route: default, to: { sms: "+15557770001" }, from: "+15550000002" }
    expect: [{ channel: sms, providers: [sms-b] }]
  - name: no sender named, both instances in failover order
    message: { route: default, to: { sms: "+15557770002" } }
    expect: [{ channel: sms, providers: [sms-a, sms-b] }]
`);
    expect(await runInProcess(['routes', 'test', file, '--config', gw.file], {})).toMatchObject({ code: 0, stdout: expect.stringMatching(/2 cases: 2 passed, 0 failed\n$/) });
    // The same two messages sent for real: the providers attempted are the ones planned, in order.
    const attempted = async (body: object) => {
      const { id } = (await gw.request.post('/v1/messages').set('x-api-key', API_KEY).send({ ...body, content: { text: 'hi' } }).expect(202)).body as { id: string };
      const m = await eventually(async () => {
        const got = (await gw.request.get(`/v1/messages/${id}`).set('x-api-key', API_KEY).expect(200)).body as { status: string; attempts: { provider: string }[] };
        expect(got.status).toBe('delivered');
        return got;
      });
      return m.attempts.map((a) => a.provider);
    };
    expect(await attempted({ route: 'default', to: { sms: '+15557770001' }, from: '+15550000002' })).toEqual(['sms-b']);
    expect(await attempted({ route: 'default', to: { sms: '+15557770002' } })).toEqual(['sms-a', 'sms-b']);
  });

  it('a wrong expectation is a FAIL with what was wanted and what happens; exit 1; --json says the same', async () => {
    const file = write('wrong.yaml', `tests:
  - name: expects email
    message: { route: default, to: { phone: "+15557770003" } }
    expect: [{ channel: email }]
  - name: right
    message: { route: default, to: { phone: "+15557770003" } }
    expect: [{ channel: whatsapp }, { channel: sms }]
  - name: expects a refusal that does not come
    message: { route: default, to: { sms: "+15557770003" } }
    error: unknown route
  - name: a body the API would refuse
    message: { route: default, to: { sms: "not a number" } }
    expect: [{ channel: sms }]
`);
    const got = await runInProcess(['routes', 'test', file, '--config', gw.file], {});
    expect(got.code).toBe(1);
    expect(got.stdout).toContain(`FAIL  expects email
      want: email
      got:  whatsapp via wa → sms via sms-a, sms-b
PASS  right
`);
    expect(got.stdout).toMatch(/FAIL {2}expects a refusal that does not come\n {6}want: refused: …unknown route…\n {6}got: {2}\(whatsapp: no whatsapp address\) → sms via sms-a, sms-b\n/);
    expect(got.stdout).toMatch(/FAIL {2}a body the API would refuse\n.*\n {6}got: {2}refused: invalid body: \/to\/sms/);
    expect(got.stdout).toMatch(/^4 cases: 1 passed, 3 failed$/m);

    const json = await runInProcess(['routes', 'test', file, '--config', gw.file, '--json'], {});
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { passed: number; failed: number; cases: { name: string; pass: boolean; got: { steps?: { channel: string; providers: string[]; skipped?: string }[] } }[] };
    expect(report).toMatchObject({ passed: 1, failed: 3 });
    expect(report.cases.map((c) => c.pass)).toEqual([false, true, false, false]);
    expect(report.cases[2].got.steps).toEqual([
      expect.objectContaining({ channel: 'whatsapp', skipped: 'no whatsapp address' }),
      { channel: 'sms', providers: ['sms-a', 'sms-b'], until: 'delivered', within: '1m' },
    ]);
  });

  it('a malformed test file, a missing FILE and a bad config are one-line errors, no stack', async () => {
    const bad = write('bad.yaml', 'tests:\n  - name: x\n    message: { route: default }\n    expect: [{ channel: fax }]\n');
    const refused = await runInProcess(['routes', 'test', bad, '--config', gw.file], {});
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^switchboard routes: bad\.yaml:4:\d+: tests\.0\.expect\.0\.channel: must be equal to one of the allowed values/m);
    const both = write('both.yaml', 'tests:\n  - { name: x, message: {}, expect: [], error: y }\n');
    expect((await runInProcess(['routes', 'test', both, '--config', gw.file], {})).stderr).toMatch(/both\.yaml:2:\d+: tests\.0: give expect or error, not both or neither/);
    expect(await runInProcess(['routes', 'test'], {})).toMatchObject({ code: 2, stdout: '' });
    const good = write('good.yaml', 'tests:\n  - { name: x, message: { route: default, to: { sms: "+15557770004" } }, expect: [] }\n');
    const noConfig = await runInProcess(['routes', 'test', good, '--config', join(dir, 'missing.yaml')], {});
    expect(noConfig.code).toBe(1);
    expect(noConfig.stderr).toMatch(/^missing\.yaml: cannot read .*ENOENT\n$/);
  });
});
