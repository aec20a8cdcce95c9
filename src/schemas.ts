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
  return JSON.parse(readSchemaText(relative)) as Record<string, unknown>;
}

/** A file in `schemas/` as text; undefined if there is none. */
export function readSchemaText(relative: string): string;
export function readSchemaText(relative: string, optional: true): string | undefined;
export function readSchemaText(relative: string, optional = false): string | undefined {
  try {
    return readFileSync(new URL(relative, root), 'utf8');
  } catch (err) {
    if (optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
