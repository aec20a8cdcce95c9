import { readFileSync } from 'node:fs';

// From src/cli/client (tsx) or dist/src/cli/client (built): package.json is 3 or 4 folders up.
const CANDIDATES = ['../../../package.json', '../../../../package.json'].map((p) => new URL(p, import.meta.url));

/** The version in package.json, as `--version` prints it. */
export function packageVersion(): string {
  for (const url of CANDIDATES) {
    try {
      const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'switchboard' && pkg.version) return pkg.version;
    } catch {
      // Not this candidate: try the next.
    }
  }
  return 'unknown';
}
