import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const imports = (file: string) => [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]);

describe('house rules', () => {
  it('plugins import only the plugin contract from src/', () => {
    for (const file of files('plugins')) {
      const intoSrc = imports(file).filter((i) => i.includes('/src/'));
      expect(intoSrc.every((i) => i.endsWith('/src/plugin-api.js')), `${file}: ${intoSrc.join(', ')}`).toBe(true);
    }
  });

  it('only the registry in src/ imports plugins/, and the HTTP layer stays out of engine, store and scheduler', () => {
    for (const file of files('src')) {
      const found = imports(file);
      if (!file.endsWith('registry.ts')) expect(found.some((i) => i.includes('plugins/')), file).toBe(false);
      if (/src\/(engine|store|scheduler)\//.test(file)) {
        expect(found.some((i) => i === 'koa' || i.startsWith('@koa/') || i.includes('/http/')), file).toBe(false);
      }
    }
  });
});
