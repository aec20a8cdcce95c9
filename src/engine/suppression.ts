import type { EngineContext, StepGuard } from './context.js';
import type { Engine } from './engine.js';
import type { InboundListener } from './inbound.js';

/** What suppression gives the app: a step guard, an inbound listener, a signal sink, gauges. */
export interface Suppression {
  guard: StepGuard;
  onInbound: InboundListener;
  onSignal: EngineContext['onSignal'];
  /** Entries by channel (the `switchboard_suppression_list_size` gauge). */
  sizes(): Promise<ReadonlyMap<string, number>>;
}

/** PLACEHOLDER — replaced by the suppression implementation. */
export function createSuppression(_deps: { ctx: EngineContext; engine: Engine }): Suppression {
  return { guard: () => ({ action: 'send' }), onInbound: () => undefined, onSignal: () => undefined, sizes: async () => new Map() };
}
