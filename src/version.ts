import { existsSync, readFileSync } from 'node:fs';
import { fromPackage } from './package-root.js';

let cached: string | undefined;

/** This build's version, from the shipped package.json ("unknown" when it is not beside the code). */
export function packageVersion(): string {
  if (cached !== undefined) return cached;
  const file = fromPackage('package.json');
  const parsed = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }) : undefined;
  cached = parsed?.name === 'switchboard' && parsed.version ? parsed.version : 'unknown';
  return cached;
}
