import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { createAjv, describeAjvError } from '../../config/ajv.js';
import { pointerToPath, positionOf } from '../../config/positions.js';
import type { Channel } from '../../plugin-api.js';
import { readSchema } from '../../schemas.js';
import { CliError } from '../client/io.js';

export interface ExpectedStep {
  channel: Channel;
  providers?: string[];
}

/** One case of a routes test file (`schemas/routes-test.schema.json`). */
export interface RouteCase {
  name: string;
  message: Record<string, unknown>;
  expect?: ExpectedStep[];
  error?: string;
}

/**
 * Reads and checks a routes test file; every problem is reported at once as `file:line:col`.
 *
 * @example const cases = await readCases('examples/routes.test.yaml');
 */
export async function readCases(file: string): Promise<RouteCase[]> {
  const name = basename(file);
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const counter = new LineCounter();
  const doc = parseDocument(raw, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new CliError(doc.errors.map((e) => {
      const { line, col } = counter.linePos(e.pos[0]);
      return `${name}:${line}:${col}: ${e.message.split('\n')[0]}`;
    }).join('\n'));
  }
  const data: unknown = doc.toJS();
  const validate = createAjv().compile(readSchema('routes-test.schema.json'));
  if (!validate(data)) {
    throw new CliError((validate.errors ?? []).map((e) => {
      const path = pointerToPath(e.instancePath);
      return `${name}:${positionOf(doc, counter, path)}: ${path.join('.') || '(top level)'}: ${describeAjvError(e)}`;
    }).join('\n'));
  }
  const { tests } = data as { tests: RouteCase[] };
  const neither = tests.flatMap((c, i) => ((c.expect === undefined) === (c.error === undefined) ? [`${name}:${positionOf(doc, counter, ['tests', i])}: tests.${i}: give expect or error, not both or neither`] : []));
  if (neither.length > 0) throw new CliError(neither.join('\n'));
  return tests;
}
