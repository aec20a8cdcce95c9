import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Bundles the daemon as `npm run build` does, into a fresh folder under `test-output/`: inside the
 * package, where the bundle finds `schemas/` and `src/` as it does in `dist/daemon/`.
 */
export function bundleDaemon(): { main: string; remove: () => void } {
  mkdirSync(join(process.cwd(), 'test-output'), { recursive: true });
  const dir = mkdtempSync(join(process.cwd(), 'test-output', 'bundle-'));
  const built = spawnSync(process.execPath, [join(process.cwd(), 'scripts', 'bundle.mjs'), dir], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`scripts/bundle.mjs failed:\n${built.stderr}`);
  return { main: join(dir, 'main.js'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
