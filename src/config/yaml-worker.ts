import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// Plain CommonJS run with `eval`, so the worker starts the same from the sources (tests, tsx)
// and from the build; it loads yaml from where this module resolves it.
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { parseDocument } = require(workerData.yaml);
let answer = { ok: false };
try {
  const doc = parseDocument(workerData.raw, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length === 0) answer = { ok: true, data: doc.toJS() };
} catch {}
parentPort.postMessage(answer);
`;

const yamlPath = createRequire(import.meta.url).resolve('yaml');

/**
 * Parses YAML text on a worker thread, without position tracking, into plain data. Undefined when
 * the text has errors, is not a mapping, or the worker could not do it: the caller then parses on
 * the loop, where errors get their line and column.
 */
export function parseOffThread(raw: string): Promise<Record<string, unknown> | undefined> {
  return new Promise((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(SOURCE, { eval: true, workerData: { raw, yaml: yamlPath } });
    } catch {
      resolve(undefined);
      return;
    }
    const done = (value: Record<string, unknown> | undefined) => {
      resolve(value);
      void worker.terminate();
    };
    worker.once('message', (answer: { ok: boolean; data?: unknown }) => {
      const data = answer.ok ? answer.data : undefined;
      done(data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined);
    });
    worker.once('error', () => done(undefined));
    worker.once('exit', () => resolve(undefined));
  });
}
