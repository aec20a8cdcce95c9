import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bundleDaemon } from '../helpers/bundle.js';
import { killDaemonsAfterEach, spawnDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/gateway.js';
import { createDatabase } from '../helpers/postgres.js';

/**
 * What `npm run build` ships is one bundle, not the module tree the other tests run through tsx.
 * These run it as an install would: the files it reads from the package (schemas, the status page,
 * package.json, SQL migrations), a plugin and the PostgreSQL store in chunks of their own (`pg`
 * imported from node_modules), and the YAML worker of a large config.
 */
const { daemons, cleanups } = killDaemonsAfterEach();
const version = (JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { version: string }).version;
const KEY = 'dev-key-change-me';
let main = '';
let remove = () => {};
beforeAll(() => ({ main, remove } = bundleDaemon()), 60_000);
afterAll(() => remove());

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-bundle-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The shipped gateway.yaml on a free port. */
const shippedConfig = () => readFileSync(join(process.cwd(), 'gateway.yaml'), 'utf8').replace(/^(\s*port:\s*)8080\b/m, '$10');

const HEADERS = { 'x-api-key': KEY, 'content-type': 'application/json' };

/** Sends on the shipped `everywhere` route (mock SMS and email) and waits for the message to end delivered. */
async function sendAndSeeDelivered(url: string): Promise<void> {
  const sent = await fetch(`${url}/v1/messages`, { method: 'POST', headers: HEADERS, body: JSON.stringify({ route: 'everywhere', to: { phone: '+15551230042', email: 'a@example.com' }, content: { text: 'hi', subject: 'hi' } }) });
  expect(sent.status, await sent.clone().text()).toBe(202);
  const { id } = (await sent.json()) as { id: string };
  await eventually(async () => {
    const m = (await (await fetch(`${url}/v1/messages/${id}`, { headers: HEADERS })).json()) as { status: string };
    expect(m.status).toBe('delivered');
  }, 15_000);
}

describe('the bundled daemon', () => {
  it('runs the shipped gateway.yaml: a message is delivered through the mock plugin, the status page and its version answer', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'gateway.yaml'), shippedConfig());
    const d = await spawnDaemon(join(dir, 'gateway.yaml'), { STATE_DIRECTORY: join(dir, 'data') }, 30_000, [], main);
    daemons.push(d);
    await sendAndSeeDelivered(d.url);

    const page = await fetch(`${d.url}/ui`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const status = (await (await fetch(`${d.url}/-/status`, { headers: HEADERS })).json()) as { version: string };
    expect(status.version).toBe(version);
  }, 60_000);

  it('migrates a PostgreSQL database and runs on it: the store\'s chunk, its SQL files and pg from node_modules', async () => {
    const db = await createDatabase(inject('postgresUrl'));
    cleanups.push(() => db.drop());
    const dir = folder();
    const migrated = spawnSync(process.execPath, [main, 'migrate'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url } });
    expect(migrated.status, migrated.stderr).toBe(0);

    const shipped = shippedConfig().replace(/^(\s*)path: .*STATE_DIRECTORY.*$/m, '$1kind: postgres\n$1url: "${env:DATABASE_URL}"');
    expect(shipped).toContain('kind: postgres');
    writeFileSync(join(dir, 'gateway.yaml'), shipped);
    const d = await spawnDaemon(join(dir, 'gateway.yaml'), { DATABASE_URL: db.url }, 30_000, [], main);
    daemons.push(d);
    await sendAndSeeDelivered(d.url);
  }, 60_000);

  it('checks a config too large for the loop in its YAML worker, and places the error by file:line:column', () => {
    const dir = folder();
    const routes = Array.from({ length: 400 }, (_, i) => `  r${i}:\n    steps:\n      - { channel: sms, providers: [mock-sms], until: delivered, within: 30s }\n`).join('');
    const text = `server: { port: 0 }\napi:\n  keys:\n    - { name: app, key: "${KEY}", scopes: [send, read, admin] }\nstore: { path: ./data }\ncallbacks: { secret: "0123456789abcdef0123" }\nproviders:\n  mock-sms: { plugin: mock, channels: [sms] }\nroutes:\n${routes}  broken:\n    steps:\n      - { channel: sms, providers: [mock-sms], until: delivered, within: soon }\n`;
    expect(text.length).toBeGreaterThan(32 * 1024);
    writeFileSync(join(dir, 'gateway.yaml'), text);
    const line = text.split('\n').findIndex((l) => l.includes('within: soon')) + 1;

    const checked = spawnSync(process.execPath, [main, 'check', 'gateway.yaml'], { cwd: dir, encoding: 'utf8' });
    expect(checked.status).not.toBe(0);
    expect(checked.stderr).toMatch(new RegExp(`^gateway\\.yaml:${line}:\\d+: routes\\.broken\\.steps\\.0\\.within: must be a duration`, 'm'));
  }, 30_000);
});
