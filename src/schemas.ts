import { readFileSync } from 'node:fs';
import { fromPackage } from './package-root.js';

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
    return readFileSync(fromPackage('schemas', relative), 'utf8');
  } catch (err) {
    if (optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
