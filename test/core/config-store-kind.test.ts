import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { builtinPlugins } from '../../src/registry.js';

const GOOD = `providers:
  sms: { plugin: mock, channels: [sms], outcome: delivered, after: 1s }
routes:
  default:
    steps:
      - { channel: sms, providers: [sms], until: delivered, within: 30s }
`;

function load(text: string, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sb-config-'));
  writeFileSync(join(dir, 'gateway.yaml'), text);
  return loadConfig(join(dir, 'gateway.yaml'), { env, builtins: builtinPlugins });
}

async function errorsOf(text: string): Promise<string[]> {
  const err = await load(text).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return [...(err as ConfigError).errors];
}

describe('store.kind', () => {
  it('defaults to the file store', async () => {
    expect((await load(GOOD)).config.store).toMatchObject({ kind: 'file' });
  });

  it('postgres takes its URL through ${env:…}, and the URL is a secret', async () => {
    const url = 'postgres://app:pw-0123456789@db.internal:5432/switchboard';
    const loaded = await load(`${GOOD}store: { kind: postgres, url: "\${env:DATABASE_URL}" }\n`, { DATABASE_URL: url });
    expect(loaded.config.store).toMatchObject({ kind: 'postgres', url });
    expect(loaded.secrets.has(url)).toBe(true);
  });

  it('postgres without a URL, or with one that is not PostgreSQL, is refused with its position', async () => {
    expect(await errorsOf(`${GOOD}store: { kind: postgres }\n`)).toEqual([
      expect.stringMatching(/^gateway\.yaml:7:8: store\.url: required when store\.kind is postgres/),
    ]);
    const errors = await errorsOf(`${GOOD}store: { kind: postgres, url: "mysql://root:hunter2@db/x" }\n`);
    expect(errors).toEqual([expect.stringMatching(/^gateway\.yaml:7:\d+: store\.url: expected postgres:\/\/user:password@host:5432\/database/)]);
    expect(errors.join('\n')).not.toContain('hunter2');
    expect(await errorsOf(`${GOOD}store: { kind: sqlite }\n`)).toEqual([expect.stringMatching(/store\.kind/)]);
  });
});
