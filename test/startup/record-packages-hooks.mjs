// Module hooks (their own thread): see record-packages.mjs.
import { appendFileSync } from 'node:fs';

let file;
const seen = new Set();

export function initialize(data) {
  file = data?.file;
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  const name = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(resolved.url)?.[1];
  if (file && name && !seen.has(name)) {
    seen.add(name);
    // Written at once: a daemon killed by a signal has no exit hook for this thread.
    appendFileSync(file, `${name}\n`);
  }
  return resolved;
}
