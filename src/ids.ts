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
