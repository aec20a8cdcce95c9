/**
 * A separate, profiled daemon run (not one of the measured runs): the empty-store accept load under
 * `node --cpu-prof`, then a summary of where the CPU samples fell (self time by function and by
 * area, and how many samples had each area anywhere on their stack).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapping } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeConfig } from './config.js';
import { startOnPostgres } from './accepts.js';
import { measureAccepts, measureAcceptsSplit, type LoadResult } from './load.js';
import { freePort, startChild, type Child } from './procs.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber?: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface ProfileSummary {
  load: LoadResult;
  samples: number;
  /** Share of samples (0–1) outside `(idle)`. */
  busy: number;
  /**
   * Share of busy samples inside a socket write (`writev`, `writeBuffer`…). V8's sampler takes
   * wall-clock samples: a write that wakes PostgreSQL or the load generator on the same 2 cores
   * often loses the CPU inside the call, and that wait is sampled as the write. These samples are
   * left out of every share below.
   */
  socketWrites: number;
  /** Share of busy samples by the area of the innermost frame (builtins count for their JS caller). */
  selfByArea: { area: string; share: number }[];
  /** Share of busy samples with the area anywhere on the stack. */
  inclusiveByArea: { area: string; share: number }[];
  /** Busy-sample share of the hottest functions (self). */
  topSelf: { fn: string; share: number; via?: string }[];
  /** Busy-sample share of chosen functions, inclusive (anything they called). */
  inclusiveFns: { fn: string; share: number }[];
}

