import { randomBytes } from 'node:crypto';
import { monotonicFactory } from 'ulid';

let pool = Buffer.alloc(0);
let position = 0;

/**
 * ulid's default generator asks the OS for randomness once per character (16 calls an id); this
 * one draws the same cryptographic bytes from a pooled buffer. A byte over 256 maps evenly onto
 * ulid's 32 characters.
 */
function pooledRandom(): number {
  if (position >= pool.length) {
    pool = randomBytes(4096);
    position = 0;
  }
  return pool[position++] / 256;
}

/**
 * A time-ordered id generator (ULID): ids from one generator sort in creation order even within a
 * millisecond, and an id's first 10 characters carry its creation time.
 *
 * @example const nextId = createIdFactory(); nextId(Date.now()) // → '01K…'
 */
export function createIdFactory(): (seedTime?: number) => string {
  return monotonicFactory(pooledRandom);
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < CROCKFORD.length; i += 1) VALUE[CROCKFORD.charCodeAt(i)] = i;

/**
 * The creation time (ms) in an id, or undefined when it is not a ULID. (ulid's decodeTime does the
 * same with more checks; this runs for every record a commit writes.)
 *
 * @example idTime('01ARZ3NDEKTSV4RRFFQ69G5FAV') // → 1469918176385
 */
export function idTime(id: string): number | undefined {
  if (id.length !== 26) return undefined;
  let time = 0;
  for (let i = 0; i < 10; i += 1) {
    const code = id.charCodeAt(i);
    const v = code < 128 ? VALUE[code] : -1;
    if (v < 0) return undefined;
    time = time * 32 + v;
  }
  return time;
}
