import type { ListPage } from './store.js';

/**
 * A store page fetched with `limit + 1` as an API page: `nextCursor` when there is more, either
 * because the extra record came back or because the store stopped scanning early (`next`).
 *
 * @example toApiPage(await store.messages.list({ limit: 51 }), 50)
 */
export function toApiPage<T extends { id: string }>(page: ListPage<T>, limit: number): { items: T[]; nextCursor?: string } {
  const items = page.items.slice(0, limit);
  if (page.items.length > limit) return { items, nextCursor: items.at(-1)!.id };
  return page.next ? { items, nextCursor: page.next } : { items };
}
