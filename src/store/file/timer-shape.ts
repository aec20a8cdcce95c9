import type { TimerRecord } from '../../model.js';

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
 * engine gives fallback waits, holds and retries): it keeps the id alone and reads the payload
 * from it. Serialized, it is the plain record it was read from.
 */
class StepTimer implements TimerRecord {
  constructor(
    readonly id: string,
    readonly kind: string,
    readonly due: number,
  ) {}

  get payload(): { message: string; step: number } {
    const dot = this.id.indexOf('.');
    return { message: this.id.slice(0, dot), step: Number(this.id.slice(dot + 1, this.id.indexOf('.', dot + 1))) };
  }

  toJSON(): TimerRecord {
    return { id: this.id, kind: this.kind, due: this.due, payload: this.payload };
  }
}

/** Whether `payload` is exactly `{message, step}` and `id` begins `<message>.<step>.`, so the id can stand for it. */
function spelledById(id: string, payload: Record<string, unknown>): boolean {
  const { message, step } = payload;
  if (typeof message !== 'string' || message.includes('.') || !Number.isSafeInteger(step) || (step as number) < 0) return false;
  if (Object.keys(payload).length !== 2) return false;
  const prefix = `${message}.${step as number}.`;
  return id.length > prefix.length && id.startsWith(prefix) && id.indexOf('.', prefix.length) === -1;
}

const isTimer = (v: unknown): v is TimerRecord => {
  const t = v as Partial<TimerRecord> | null;
  return typeof t === 'object' && t !== null && typeof t.kind === 'string' && typeof t.due === 'number' && typeof t.payload === 'object' && t.payload !== null;
};

/**
 * A timer read back from the snapshot or the journal, kept in as little memory as its content
 * allows (100k pending fallbacks are loaded at start). Parsed, each record would hold its own
 * copies of strings it shares: its id (the map key already is that string), its kind (shared by
 * every timer of the kind) and, for step timers, the message id and step its id already spells.
 * Anything that is not a timer is kept as read.
 *
 * @example reviveTimer('01K….0.timeout', parsed) // → a record with that id, whose payload is {message: '01K…', step: 0}
 */
export function reviveTimer(key: string, value: unknown): unknown {
  if (!isTimer(value)) return value;
  const kind = shared(value.kind);
  if (spelledById(key, value.payload)) return new StepTimer(key, kind, value.due);
  return { id: key, kind, due: value.due, payload: value.payload };
}
