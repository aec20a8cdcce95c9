import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { parseConfig } from '../../src/config/parse.js';
import { parseOffThread } from '../../src/config/yaml-worker.js';
import { ConfigError } from '../../src/errors.js';
import { builtinPlugins } from '../../src/registry.js';

// A reload of a file this size parses on a worker thread; the header's errors keep their lines.
const HEADER = `providers:
  mock-wa: { plugin: mock, channels: [whatsapp], outcome: none }
  mock-sms: { plugin: mock, channels: [sms], outcome: delivered, after: 1s }
api:
  keys:
    - { name: a, key: "\${env:API_KEY}", scopes: [send] }
    - { name: b, key: "\${file:token}", scopes: [read] }
routes:
`;
const route = (i: number) => `  r${i}:
    mode: fallback
    steps:
      - { channel: whatsapp, providers: [mock-wa], until: delivered, within: 5s }
      - { channel: sms, providers: [mock-sms], until: delivered, within: 30s }
`;
const COUNT = 400;
const ROUTES = Array.from({ length: COUNT }, (_, i) => route(i)).join('');
// The line after the header and the routes.
const NEXT = HEADER.split('\n').length + 5 * COUNT;

function write(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-config-large-'));
  writeFileSync(join(dir, 'token'), 'file-token-value-123\n');
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, text);
  return file;
}

async function errorsOf(text: string): Promise<string[]> {
  try {
    await loadConfig(write(text), { env: { API_KEY: 'from-env-0123' }, builtins: builtinPlugins });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).errors];
  }
  throw new Error('expected the config to be refused');
}

describe('a large gateway.yaml (parsed off the loop)', () => {
  it('loads a 400-route file (80 kB) with its secrets expanded, defaults filled and frozen', async () => {
    const loaded = await loadConfig(write(HEADER + ROUTES), { env: { API_KEY: 'from-env-0123' }, builtins: builtinPlugins });
    expect(Object.keys(loaded.config.routes)).toHaveLength(COUNT);
    expect(loaded.config.routes.r399.steps[1]).toMatchObject({ channel: 'sms', providers: ['mock-sms'], within: '30s' });
    expect(loaded.config.api.keys.map((k) => k.key)).toEqual(['from-env-0123', 'file-token-value-123']);
    expect(loaded.secrets.has('file-token-value-123')).toBe(true);
    expect(loaded.config.providers['mock-sms']).toMatchObject({ sendError: 'none' });
    expect(Object.isFrozen(loaded.config.routes.r200.steps[0])).toBe(true);
  });

  it('gives the worker the same data as the positioned parse: aliases, expanded keys, odd keys', async () => {
    const raw = `base: &base { text: "\${env:A}", list: ["\${env:B:-dflt}", 2, true, null] }
copy: *base
"\${env:A}-key": { "__proto__": { x: 1 }, constructor: "\${file:token}" }
escaped: "$\${env:A}"
routes:
${ROUTES}`;
    const ctx = { env: { A: 'alpha' }, baseDir: join(write(''), '..') };
    const onWorker = await parseConfig(raw, 'gateway.yaml', ctx, { offThreadChars: 0 });
    const onLoop = await parseConfig(raw, 'gateway.yaml', ctx, { offThreadChars: Infinity });
    expect(onWorker.data).toEqual(onLoop.data);
    expect(onWorker.fromFiles).toEqual(onLoop.fromFiles);
    expect(onWorker.data.copy).toEqual({ text: 'alpha', list: ['dflt', 2, true, null] });
    expect(Object.keys(onWorker.data).slice(0, 4)).toEqual(['base', 'copy', 'alpha-key', 'escaped']);
    expect(Object.getPrototypeOf(onWorker.data['alpha-key'])).toBe(Object.prototype);
    expect(onWorker.data.escaped).toBe('${env:A}');
    expect(onWorker.position(['copy'])).toBe(onLoop.position(['copy']));
  });

  it('reports schema and cross-check errors with file:line:col', async () => {
    const errors = await errorsOf(`${HEADER}${ROUTES}  broken:
    steps:
      - { channel: whatsapp, providers: [nobody], within: soon }
serverr: {}
`);
    expect(errors).toEqual(expect.arrayContaining([
      expect.stringMatching(new RegExp(`^gateway\\.yaml:${NEXT + 3}:1: .*unknown property "serverr"`)),
      expect.stringMatching(new RegExp(`^gateway\\.yaml:${NEXT + 2}:59: routes\\.broken\\.steps\\.0\\.within: must be a duration`)),
    ]));
  });

  it('reports syntax errors, duplicate keys and missing secrets with their position', async () => {
    expect((await errorsOf(`${HEADER}${ROUTES}  r1: { mode: fallback, steps: [] }\n`))[0]).toMatch(new RegExp(`^gateway\\.yaml:${NEXT}:3: Map keys must be unique`));
    expect(await errorsOf(`${HEADER.replace('${env:API_KEY}', '${env:NOPE}')}${ROUTES}`)).toEqual([
      expect.stringMatching(/^gateway\.yaml:6:23: environment variable NOPE is not set/),
    ]);
  });

  it('answers a large file that is not a mapping as the positioned parse does', async () => {
    const list = Array.from({ length: 3000 }, (_, i) => `- item-${i}-of-a-long-list`).join('\n');
    expect(await errorsOf(list)).toEqual([expect.stringMatching(/^gateway\.yaml:1:1: \(top level\): must be object/)]);
  });

  it('parses several files at once on the one worker, each answered with its own data', async () => {
    const texts = [1, 2, 3].map((n) => `${HEADER}${Array.from({ length: COUNT / 4 }, (_, i) => route(i * n)).join('')}`);
    const answers = await Promise.all(texts.map((t) => parseOffThread(t)));
    expect(answers.map((a) => Object.keys((a as { routes: object }).routes))).toEqual(texts.map((_, k) => Array.from({ length: COUNT / 4 }, (_, i) => `r${i * (k + 1)}`)));
    // A text that is not YAML gets no data, and the worker still answers the next one.
    expect(await parseOffThread(`${HEADER}  r0: [unclosed\n${ROUTES}`)).toBeUndefined();
    expect(Object.keys((await parseOffThread(HEADER + ROUTES)) as object)).toEqual(['providers', 'api', 'routes']);
  });

  it('a one-shot `switchboard check` of a large file waits for the worker and then exits by itself', async () => {
    const file = write(HEADER + ROUTES);
    const run = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', join(process.cwd(), 'src', 'main.ts'), 'check', file], { env: { ...process.env, API_KEY: 'from-env-0123' }, timeout: 60_000 }, (err, stdout) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout });
      });
      child.stdin?.end();
    });
    expect(run).toEqual({ code: 0, stdout: expect.stringMatching(/gateway\.yaml: ok \(2 providers, 400 routes/) });
  }, 70_000);
});
