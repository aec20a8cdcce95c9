import type { DeadLetter } from '../../../model.js';
import type { ApiClient } from '../api.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, print, type Command, type Invocation } from '../command.js';
import { CliError, usageError } from '../io.js';
import { hintNextPage, PAGE_HELP, PAGE_OPTIONS, pageQuery, type Page } from '../page.js';
import { formatTable, type Column } from '../table.js';

const COLUMNS: readonly Column<DeadLetter>[] = [
  { title: 'ID', value: (d) => d.id },
  { title: 'AT', value: (d) => d.at },
  { title: 'KIND', value: (d) => d.kind },
  { title: 'MESSAGE', value: (d) => d.job.messageId },
  { title: 'REASON', value: (d) => d.reason, max: 60 },
];

/** Every dead letter's id, following the cursor: `--all` acts on all of them, not one page. */
async function allIds(api: ApiClient): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.get<Page<DeadLetter>>('/v1/dead-letters', { limit: '500', cursor });
    ids.push(...page.items.map((d) => d.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

interface Outcome { id: string; ok: boolean; error?: string }

/**
 * Runs `act` on each id in turn; one that fails is reported and the rest still run. Many ids get
 * a progress line on stderr, rewritten in place (`\r`) so a terminal shows one moving line.
 */
async function eachId(inv: Invocation, [action, verb]: [string, string], act: (api: ApiClient, id: string) => Promise<void>): Promise<number> {
  const all = inv.values.all === true;
  if (all === (inv.positionals.length > 1)) throw usageError(`${action}: give the ids, or --all (see switchboard dead-letters --help)`);
  const api = inv.api();
  const ids = all ? await allIds(api) : inv.positionals.slice(1);
  const outcomes: Outcome[] = [];
  for (const [i, id] of ids.entries()) {
    try {
      await act(api, id);
      outcomes.push({ id, ok: true });
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      outcomes.push({ id, ok: false, error: err.message });
    }
    if (ids.length > 1) inv.io.err(`\r${verb}: ${i + 1}/${ids.length}${i + 1 === ids.length ? '\n' : ''}`);
  }
  const failed = outcomes.filter((o) => !o.ok).map(({ id, error }) => ({ id, error }));
  print(inv, { [verb]: outcomes.filter((o) => o.ok).map((o) => o.id), failed }, () => `${verb}: ${outcomes.length - failed.length} of ${ids.length}\n`);
  if (!inv.values.json) for (const f of failed) inv.io.err(`${f.id}: ${f.error}\n`);
  return failed.length > 0 ? 1 : 0;
}

export const deadLettersCommand: Command = {
  name: 'dead-letters',
  summary: 'list, replay or delete jobs that exhausted their retries',
  help: `usage: switchboard dead-letters [list] [--limit N] [--cursor ID] [--json]
       switchboard dead-letters replay (ID… | --all) [--json]
       switchboard dead-letters delete (ID… | --all) [--json]

Dead letters are jobs that exhausted their retries: status callbacks, forwarded inbound
messages, contact-center deliveries (KIND says which). Needs an admin key.
  list      show them, newest first (GET /v1/dead-letters)
  replay    queue them to be sent again (POST /v1/dead-letters/ID/replay)
  delete    discard them (DELETE /v1/dead-letters/ID)
Replaying or deleting many prints a progress line on stderr; the exit code is 1 if any failed.

options:
  --all             every dead letter, not the ids given
${PAGE_HELP}
${CONNECTION_HELP}`,
  options: { ...CONNECTION_OPTIONS, ...PAGE_OPTIONS, all: { type: 'boolean' } },
  maxPositionals: Number.POSITIVE_INFINITY,
  async run(inv) {
    const [action = 'list'] = inv.positionals;
    if (action === 'replay') return eachId(inv, ['replay', 'replayed'], (api, id) => api.post(`/v1/dead-letters/${encodeURIComponent(id)}/replay`).then(() => undefined));
    if (action === 'delete') return eachId(inv, ['delete', 'deleted'], (api, id) => api.delete(`/v1/dead-letters/${encodeURIComponent(id)}`));
    if (action !== 'list') throw usageError(`unknown action ${action}; use list, replay or delete`);
    if (inv.positionals.length > 1) throw usageError(`list: unexpected argument ${inv.positionals[1]}`);
    const page = await inv.api().get<Page<DeadLetter>>('/v1/dead-letters', pageQuery(inv));
    print(inv, page, () => formatTable(page.items, COLUMNS));
    hintNextPage(inv, page);
    return 0;
  },
};
