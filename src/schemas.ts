import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Source runs from src/, the build from dist/src/: the schemas folder sits one or two levels up.
const roots = [new URL('../schemas/', import.meta.url), new URL('../../schemas/', import.meta.url)];
const root = roots.find((u) => existsSync(fileURLToPath(u))) ?? roots[0];

/**
 * Reads a JSON Schema shipped in `schemas/`.
 *
 * @example readSchema('plugins/mock.schema.json')
 */
export function readSchema(relative: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(relative, root), 'utf8')) as Record<string, unknown>;
}
