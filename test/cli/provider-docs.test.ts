/** docs/providers: a page per built-in provider plugin, linked from the README, whose YAML is a valid config block and whose webhook kinds exist. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { isDuration } from '../../src/config/duration.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log/logger.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { builtinPlugins } from '../../src/registry.js';
import { buildRuntime, closeRuntime } from '../../src/runtime/runtime.js';
import { configText } from '../helpers/gateway.js';

const PAGES = ['twilio', 'bandwidth', 'ses', 'aws-sms', 'aws-whatsapp', 'acs', 'infobip', 'whatsapp-cloud', 'smtp', 'mock'];
// Stand-ins for the pages' ${env:…} secrets, shaped as their options require.
const ENV: Record<string, string> = { TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`, ACS_ACCESS_KEY: 'c2VjcmV0LWtleS0wMTIz' };
const envFor = (text: string) => Object.fromEntries([...text.matchAll(/\$\{env:([A-Z0-9_]+)\}/g)].map(([, name]) => [name, ENV[name] ?? 'stand-in-secret-0123456789']));

/** The webhook kinds the block's provider answers, as the gateway builds it from that block. */
async function webhookKinds(dir: string, yamlBlock: string): Promise<string[]> {
  const file = join(dir, 'gateway.yaml');
  // A route needs one provider: a mock beside the page's, so the page's block stays as written.
  const { providers } = parse(yamlBlock) as { providers: Record<string, unknown> };
  const body = stringify({ providers: { ...providers, 'route-mock': { plugin: 'mock', channels: ['sms'] } }, routes: { r: { steps: [{ channel: 'sms', providers: ['route-mock'] }] } } });
  writeFileSync(file, configText(body, '', { server: '{ host: 127.0.0.1, port: 0, publicUrl: "https://gw.example.com" }' }));
  const loaded = await loadConfig(file, { env: envFor(yamlBlock), builtins: builtinPlugins }).catch((err: { errors?: string[] }) => {
    throw new Error(err.errors?.join('\n') ?? String(err));
  });
  const logger = createLogger({ level: 'silent', secrets: () => new Set() });
  const runtime = buildRuntime(loaded, { logger, clock: systemClock, metrics: createMetrics(new Registry(), { defaults: false }), loopback: async () => undefined });
  try {
    return Object.keys(providers).flatMap((name) => Object.keys((runtime.providers.get(name) as { webhooks?: object }).webhooks ?? {}));
  } finally {
    await closeRuntime(runtime, logger);
  }
}

function providersValidator() {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  (addFormatsModule as unknown as (a: Ajv) => Ajv)(ajv);
  ajv.addFormat('duration', { type: 'string', validate: isDuration });
  ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  ajv.addSchema(JSON.parse(readFileSync('schemas/gateway.full.schema.json', 'utf8')) as object);
  return ajv.compile({ $ref: 'https://switchboard.dev/schemas/gateway.full.schema.json#/properties/providers' });
}

describe('docs/providers', () => {
  const readme = readFileSync('README.md', 'utf8');
  const validate = providersValidator();
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-docs-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(PAGES)('%s.md: linked from the README and the index, its providers block valid, its webhook kinds real', async (plugin) => {
    const file = `docs/providers/${plugin}.md`;
    expect(existsSync(file)).toBe(true);
    expect(readme).toContain(`(${file})`);
    expect(readFileSync('docs/providers/README.md', 'utf8')).toContain(`(${plugin}.md)`);
    const page = readFileSync(file, 'utf8');
    for (const section of ['## Credentials', '## Webhooks to configure', '## Signatures', '## Minimal configuration']) expect(page).toContain(section);
    const texts = [...page.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
    const blocks = texts.map((t) => parse(t) as { providers: Record<string, { plugin: string }> });
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) {
      expect(Object.values(block.providers).map((p) => p.plugin)).toEqual([plugin]);
      expect(validate(block.providers), JSON.stringify(validate.errors)).toBe(true);
    }
    const kinds = [...page.matchAll(/\/webhooks\/<instance>\/([a-z-]+)/g)].map((m) => m[1]);
    const served = await webhookKinds(dir, texts[0]);
    for (const kind of kinds) expect(served).toContain(kind);
  });
});
