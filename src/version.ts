import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Source runs from src/, the build from dist/src/: package.json sits one or two levels up.
const candidates = [new URL('../package.json', import.meta.url), new URL('../../package.json', import.meta.url)];

let cached: string | undefined;

/** This build's version, from the shipped package.json ("unknown" when it is not beside the code). */
export function packageVersion(): string {
  if (cached !== undefined) return cached;
  const file = candidates.find((u) => existsSync(fileURLToPath(u)));
  const parsed = file ? (JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }) : undefined;
  cached = parsed?.name === 'switchboard' && parsed.version ? parsed.version : 'unknown';
  return cached;
}
