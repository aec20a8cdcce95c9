import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { builtinPlugins } from '../../src/registry.js';

const run = promisify(execFile);

function write(text: string, name = 'gateway.yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-config-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function errorsOf(text: string, env: Record<string, string> = {}): Promise<string[]> {
  try {
    await loadConfig(write(text), { env, builtins: builtinPlugins });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).errors];
  }
  throw new Error('expected the config to be refused');
}

const GOOD = `providers:
  mock-wa: { plugin: mock, channels: [whatsapp], outcome: none }
  mock-sms: { plugin: mock, channels: [sms], outcome: delivered, after: 1s }
routes:
  default:
    mode: fallback
    steps:
      - { channel: whatsapp, providers: [mock-wa], until: delivered, within: 5s }
      - { channel: sms, providers: [mock-sms], until: delivered, within: 30s }
`;

describe('config loading', () => {
  it('fills schema defaults, resolves the store path against the file, freezes and hashes', async () => {
    const file = write(GOOD);
    const loaded = await loadConfig(file, { env: {}, builtins: builtinPlugins });
    expect(loaded.config.server).toEqual({
      host: '127.0.0.1', port: 8080, bodyLimit: '1mb',
      requestTimeout: '30s', headersTimeout: '10s', keepAliveTimeout: '5s', maxConnections: 1024, shutdownTimeout: '10s',
    });
    expect(loaded.config.store.path).toBe(join(file, '..', 'data'));
    expect(loaded.config.providers['mock-sms']).toMatchObject({ plugin: 'mock', sendError: 'none', recipients: [] });
    expect(Object.isFrozen(loaded.config.routes.default.steps[0])).toBe(true);
    expect(loaded.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports every schema error at once with file:line:col', async () => {
    const errors = await errorsOf(`providers:
  mock-wa: { plugin: mock, channels: [whatsapp], outcome: sometimes }
routes:
  default:
    steps:
      - { channel: whatsapp, providers: [mock-wa], within: soon }
serverr: {}
`);
    expect(errors).toEqual(expect.arrayContaining([
      expect.stringMatching(/^gateway\.yaml:7:1: .*unknown property "serverr"/),
      expect.stringMatching(/^gateway\.yaml:6:60: routes\.default\.steps\.0\.within: must be a duration/),
    ]));
    expect(errors).toHaveLength(2);
  });

  it('checks plugin options with the plugin schema and cross-checks routes against providers', async () => {
    const errors = await errorsOf(`providers:
  mock-wa: { plugin: mock, channels: [whatsapp], outcome: sometimes }
  mock-sms: { plugin: mock, channels: [sms] }
  ghost: { plugin: carrier-pigeon }
routes:
  default:
    steps:
      - { channel: email, providers: [mock-sms, nobody] }
`);
    expect(errors).toEqual([
      expect.stringMatching(/^gateway\.yaml:2:59: providers\.mock-wa\.outcome: must be equal to one of the allowed values/),
      expect.stringMatching(/^gateway\.yaml:4:20: providers\.ghost: unknown plugin "carrier-pigeon" \(known: mock, twilio, bandwidth, avaya-infinity[,)]/),
      expect.stringMatching(/^gateway\.yaml:8:39: routes\.default\.steps\[0\]: provider "mock-sms" does not support channel email/),
      expect.stringMatching(/^gateway\.yaml:8:49: routes\.default\.steps\[0\]: unknown provider "nobody"/),
    ]);
  });

  it('reports YAML syntax errors and duplicate keys with their position', async () => {
    const errors = await errorsOf(`providers:
  a: { plugin: mock }
  a: { plugin: mock }
routes: [unclosed
`);
    expect(errors[0]).toMatch(/^gateway\.yaml:3:3: Map keys must be unique/);
    expect(errors.length).toBeGreaterThanOrEqual(2);
  });

  it('interpolates env (with defaults) and files, and treats file contents as secrets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-secret-'));
    writeFileSync(join(dir, 'token'), 'file-token-value-123\n');
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, `${GOOD}api:
  keys:
    - { name: a, key: "\${env:API_KEY}", scopes: [send] }
    - { name: b, key: "\${env:MISSING:-fallback-key-1}", scopes: [read] }
    - { name: c, key: "\${file:token}", scopes: [admin] }
    - { name: d, key: "literal-$\${env:X}", scopes: [admin] }
`);
    const loaded = await loadConfig(file, { env: { API_KEY: 'from-env-0123' }, builtins: builtinPlugins });
    expect(loaded.config.api.keys.map((k) => k.key)).toEqual(['from-env-0123', 'fallback-key-1', 'file-token-value-123', 'literal-${env:X}']);
    expect(loaded.secrets.has('file-token-value-123')).toBe(true);
    expect(loaded.secrets.has('from-env-0123')).toBe(true);
  });

  it('refuses a missing variable or file instead of using an empty string', async () => {
    const errors = await errorsOf(`${GOOD}api:
  keys:
    - { name: a, key: "\${env:NOPE}", scopes: [send] }
    - { name: b, key: "\${file:/nonexistent/secret}", scopes: [send] }
`);
    expect(errors).toEqual([
      expect.stringMatching(/^gateway\.yaml:12:23: environment variable NOPE is not set/),
      expect.stringMatching(/^gateway\.yaml:13:23: cannot read \/nonexistent\/secret: ENOENT/),
    ]);
  });

  it('switchboard check exits 1 with the errors, or 0 with a summary', async () => {
    const main = join(process.cwd(), 'src', 'main.ts');
    const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
    const good = await run(tsx, [main, 'check', write(GOOD)]);
    expect(good.stdout).toMatch(/: ok \(2 providers, 1 routes, hash [0-9a-f]{12}\)/);
    const bad = write(GOOD.replace('within: 5s', 'within: 5 seconds'));
    const failed = await run(tsx, [main, 'check', bad]).then(() => undefined, (err: { code: number; stderr: string }) => err);
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/gateway\.yaml:8:78: routes\.default\.steps\.0\.within: must be a duration/);
  });

  it('refuses a maintenance schedule node-cron cannot run, with its position', async () => {
    const errors = await errorsOf(`${GOOD}store: { maintenance: "every night" }\n`);
    expect(errors).toEqual([expect.stringMatching(/^gateway\.yaml:10:23: store\.maintenance: "every night" is not a cron schedule \(expected 5 or 6 fields/)]);
  });

  it('refuses a retention shorter than live state needs: idempotency keys, then route waits plus callback retries', async () => {
    expect(await errorsOf(`${GOOD}store: { retention: 12h }\ncallbacks: { maxAge: 1h }\n`)).toEqual([
      expect.stringMatching(/^gateway\.yaml:10:21: store\.retention: 12h is shorter than live state needs \(25h: idempotency keys live 24h, plus one hourly file\)/),
    ]);
    expect(await errorsOf(`${GOOD}store: { retention: 25h }\n`)).toEqual([
      expect.stringMatching(/^gateway\.yaml:10:21: store\.retention: 25h is shorter than live state needs \(25h35s: route default waits up to 35s and callbacks retry for callbacks\.maxAge 24h/),
    ]);
    const long = GOOD.replace('within: 30s', 'within: 20h');
    expect(await errorsOf(`${long}store: { retention: 30h }\ncallbacks: { maxAge: 12h }\n`)).toEqual([
      expect.stringMatching(/^gateway\.yaml:10:21: store\.retention: 30h is shorter than live state needs \(33h5s: route default waits up to 20h5s and callbacks retry for callbacks\.maxAge 12h/),
    ]);
    const broadcast = long.replace('mode: fallback', 'mode: broadcast');
    await loadConfig(write(`${broadcast}store: { retention: 33h }\ncallbacks: { maxAge: 12h }\n`), { env: {}, builtins: builtinPlugins });
  });

  it('checks the server values start uses: host, timeouts Node accepts, and a store path that can be a folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-path-'));
    writeFileSync(join(dir, 'taken'), 'a file');
    const errors = await errorsOf(`${GOOD}server: { host: "local host", requestTimeout: 5s, headersTimeout: 6s, keepAliveTimeout: 0s, maxConnections: 0 }\nstore: { path: ${join(dir, 'taken')} }\n`);
    expect(errors).toEqual([expect.stringMatching(/^gateway\.yaml:10:109: server\.maxConnections: must be >= 1/)]);
    const semantic = await errorsOf(`${GOOD}server: { host: "local host", requestTimeout: 5s, headersTimeout: 6s, keepAliveTimeout: 0s }\nstore: { path: ${join(dir, 'taken')} }\n`);
    expect(semantic).toEqual([
      expect.stringMatching(/^gateway\.yaml:10:17: server\.host: "local host" is neither an IP address nor a host name/),
      expect.stringMatching(/^gateway\.yaml:10:89: server\.keepAliveTimeout: must be longer than 0/),
      expect.stringMatching(/^gateway\.yaml:10:67: server\.headersTimeout: 6s is longer than server\.requestTimeout \(5s\)/),
      expect.stringMatching(/^gateway\.yaml:11:16: store\.path: .*taken exists and is not a folder/),
    ]);
  });
});
