import { LineCounter, parseDocument, visit, isScalar, type Document } from 'yaml';
import { ConfigError } from '../errors.js';
import { interpolate, type InterpolationContext } from './interpolate.js';
import { positionOf } from './positions.js';
import { parseOffThread } from './yaml-worker.js';

/** A config file's YAML as data, secrets expanded, with a way back to its source positions. */
export interface ParsedConfig {
  data: Record<string, unknown>;
  /** Values read from files (credentials), to be masked like any other secret. */
  fromFiles: string[];
  /** `line:col` of the deepest node on `path` (of the key `keyOf` in it, for an unknown property). */
  position(path: readonly (string | number)[], keyOf?: string): string;
}

// Below this a parse takes a few milliseconds on the loop, less than a worker takes to start. A
// 1,000-route file (~200 KiB) held the loop ~150 ms, most of it in the YAML parser.
const OFF_THREAD_CHARS = 32 * 1024;

export interface ParseOptions {
  /** Text at least this long is parsed on a worker thread (default 32 Ki characters). */
  offThreadChars?: number;
}

/**
 * YAML → data with `${…}` expanded. A large file is parsed on a worker thread without position
 * tracking, so a reload does not stall sends; positions are worked out on the loop only when an
 * error needs one. Any syntax or interpolation error takes the positioned path, whose messages
 * carry `file:line:col`.
 *
 * @example const { data, position } = await parseConfig(raw, 'gateway.yaml', { env, baseDir });
 */
export async function parseConfig(raw: string, name: string, ctx: InterpolationContext, options: ParseOptions = {}): Promise<ParsedConfig> {
  if (raw.length >= (options.offThreadChars ?? OFF_THREAD_CHARS)) {
    const data = await parseOffThread(raw);
    const fromFiles = data && interpolateData(data, ctx);
    if (data && fromFiles) {
      let located: { doc: Document; counter: LineCounter } | undefined;
      return {
        data,
        fromFiles,
        position(path, keyOf) {
          located ??= withPositions(raw);
          return positionOf(located.doc, located.counter, path, keyOf);
        },
      };
    }
  }
  return parseOnLoop(raw, name, ctx);
}

function withPositions(raw: string): { doc: Document; counter: LineCounter } {
  const counter = new LineCounter();
  return { doc: parseDocument(raw, { lineCounter: counter, uniqueKeys: true, prettyErrors: false }), counter };
}

function parseOnLoop(raw: string, name: string, ctx: InterpolationContext): ParsedConfig {
  const { doc, counter } = withPositions(raw);
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => {
      const { line, col } = counter.linePos(e.pos[0]);
      return `${name}:${line}:${col}: ${e.message.split('\n')[0]}`;
    }));
  }
  const errors: string[] = [];
  const fromFiles = interpolateDocument(doc, ctx, (offset, message) => {
    const { line, col } = counter.linePos(offset);
    errors.push(`${name}:${line}:${col}: ${message}`);
  });
  // Schema errors on values that failed to interpolate would only repeat the real problem.
  if (errors.length > 0) throw new ConfigError(errors, new Set(fromFiles));
  return {
    data: (doc.toJS() ?? {}) as Record<string, unknown>,
    fromFiles,
    position: (path, keyOf) => positionOf(doc, counter, path, keyOf),
  };
}

/** Expands `${…}` in every string scalar (keys too) in place; returns the values read from files. */
function interpolateDocument(doc: Document, ctx: InterpolationContext, report: (offset: number, message: string) => void): string[] {
  const fromFiles: string[] = [];
  visit(doc, {
    Scalar(_key, node) {
      if (!isScalar(node) || typeof node.value !== 'string' || !node.value.includes('${')) return;
      const result = interpolate(node.value, ctx);
      for (const e of result.errors) report(node.range?.[0] ?? 0, e);
      fromFiles.push(...result.fromFiles);
      node.value = result.value;
    },
  });
  return fromFiles;
}

/**
 * The same expansion on parsed data, keys and values alike, as the document visit does it; an
 * object reached twice (a YAML alias) is expanded once. Undefined when anything fails to expand:
 * the caller then takes the positioned path, which reports where.
 */
function interpolateData(data: Record<string, unknown>, ctx: InterpolationContext): string[] | undefined {
  const fromFiles: string[] = [];
  const seen = new Set<object>();
  let failed = false;
  const expand = (text: string): string => {
    if (!text.includes('${')) return text;
    const result = interpolate(text, ctx);
    if (result.errors.length > 0) failed = true;
    fromFiles.push(...result.fromFiles);
    return result.value;
  };
  const walk = (node: Record<string, unknown> | unknown[]): void => {
    if (seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      node.forEach((v, i) => {
        node[i] = visitValue(v);
      });
      return;
    }
    const keys = Object.keys(node);
    if (keys.some((k) => k.includes('${'))) {
      // Renaming keys in place would change their order; the object is rebuilt in order instead.
      const entries = keys.map((k) => [expand(k), visitValue(node[k])] as const);
      for (const k of keys) delete node[k];
      // defineProperty: a key `__proto__` is data here, as yaml makes it, not the prototype.
      for (const [k, v] of entries) Object.defineProperty(node, k, { value: v, writable: true, enumerable: true, configurable: true });
      return;
    }
    for (const k of keys) node[k] = visitValue(node[k]);
  };
  const visitValue = (v: unknown): unknown => {
    if (typeof v === 'string') return expand(v);
    if (v && typeof v === 'object') walk(v as Record<string, unknown>);
    return v;
  };
  walk(data);
  return failed ? undefined : fromFiles;
}
