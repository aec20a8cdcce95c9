import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { builtinPlugins } from '../../src/registry.js';

/** Writes `text` as `name` in a fresh temp folder; returns its path. */
export function writeConfig(text: string, name = 'gateway.yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-config-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The `file:line:col: message` errors the loader refuses `text` with (fails the test if it loads). */
export async function configErrorsOf(text: string, env: Record<string, string> = {}): Promise<string[]> {
  try {
    await loadConfig(writeConfig(text), { env, builtins: builtinPlugins });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).errors];
  }
  throw new Error('expected the config to be refused');
}
