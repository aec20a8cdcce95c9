import type { Clock } from '../clock.js';
import type { RateLimitConfig } from '../config/types.js';

/** What a send must do before calling its provider. */
/** What a send must do before calling its provider; `reserved`: a rate slot was set aside for it. */
export type Admission = { ok: true; release: () => void } | { ok: false; waitMs: number; reserved: boolean };

interface Bucket {
  spec: RateLimitConfig;
  tokens: number;
  at: number;
  inFlight: number;
  /** A provider's 429 `Retry-After`: nobody sends to this instance before then. */
  pausedUntil: number;
}

// How soon a send turned away by the concurrency cap looks again; jittered so they do not stampede.
const CONCURRENCY_RETRY_MS = 50;

/**
 * Per provider instance: a token bucket (`mps`, `burst`) and a cap on calls in flight
 * (`concurrency`). A send over the limit is told how long to wait; the engine stores that wait
 * as a timer, so the queue of waiting sends is on disk, not in memory. A slot is reserved for the
 * caller as it is told to wait, so waiting sends come back spaced at the bucket's rate.
 *
 * @example
 *   const limiter = createRateLimiter(clock);
 *   const a = limiter.admit('twilio-us', { mps: 1, burst: 1 });
 *   if (a.ok) try { await send(); } finally { a.release(); }
 */
export function createRateLimiter(clock: Clock, random: () => number = Math.random) {
  const buckets = new Map<string, Bucket>();

  function bucketOf(instance: string, spec: RateLimitConfig): Bucket {
    let b = buckets.get(instance);
    // A reload that changes the limit starts a fresh bucket; the in-flight count carries over.
    if (!b || b.spec !== spec) {
      b = { spec, tokens: spec.burst ?? 1, at: clock.now(), inFlight: b?.inFlight ?? 0, pausedUntil: b?.pausedUntil ?? 0 };
      buckets.set(instance, b);
    }
    return b;
  }

  return {
    /**
     * `reserved`: the caller was told to wait earlier and its slot was set aside then, so it takes
     * no token now (the concurrency cap and a pause still apply).
     */
    admit(instance: string, spec: RateLimitConfig | undefined, reserved = false): Admission {
      const now = clock.now();
      const b = spec ? bucketOf(instance, spec) : buckets.get(instance);
      if (!b) return { ok: true, release: () => {} };
      if (b.pausedUntil > now) return { ok: false, waitMs: b.pausedUntil - now, reserved };
      if (b.spec.concurrency !== undefined && b.inFlight >= b.spec.concurrency) {
        return { ok: false, waitMs: Math.round(CONCURRENCY_RETRY_MS * (1 + random())), reserved };
      }
      if (b.spec.mps !== undefined && !reserved) {
        const burst = b.spec.burst ?? 1;
        b.tokens = Math.min(burst, b.tokens + ((now - b.at) * b.spec.mps) / 1000);
        b.at = now;
        if (b.tokens < 1) {
          // Reserve the next free slot for this caller: tokens go negative, the wait grows.
          const waitMs = Math.ceil(((1 - b.tokens) * 1000) / b.spec.mps);
          b.tokens -= 1;
          return { ok: false, waitMs, reserved: true };
        }
        b.tokens -= 1;
      }
      b.inFlight += 1;
      let released = false;
      return {
        ok: true,
        release: () => {
          if (released) return;
          released = true;
          b.inFlight -= 1;
        },
      };
    },

    /** Honours a provider's `Retry-After`: every send to the instance waits until then. */
    pause(instance: string, ms: number): void {
      const b = buckets.get(instance) ?? bucketOf(instance, {});
      b.pausedUntil = Math.max(b.pausedUntil, clock.now() + ms);
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
