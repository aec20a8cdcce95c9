import type { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../store/store.js';
import { normalizeAddress, pairKey } from '../addresses.js';
import { heldIn } from './holds.js';

/** One business sender's view of one user (`GET /v1/consent/whatsapp/:address`). */
export interface SenderConsent {
  sender: string;
  /** The WhatsApp instances that send from it. */
  providers: string[];
  window: { open: boolean; closesAt: string | null };
  held: number;
  lastOptIn: { template: string; sentAt: string; messageId: string } | null;
  lateReplyPending: boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The business WhatsApp senders configured now, each with the instances that send from it. */
function whatsappSenders(runtime: Runtime): Map<string, string[]> {
  const senders = new Map<string, string[]>();
  for (const [instance, spec] of Object.entries(runtime.loaded.config.providers)) {
    const plugin = runtime.loaded.plugins.get(instance);
    if (!plugin?.channels(spec as never).includes('whatsapp')) continue;
    const sender = runtime.senderOf(instance, 'whatsapp');
    senders.set(sender, [...(senders.get(sender) ?? []), instance]);
  }
  return senders;
}

/** A user's consent state with every configured WhatsApp sender, read from the shared store. */
export async function consentState(store: Store, runtime: Runtime, user: string, now: number): Promise<{ address: string; senders: SenderConsent[] }> {
  const address = normalizeAddress(user);
  const senders = whatsappSenders(runtime);
  const pairs = [...senders.keys()].map((s) => pairKey(s, address));
  const [windows, holds, optins, late] = await Promise.all([store.windows.fetchMany(pairs), store.holds.fetchMany(pairs), store.optins.fetchMany(pairs), store.lateReplies.fetchMany(pairs)]);
  return {
    address,
    senders: [...senders].map(([sender, providers], i) => {
      const pair = pairs[i];
      const closes = windows.get(pair);
      const optIn = optins.get(pair);
      const mark = late.get(pair);
      return {
        sender,
        providers,
        window: { open: closes !== undefined && closes > now, closesAt: closes !== undefined && closes > now ? iso(closes) : null },
        held: heldIn(holds.get(pair), now),
        lastOptIn: optIn ? { template: optIn.template, sentAt: iso(optIn.at), messageId: optIn.messageId } : null,
        lateReplyPending: mark !== undefined && mark.expiresAt > now,
      };
    }),
  };
}