const AREAS: [string, RegExp][] = [
  ['store (src/store)', /\/src\/store\//],
  ['engine (src/engine)', /\/src\/engine\//],
  ['scheduler (src/scheduler)', /\/src\/scheduler\//],
  ['HTTP layer (src/http)', /\/src\/http\//],
  ['metrics (src/metrics, prom-client)', /\/src\/metrics\/|node_modules\/prom-client\//],
  ['logging (pino)', /node_modules\/(pino|sonic-boom|thread-stream)/],
  ['JSON schema validation (ajv)', /node_modules\/ajv/],
  ['Koa, router, body parser', /node_modules\/(koa|@koa|koa-bodyparser|co-body|raw-body|koa-compose|http-errors|statuses|type-is|content-type|iconv-lite|inflation)/],
  ['ulid', /node_modules\/ulid/],
  ['PostgreSQL driver (pg)', /node_modules\/(pg|pg-protocol|pg-pool|pg-types|pg-connection-string|postgres-[a-z]+)\//],
  ['other switchboard code', /\/src\/|\/plugins\//],
  ['Node internals (http, net, fs, streams)', /^node:/],
];

const areaOf = (url: string, fn: string): string => {
  if (fn === '(garbage collector)') return 'garbage collector';
  if (fn === '(program)') return '(program: V8/native, no JS frame)';
  for (const [name, re] of AREAS) if (re.test(url)) return name;
  return url ? 'other node_modules' : 'native/builtin (no JS caller)';
};

// The native bindings a socket write ends in (no JS frame of their own).
const SOCKET_WRITES = new Set(['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String', 'writeAsciiString', 'writeUcs2String']);

const shortUrl = (url: string) => url.replace(/^.*?\/node_modules\//, '').replace(/^.*?\/((src|plugins)\/)/, '$1').replace(/^file:\/\//, '');

/**
 * The daemon runs as a bundle (scripts/bundle.mjs): its frames name `main.js` and its chunks. Read
 * through the bundle's source maps, each frame names the source file and line it came from, which
 * is what the areas and the function names below are about.
 */
function sourceFrames(): (frame: CallFrame) => CallFrame {
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = (url: string): SourceMap | undefined => {
    if (!maps.has(url)) {
      const file = url.startsWith('file://') ? fileURLToPath(url) : '';
      maps.set(url, file && existsSync(`${file}.map`) ? new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))) : undefined);
    }
    return maps.get(url);
  };
  return (frame) => {
    const found = frame.url ? mapOf(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber ?? 0) : undefined;
    // An empty object where the map has no entry for the spot.
    const entry = found && 'originalSource' in found ? (found as SourceMapping) : undefined;
    return entry ? { ...frame, url: entry.originalSource, lineNumber: entry.originalLine } : frame;
  };
}

/** Summarizes a `.cpuprofile`: `inclusive` names `file.js:function` pairs to report inclusively. */
export function summarizeProfile(file: string, inclusive: [string, string][]): Omit<ProfileSummary, 'load'> {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
  const source = sourceFrames();
  const byId = new Map(p.nodes.map((n) => [n.id, { ...n, callFrame: source(n.callFrame) }]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfArea = new Map<string, number>();
  const inclArea = new Map<string, number>();
  const selfFn = new Map<string, number>();
  const viaFn = new Map<string, Map<string, number>>();
  const inclFn = new Map<string, number>();
  let idle = 0;
  let writes = 0;
  for (const id of p.samples) {
    const leaf = byId.get(id)!;
    if (leaf.callFrame.functionName === '(idle)') {
      idle += 1;
      continue;
    }
    if (!leaf.callFrame.url && SOCKET_WRITES.has(leaf.callFrame.functionName)) {
      writes += 1;
      continue;
    }
    // Builtins (JSON.stringify, Buffer.from…) have no url: charge them to the nearest JS frame.
    let charged = leaf;
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      if (n.callFrame.url || n.callFrame.functionName.startsWith('(')) {
        charged = n;
        break;
      }
    }
    const a = areaOf(charged.callFrame.url, charged.callFrame.functionName);
    selfArea.set(a, (selfArea.get(a) ?? 0) + 1);
    const fnKey = `${leaf.callFrame.functionName || '(anonymous)'}${leaf.callFrame.url ? ` (${shortUrl(leaf.callFrame.url)}:${leaf.callFrame.lineNumber + 1})` : ''}`;
    selfFn.set(fnKey, (selfFn.get(fnKey) ?? 0) + 1);
    // The nearest switchboard frame (src/ or plugins/) that led here, if the leaf is not one.
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      if (/\/src\/|\/plugins\//.test(n.callFrame.url)) {
        const via = `${n.callFrame.functionName || '(anonymous)'} (${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1})`;
        if (via !== fnKey) {
          const m = viaFn.get(fnKey) ?? new Map<string, number>();
          m.set(via, (m.get(via) ?? 0) + 1);
          viaFn.set(fnKey, m);
        }
        break;
      }
    }
    const areas = new Set<string>();
    const fns = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      if (n.callFrame.url) areas.add(areaOf(n.callFrame.url, n.callFrame.functionName));
      for (const [f, name] of inclusive) if (n.callFrame.url.endsWith(f) && n.callFrame.functionName === name) fns.add(`${name} (${f})`);
    }
    for (const x of areas) inclArea.set(x, (inclArea.get(x) ?? 0) + 1);
    for (const x of fns) inclFn.set(x, (inclFn.get(x) ?? 0) + 1);
  }
  const busyN = p.samples.length - idle - writes;
  const ranked = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => ({ k, share: v / Math.max(1, busyN) }));
  return {
    samples: p.samples.length,
    busy: (busyN + writes) / Math.max(1, p.samples.length),
    socketWrites: writes / Math.max(1, busyN + writes),
    selfByArea: ranked(selfArea).map(({ k, share }) => ({ area: k, share })),
    inclusiveByArea: ranked(inclArea).map(({ k, share }) => ({ area: k, share })),
    topSelf: ranked(selfFn).slice(0, 12).map(({ k, share }) => {
      const via = [...(viaFn.get(k) ?? [])].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([f, n]) => `${f} ${Math.round((100 * n) / (selfFn.get(k) ?? 1))} %`);
      return { fn: k, share, ...(via.length ? { via: via.join('; ') } : {}) };
    }),
    inclusiveFns: inclusive.map(([f, name]) => ({ fn: `${name} (${f})`, share: (inclFn.get(`${name} (${f})`) ?? 0) / Math.max(1, busyN) })),
  };
}

/** Functions whose inclusive share the report quotes: a source file and a function in it. */
const INCLUSIVE: [string, string][] = [
  ['store/file/group-commit.ts', 'flushAll'],
  ['store/file/segment-log.ts', 'put'],
  ['store/file/hot-state.ts', 'set'],
  ['engine/engine.ts', 'accept'],
  ['engine/send.ts', 'sendOnStep'],
  ['engine/receipts.ts', 'ingestStatus'],
];

/** The same, for a daemon on PostgreSQL. */
export const INCLUSIVE_POSTGRES: [string, string][] = [
  ['store/postgres/unit-of-work.ts', 'withTransaction'],
  ['store/postgres/key-locks.ts', 'exclusive'],
  ['store/postgres/hot-queue.ts', 'take'],
  ['store/file/group-commit.ts', 'flushAll'],
  ['engine/engine.ts', 'accept'],
  ['engine/send.ts', 'sendOnStep'],
  ['engine/receipts.ts', 'ingestStatus'],
];

/**
 * Profiles one daemon under the accept load: on the file store in `dir`, or on PostgreSQL at
 * `postgres.url` — with `postgres.second`, beside a second, unprofiled daemon on the same database
 * that takes half the connections.
 */
export async function profileAccepts(options: { dir: string; daemon: { cmd: string; args: string[] }; load: { connections: number; warmupSec: number; durationSec: number }; postgres?: { url: string; second?: boolean } }): Promise<ProfileSummary> {
  const profDir = join(options.dir, 'prof');
  mkdirSync(profDir, { recursive: true });
  const bundled = options.daemon.cmd === process.execPath && options.daemon.args.some((a) => a.endsWith('.js'));
  const profiled = { cmd: options.daemon.cmd, args: bundled ? ['--cpu-prof', '--cpu-prof-dir', profDir, ...options.daemon.args] : [...options.daemon.args] };
  let child: Child;
  let other: Child | undefined;
  if (options.postgres) {
    child = await startOnPostgres({ name: 'daemon-profile', dir: options.dir, daemon: profiled, url: options.postgres.url, scenario: 'accepts' });
  } else {
    const port = await freePort();
    const config = writeConfig(options.dir, { port, dataDir: join(options.dir, 'data'), scenario: 'accepts' });
    child = await startChild({ name: 'daemon-profile', cmd: profiled.cmd, args: [...profiled.args, 'start', '--config', config], cwd: options.dir, port, readyPath: '/-/ready', logFile: join(options.dir, 'daemon.log') });
  }
  let load: LoadResult;
  try {
    if (options.postgres?.second) other = await startOnPostgres({ name: 'daemon-other', dir: options.dir, daemon: options.daemon, url: options.postgres.url, scenario: 'accepts' });
    // With a second daemon, the figure is the profiled one's share of the split load.
    load = other ? (await measureAcceptsSplit([child.port, other.port], options.load)).perServer[0] : await measureAccepts(child.port, options.load);
  } finally {
    // The profile is written at exit: give a busy daemon time to get there.
    await Promise.all([child.stop(60_000), other?.stop()]);
  }
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('the profiled daemon wrote no .cpuprofile');
  return { load, ...summarizeProfile(join(profDir, file), options.postgres ? INCLUSIVE_POSTGRES : INCLUSIVE) };
}
