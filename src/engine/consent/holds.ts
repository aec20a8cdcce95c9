import type { ConsentHold } from '../../model.js';
import type { Store } from '../../store/store.js';

/** One held step in its pair's list: with its policy (metrics) and when its hold runs out. */
export interface ListedHold extends ConsentHold {
  policy: string;
  until: number;
}

/**
 * Still held at `now`. An entry whose step ended without the policy hearing of it (a crash
 * between two commits) stops counting once its hold would have run out.
 */
const live = (h: ConsentHold, now: number): boolean => (h as Partial<ListedHold>).until === undefined || (h as ListedHold).until > now;

/** Appends a held step to its pair's list (oldest first), dropping entries past their hold. Call under the pair's key. */
export async function listHold(store: Store, pair: string, hold: ListedHold, now: number): Promise<void> {
  const list = ((await store.holds.fetch(pair)) ?? []).filter((h) => live(h, now) && !(h.message === hold.message && h.step === hold.step));
  store.holds.set(pair, [...list, hold]);
}

/** Removes these steps from their pair's list. Call under the pair's key. */
export async function unlistHolds(store: Store, pair: string, gone: readonly Pick<ConsentHold, 'message' | 'step'>[], now: number): Promise<void> {
  const list = await store.holds.fetch(pair);
  if (!list) return;
  const rest = list.filter((h) => live(h, now) && !gone.some((g) => g.message === h.message && g.step === h.step));
  if (rest.length === list.length) return;
  if (rest.length > 0) store.holds.set(pair, rest);
  else store.holds.delete(pair);
}

/** How many steps of one pair's list are held at `now`. */
export const heldIn = (list: readonly ConsentHold[] | undefined, now: number): number => (list ?? []).filter((h) => live(h, now)).length;

/** Held steps now, over every pair (the held-messages gauge). */
export async function countHeld(store: Store, now: number): Promise<number> {
  let held = 0;
  for (const list of await store.holds.all()) held += heldIn(list, now);
  return held;
}
