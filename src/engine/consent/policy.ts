import type { EngineContext, StepGuard } from '../context.js';
import type { Engine } from '../engine.js';
import type { InboundListener } from '../inbound.js';

/** What the consent policy gives the app: a step guard, an inbound listener, a signal sink, gauges. */
export interface ConsentPolicy {
  guard: StepGuard;
  onInbound: InboundListener;
  onSignal: EngineContext['onSignal'];
  /** Messages held now (the `switchboard_held_messages` gauge). */
  held(): Promise<number>;
}

/** PLACEHOLDER — replaced by the consent policy implementation. */
export function createConsentPolicy(_deps: { ctx: EngineContext; engine: Engine }): ConsentPolicy {
  return { guard: () => ({ action: 'send' }), onInbound: () => undefined, onSignal: () => undefined, held: async () => 0 };
}
