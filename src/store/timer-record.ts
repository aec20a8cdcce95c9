import type { TimerRecord } from '../model.js';

// Timer kinds are a handful of names repeated by every timer: one string each, not one per record.
// Bounded, so a folder full of odd kinds cannot grow it without end.
const kinds = new Map<string, string>();
const MAX_KINDS = 256;

function shared(kind: string): string {
  const known = kinds.get(kind);
  if (known !== undefined) return known;
  if (kinds.size < MAX_KINDS) kinds.set(kind, kind);
  return kind;
}

/**
 * A step timer whose payload is spelled out by its own id, `<message>.<step>.<what>` (the ids the
 * engine gives fallback waits, holds and retries): it keeps the id and reads the payload from it.
 * Serialized, it is the plain record it was read from.
 */
abstract class SpelledTimer implements TimerRecord {
  abstract readonly id: string;
  abstract readonly kind: string;
  abstract readonly due: number;

  get payload(): { message: string; step: number } {
    const dot = this.id.indexOf('.');
    return { message: this.id.slice(0, dot), step: Number(this.id.slice(dot + 1, this.id.indexOf('.', dot + 1))) };
  }

  toJSON(): TimerRecord {
    return { id: this.id, kind: this.kind, due: this.due, payload: this.payload };
  }
}

/** …whose kind is a name of its own. */
class StepTimer extends SpelledTimer {
  constructor(
    readonly id: string,
    readonly kind: string,
    readonly due: number,
  ) {
    super();
  }
}

/** The kind the engine gives a step timer with this id: `step-<what>`. */
const kindSpelledBy = (id: string) => `step-${id.slice(id.lastIndexOf('.') + 1)}`;

/**
 * …whose kind its id spells too (`….timeout` is a `step-timeout`, as the engine names them all):
 * one field fewer on each of 100k pending fallbacks. The kind is worked out when read, which is
 * when the timer fires. Its due is kept as the distance from the start of its window (below).
 */
abstract class KindSpelledTimer extends SpelledTimer {
  constructor(
    readonly id: string,
    /** Milliseconds from the start of the timer's window: a small integer. */
    readonly sinceWindow: number,
  ) {
    super();
  }

  get kind(): string {
    return shared(kindSpelledBy(this.id));
  }
}

// A due in ms since 1970 is no small integer, so V8 keeps it in a number object of its own (16
// bytes, and the field pointing at it) for each of 100k pending fallbacks; a distance under 2^30
// it keeps in the field itself. Each window of 2^30 ms (12 days) has its own class with its start
// as a constant, made the first time a due falls in it; only a few are ever in use, and past a
// bound a due goes into a timer with a plain `due` instead.
const WINDOW = 2 ** 30;
const MAX_WINDOWS = 64;
const windows = new Map<number, new (id: string, sinceWindow: number) => KindSpelledTimer>();

function windowOf(window: number): (new (id: string, sinceWindow: number) => KindSpelledTimer) | undefined {
  const known = windows.get(window);
  if (known !== undefined || windows.size >= MAX_WINDOWS) return known;
  const start = window * WINDOW;
  const made = class extends KindSpelledTimer {
    get due(): number {
      return start + this.sinceWindow;
    }
  };
  windows.set(window, made);
  return made;
}

/** `kind === kindSpelledBy(id)`, without building that string for each of 100k timers read at start. */
function kindIsSpelled(id: string, kind: string): boolean {
  const what = id.lastIndexOf('.') + 1;
  if (kind.length !== 5 + id.length - what || !kind.startsWith('step-')) return false;
  for (let i = 5, j = what; i < kind.length; i++, j++) if (kind.charCodeAt(i) !== id.charCodeAt(j)) return false;
  return true;
}

function stepTimer(id: string, kind: string, due: number): SpelledTimer {
  if (Number.isSafeInteger(due) && kindIsSpelled(id, kind)) {
    const window = Math.floor(due / WINDOW);
    const Timer = windowOf(window);
    if (Timer) return new Timer(id, due - window * WINDOW);
  }
  return new StepTimer(id, shared(kind), due);
}

/** Whether `payload` is exactly `{message, step}` and `id` begins `<message>.<step>.`, so the id can stand for it. */
function spelledById(id: string, payload: Record<string, unknown>): boolean {
  const { message, step } = payload;
  if (typeof message !== 'string' || message.includes('.') || !Number.isSafeInteger(step) || (step as number) < 0) return false;
  if (Object.keys(payload).length !== 2) return false;
  const prefix = `${message}.${step as number}.`;
  return id.length > prefix.length && id.startsWith(prefix) && id.indexOf('.', prefix.length) === -1;
}

