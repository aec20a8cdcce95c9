import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of Switchboard's own package.json: the nearest one above this module. The same
 * folder is found from the sources (`src/`, run through tsx) and from the bundle (`dist/daemon/`,
 * or wherever inside the package it is written), so the files shipped beside the code (schemas,
 * SQL migrations, the status page's assets) are named once, from the package's root, not by each
 * layout's depth.
 */
function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return from;
  }
}

export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

/** A path inside the package, e.g. `fromPackage('schemas', 'gateway.schema.json')`. */
export const fromPackage = (...parts: string[]): string => join(PACKAGE_ROOT, ...parts);
