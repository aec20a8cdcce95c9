import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// Plain CommonJS run with `eval`, so the worker starts the same from the sources (tests, tsx)
// and from the build; it loads yaml from where this module resolves it.
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { parseDocument } = require(workerData.yaml);
parentPort.on('message', ({ id, raw }) => {
  let answer = { id, ok: false };
  try {
    const doc = parseDocument(raw, { uniqueKeys: true, prettyErrors: false });
    if (doc.errors.length === 0) answer = { id, ok: true, data: doc.toJS() };
  } catch {}
  parentPort.postMessage(answer);
});
`;

const yamlPath = createRequire(import.meta.url).resolve('yaml');

type Answer = { id: number; ok: boolean; data?: unknown };
type Waiter = (value: Record<string, unknown> | undefined) => void;

/**
 * One worker for the process's life, started at the first large file: a new one per reload spent
 * half a second of CPU loading `yaml` again, on a core the loop shares under load. Idle, it is
 * unref'd, so it never keeps the process alive; one that fails is replaced at the next parse.
 */
let current: { worker: Worker; waiting: Map<number, Waiter> } | undefined;
let nextId = 0;

function worker(): { worker: Worker; waiting: Map<number, Waiter> } {
  if (current) return current;
  const w = new Worker(SOURCE, { eval: true, workerData: { yaml: yamlPath } });
  const self = { worker: w, waiting: new Map<number, Waiter>() };
  w.on('message', (answer: Answer) => {
    const resolve = self.waiting.get(answer.id);
    self.waiting.delete(answer.id);
    if (self.waiting.size === 0) w.unref();
    const data = answer.ok ? answer.data : undefined;
    resolve?.(data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined);
  });
  const fail = () => {
    if (current === self) current = undefined;
    for (const resolve of self.waiting.values()) resolve(undefined);
    self.waiting.clear();
  };
  w.on('error', fail);
  w.on('exit', fail);
  current = self;
  return self;
}

/**
 * Parses YAML text on a worker thread, without position tracking, into plain data. Undefined when
 * the text has errors, is not a mapping, or the worker could not do it: the caller then parses on
 * the loop, where errors get their line and column.
 */
export function parseOffThread(raw: string): Promise<Record<string, unknown> | undefined> {
  return new Promise((resolve) => {
    let w: ReturnType<typeof worker>;
    try {
      w = worker();
    } catch {
      resolve(undefined);
      return;
    }
    const id = nextId++;
    // Kept alive while a caller waits (a one-shot `switchboard check` has nothing else running).
    w.worker.ref();
    w.waiting.set(id, resolve);
    w.worker.postMessage({ id, raw });
  });
}
