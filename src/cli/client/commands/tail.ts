import { setTimeout as sleep } from 'node:timers/promises';
import { parseDuration } from '../../../config/duration.js';
import type { Message } from '../../../model.js';
import { UnreachableError, type ApiClient } from '../api.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, str, type Command, type Invocation } from '../command.js';
import { usageError } from '../io.js';
import type { Page } from '../page.js';

interface TailEvent {
  id: string;
  route: string;
  at: string;
  event: string;
  status?: string;
  cause?: string;
}

/** Fixed widths (a stream cannot be measured ahead): ISO times and ULIDs are fixed-length already. */
const line = (e: TailEvent): string => [e.at.padEnd(24), e.id, e.event.padEnd(18), (e.status ?? '-').padEnd(9), e.cause ?? ''].join('  ').trimEnd();

function positiveInt(inv: Invocation, name: string): number | undefined {
  const raw = str(inv, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw usageError(`--${name} must be a whole number of 1 or more, got ${raw}`);
  return n;
}

/** The messages to look at in one poll: the one followed, or every one created since the tail began. */
async function poll(api: ApiClient, id: string | undefined, since: string, route: string | undefined): Promise<Message[]> {
  if (id) return [await api.get<Message>(`/v1/messages/${encodeURIComponent(id)}`)];
  const messages: Message[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.get<Page<Message>>('/v1/messages', { since, route, limit: '500', cursor });
    messages.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  // Oldest first, so events print in the order they happened.
  return messages.reverse();
}

export const tailCommand: Command = {
  name: 'tail',
  summary: 'follow new messages and their status changes',
  help: `usage: switchboard tail [ID] [--route NAME] [--since TIME] [--interval DURATION] [--until STATUS,…] [--max-events N] [--json]

Follows messages live by polling the REST API: every new message and every change in its
history (routing, sent, fallback with its cause, delivered…) prints one line. With ID, follows
that message alone. Stops on Ctrl-C. If the gateway goes away, says so on stderr and keeps
trying; once it answers again, says so and carries on.

options:
  --route NAME          only messages sent through this route
  --since TIME          start from messages created at or after TIME (default: now)
  --interval DURATION   how often to poll (default 1s)
  --until STATUS,…      with ID: stop once the message reaches one of these statuses
  --max-events N        stop after N lines
  --json                one JSON object per line
${CONNECTION_HELP}`,
  options: { ...CONNECTION_OPTIONS, route: { type: 'string' }, since: { type: 'string' }, interval: { type: 'string' }, until: { type: 'string' }, 'max-events': { type: 'string' } },
  maxPositionals: 1,
  async run(inv) {
    const [id] = inv.positionals;
    const interval = parseDuration(str(inv, 'interval') ?? '1s');
    if (interval === undefined || interval < 1) throw usageError(`--interval must be a duration such as 500ms or 2s, got ${str(inv, 'interval')}`);
    const until = new Set(str(inv, 'until')?.split(',').map((s) => s.trim()).filter(Boolean));
    if (until.size > 0 && !id) throw usageError('--until needs the ID of the message to follow');
    const maxEvents = positiveInt(inv, 'max-events') ?? Number.POSITIVE_INFINITY;
    const since = str(inv, 'since') ?? String(Date.now());
    const api = inv.api();
    const { io } = inv;
    const seen = new Map<string, number>();
    let printed = 0;
    let lost: number | undefined;
    let connected = false;

    while (!io.signal?.aborted) {
      let messages: Message[];
      try {
        messages = await poll(api, id, since, str(inv, 'route'));
      } catch (err) {
        // A gateway never reached is a wrong URL: say so and stop. One that was reached is restarting.
        if (!(err instanceof UnreachableError) || !connected) throw err;
        lost = (lost ?? 0) + 1;
        io.err(`switchboard tail: ${err.message}; retrying every ${interval}ms (try ${lost})\n`);
        await sleep(interval, undefined, { signal: io.signal }).catch(() => undefined);
        continue;
      }
      connected = true;
      if (lost !== undefined) io.err(`switchboard tail: reconnected to ${api.url} after ${lost} failed ${lost === 1 ? 'try' : 'tries'}\n`);
      lost = undefined;
      for (const m of messages) {
        for (const h of m.history.slice(seen.get(m.id) ?? 0)) {
          const event: TailEvent = { id: m.id, route: m.route, at: h.at, event: h.event, status: h.status, cause: h.cause };
          io.out(inv.values.json ? `${JSON.stringify(event)}\n` : `${line(event)}\n`);
          if ((printed += 1) >= maxEvents) return 0;
        }
        seen.set(m.id, m.history.length);
        if (id && until.has(m.status)) return 0;
      }
      await sleep(interval, undefined, { signal: io.signal }).catch(() => undefined);
    }
    return 0;
  },
};