/** The `{message, step}` a step timer's id spells (`<message>.<step>.<what>`), if it is one. */
function spelledPayload(id: string): { message: string; step: number } | undefined {
  const dot = id.indexOf('.');
  const second = id.indexOf('.', dot + 1);
  if (dot <= 0 || second < 0) return undefined;
  const payload = { message: id.slice(0, dot), step: Number(id.slice(dot + 1, second)) };
  return spelledById(id, payload) ? payload : undefined;
}

const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * Whether `id` is `<message>.<step>.<what>` as `spelledPayload` reads it (the step in plain
 * decimal, so the id is rebuilt from the payload exactly), without building the payload.
 */
function spellsPayload(id: string): boolean {
  const dot = id.indexOf('.');
  if (dot <= 0) return false;
  let i = dot + 1;
  const first = i;
  while (i < id.length && isDigit(id.charCodeAt(i))) i++;
  const digits = i - first;
  if (digits === 0 || (digits > 1 && id.charCodeAt(first) === 48)) return false;
  // Past 15 digits a step may not be a safe integer: the slow check decides.
  if (digits > 15) return spelledPayload(id) !== undefined;
  return id.charCodeAt(i) === 46 && i + 1 < id.length && id.indexOf('.', i + 1) === -1;
}

/**
 * What `packTimer` makes of a step timer: kind and due, the rest spelled by its key. Serialized it
 * is `{"kind":K,"due":N}`, the form a snapshot's reader takes apart (`CollectionReader.packed`),
 * and the snapshot writer spells it without JSON.stringify (snapshot-lines.ts).
 */
export class PackedTimer {
  constructor(
    readonly kind: string,
    readonly due: number,
  ) {}
}

/** A step timer as `packTimer` writes it: kind and due, the rest spelled by its key. */
const isPacked = (v: unknown): v is { kind: string; due: number } => {
  const t = v as Record<string, unknown> | null;
  return typeof t === 'object' && t !== null && typeof t.kind === 'string' && typeof t.due === 'number' && !('payload' in t);
};

const isTimer = (v: unknown): v is TimerRecord => {
  const t = v as Partial<TimerRecord> | null;
  return typeof t === 'object' && t !== null && typeof t.kind === 'string' && typeof t.due === 'number' && typeof t.payload === 'object' && t.payload !== null;
};

/**
 * A timer record in as little memory as its content allows (100k pending fallbacks stay in memory):
 * a step timer whose id spells its payload keeps the id alone (and no kind either, when the id
 * spells that too); every record shares its kind string with the others of its kind. Serialized,
 * it is the plain record.
 *
 * @example timerRecord('01K….0.timeout', 'step-timeout', due, { message: '01K…', step: 0 }) // → payload read from the id
 */
export function timerRecord(id: string, kind: string, due: number, payload: TimerRecord['payload']): TimerRecord {
  if (spelledById(id, payload)) return stepTimer(id, kind, due);
  return { id, kind: shared(kind), due, payload };
}

/**
 * A timer read back from the snapshot or the journal (the file store's hot state), as
 * `timerRecord` keeps a new one: parsed, each record would hold its own copy of its id (the map
 * key already is that string), of its kind, and of the message id and step its id already spells.
 * Anything that is not a timer is kept as read.
 */
export function reviveTimer(key: string, value: unknown): unknown {
  if (isTimer(value)) return timerRecord(key, value.kind, value.due, value.payload);
  if (isPacked(value) && spelledPayload(key)) return stepTimer(key, value.kind, value.due);
  return value;
}

/**
 * `reviveTimer(key, {kind, due})` for a record the snapshot reader took apart itself (100k of them
 * at a start with as many pending fallbacks), without the object or the payload it would check.
 */
export function revivePackedTimer(key: string, kind: string, due: number): unknown {
  return spellsPayload(key) ? stepTimer(key, kind, due) : { kind, due };
}

/**
 * A timer as the file store writes it under its key (journal line, snapshot entry): a step timer
 * whose id spells its payload as `{kind, due}` alone (about a third of the plain record, which is
 * most of what a start with many pending fallbacks parses), anything else as it is.
 * `reviveTimer` reads both.
 */
export function packTimer(key: string, value: unknown): unknown {
  if (value instanceof SpelledTimer) return value.id === key ? new PackedTimer(value.kind, value.due) : value;
  return isTimer(value) && value.id === key && spelledById(key, value.payload) ? new PackedTimer(value.kind, value.due) : value;
}
