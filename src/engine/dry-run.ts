import type { LoadedConfig } from '../config/load.js';
import { instanceMaySendFrom } from '../config/senders.js';
import type { Channel } from '../plugin-api.js';
import { addressFor, mayTake, stepSender } from './content.js';
import { draftMessage, planFor } from './draft.js';
import type { SendRequest } from './engine.js';

/** One step of a route as a message would meet it, providers in the order they would be tried. */
export interface PlannedStep {
  channel: Channel;
  /** The instances that may take the step, in failover order (those that may not send from the message's sender left out). */
  providers: string[];
  until: string;
  within: string;
  /** The consent policy guarding the step: depending on the user's window it may hold the message. */
  consent?: string;
  /** Why the step would end before any provider is asked (no address, no provider may send from the sender). */
  skipped?: string;
}

export interface DryRun {
  route: string;
  mode: 'fallback' | 'broadcast';
  steps: PlannedStep[];
}

/**
 * The steps and providers a message would take under `loaded`, decided by the engine's own choices
 * (the route or inline plan, the addresses, the senders) and nothing sent. What depends on state
 * (suppression, consent windows, provider outcomes) is left to the running gateway: a step is
 * listed as it starts, and its providers as failover would try them. Throws as `accept` would.
 *
 * @example dryRun({ route: 'default', to: { sms: '+15551234567' }, content: { text: 'hi' } }, loaded).steps[0] // → { channel: 'whatsapp', skipped: 'no whatsapp address', … }
 */
export function dryRun(req: SendRequest, loaded: LoadedConfig): DryRun {
  const { name, plan } = planFor(req, loaded);
  const m = draftMessage(req, name, plan, 'dry-run', new Date(0).toISOString());
  const maySendFrom = (instance: string, channel: Channel, sender: string) => instanceMaySendFrom(loaded.config, loaded.plugins, instance, channel, sender);
  const steps = plan.steps.map((step, i): PlannedStep => {
    const providers = step.providers.filter((p) => mayTake(m, i, p, maySendFrom));
    const skipped = !addressFor(m.to, step.channel)
      ? `no ${step.channel} address`
      : providers.length === 0 ? `no provider of the ${step.channel} step may send from ${stepSender(m, i)}` : undefined;
    return {
      channel: step.channel, providers, until: step.until, within: step.within,
      ...(step.consent ? { consent: step.consent } : {}), ...(skipped ? { skipped } : {}),
    };
  });
  return { route: name, mode: plan.mode, steps };
}
