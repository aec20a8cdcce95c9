import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTwilioFake, type TwilioFake } from '../fakes/twilio-fake.js';
import { bundleDaemon } from '../helpers/bundle.js';
import { killDaemonsAfterEach, spawnDaemon } from '../helpers/daemon.js';
import { API_KEY, configText, eventually } from '../helpers/gateway.js';

/**
 * The start-up cost of issue 14: a daemon imports a provider's SDK only when an instance of that
 * provider first needs it, so a gateway that does not use a provider never pays for its SDK.
 * The daemon runs as a real process with a module hook that records every package it imports:
 * from the sources, and from the bundle `npm run build` makes, whose plugins are chunks of their own
 * that import their SDKs from node_modules.
 */

// The provider SDKs, the two libraries only the plugins need (undici for their HTTP calls, the SNS
// validator), and the PostgreSQL driver, which a gateway on the file store never needs.
const LAZY = [/^pg$/, /^twilio$/, /^bandwidth-sdk$/, /^@aws-sdk\//, /^@azure\//, /^@azure-rest\//, /^nodemailer$/, /^sns-payload-validator$/, /^undici$/];
const lazyOnes = (packages: string[]) => packages.filter((p) => LAZY.some((re) => re.test(p)));

const RECORDER = join(process.cwd(), 'test', 'startup', 'record-packages.mjs');
const { daemons, cleanups } = killDaemonsAfterEach();
let fake: TwilioFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function startRecorded(config: string, script: string | undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'sb-lazy-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const record = join(dir, 'packages.txt');
  writeFileSync(record, '');
  writeFileSync(join(dir, 'gateway.yaml'), config);
  const daemon = await spawnDaemon(join(dir, 'gateway.yaml'), { STATE_DIRECTORY: join(dir, 'data'), RECORD_PACKAGES_TO: record }, 30_000, ['--import', RECORDER], script);
  daemons.push(daemon);
  expect((await fetch(`${daemon.url}/-/ready`)).status).toBe(200);
  const packages = () => readFileSync(record, 'utf8').split('\n').filter(Boolean);
  return { daemon, packages };
}

// The bundle holds koa and the other packages every start needs; pino stays outside it.
describe.each([
  { build: 'the sources', bundled: false, alwaysLoaded: 'koa' },
  { build: 'the bundle', bundled: true, alwaysLoaded: 'pino' },
])('provider SDKs load on first use, from $build', ({ bundled, alwaysLoaded }) => {
  let script: string | undefined;
  let remove = () => {};
  beforeAll(() => {
    if (bundled) ({ main: script, remove } = bundleDaemon());
  }, 60_000);
  afterAll(() => remove());

  it('a daemon on the shipped mock-only gateway.yaml is ready without importing any provider SDK', async () => {
    const shipped = readFileSync(join(process.cwd(), 'gateway.yaml'), 'utf8').replace(/^(\s*port:\s*)8080\b/m, '$10');
    const { packages } = await startRecorded(shipped, script);
    // The recorder works: a package it did load is in the list.
    expect(packages()).toContain(alwaysLoaded);
    expect(lazyOnes(packages())).toEqual([]);
  }, 60_000);

  it('a Twilio-only daemon imports the Twilio SDK with its first send, and no other SDK', async () => {
    fake = await startTwilioFake();
    const { daemon, packages } = await startRecorded(configText(`
providers:
  tw: { plugin: twilio, accountSid: "AC${'0'.repeat(32)}", authToken: tok-0123456789, from: "+15550001111", channels: [sms], baseUrl: "${fake.url}" }
routes:
  default:
    steps:
      - { channel: sms, providers: [tw], until: sent, within: 30s }
`).replace('store: { path: ./data }', 'store: { path: "${env:STATE_DIRECTORY}" }'), script);
    expect(lazyOnes(packages())).toEqual([]);

    const sent = await fetch(`${daemon.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ route: 'default', to: { sms: '+15551230042' }, content: { text: 'hello' } }),
    });
    expect(sent.status, await sent.clone().text()).toBe(202);
    await eventually(() => expect(fake!.requests).toHaveLength(1), 20_000);
    expect(lazyOnes(packages())).toEqual(['twilio']);
  }, 60_000);
});
