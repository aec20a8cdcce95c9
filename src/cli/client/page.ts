import { str, type Invocation, type Options } from './command.js';

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** The paging and time options of every list endpoint (`GET /v1/messages`, `/v1/inbound`, `/v1/dead-letters`). */
export const PAGE_OPTIONS = {
  limit: { type: 'string' },
  cursor: { type: 'string' },
} as const satisfies Options;

export const PAGE_HELP = `  --limit N         at most N items, 1–500 (default 50)
  --cursor ID       the next page: the cursor printed under the previous one`;

export const pageQuery = (inv: Invocation): Record<string, string | undefined> => ({ limit: str(inv, 'limit'), cursor: str(inv, 'cursor') });

/** People are told where the next page starts on stderr, so stdout stays the table alone. */
export function hintNextPage(inv: Invocation, page: Page<unknown>): void {
  if (page.nextCursor && !inv.values.json) inv.io.err(`more: add --cursor ${page.nextCursor}\n`);
}
