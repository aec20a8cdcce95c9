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

const isTimer = (v: unknown): v is TimerRecord => {
  const t = v as Partial<TimerRecord> | null;
  return typeof t === 'object' && t !== null && typeof t.kind === 'string' && typeof t.due === 'number' && typeof t.payload === 'object' && t.payload !== null;
};

/**
 * A timer read back from the snapshot or the journal, in the memory shape the scheduler gives a new
 * one. Parsed, each record would hold its own copies of what it shares with others: its id (the
 * map key already is that string), its kind, and the message id its payload names, which begins
 * the ids the engine gives step timers (`<message>.<step>.<kind>`); as a slice of the key, V8 keeps
 * that one as a view of the key rather than a copy. Anything that is not a timer is kept as read.
 *
 * @example reviveTimer('01K….0.timeout', parsed) // → { id: <the key>, kind: 'step-timeout', due, payload }
 */
export function reviveTimer(key: string, value: unknown): unknown {
  if (!isTimer(value)) return value;
  const payload = value.payload;
  const message = payload.message;
  if (typeof message === 'string' && message.length < key.length && key.startsWith(message)) payload.message = key.slice(0, message.length);
  return { id: key, kind: shared(value.kind), due: value.due, payload };
}
