import type { HttpResponse } from '../../src/plugin-api.js';
import { isObject } from './json.js';

/** What one message of a batch got: the answer to its request, and its own entry in that answer. */
export interface BatchAnswer {
  res: HttpResponse;
  one: Record<string, unknown> | undefined;
}

/** Posts `messages` as one `POST /sms/3/messages` body. */
type Post = (messages: readonly Record<string, unknown>[], signal: AbortSignal) => Promise<HttpResponse>;

interface Waiting {
  message: Record<string, unknown>;
  /** The `messageId` asked for, by which its entry in the answer is found. */
  id: string;
  resolve: (answer: BatchAnswer) => void;
  reject: (err: unknown) => void;
}

// Answers that refuse a request as a whole for what may be the fault of one message in it: each
// message is then asked again on its own, so one bad number does not fail the messages beside it.
// Auth, rate and server errors are the account's or Infobip's, and are everyone's answer as they are.
const SPLIT_ON = new Set([400, 413, 422]);

function entriesOf(text: string): Record<string, unknown>[] {
  try {
    const data: unknown = JSON.parse(text);
    return isObject(data) && Array.isArray(data.messages) ? data.messages.filter(isObject) : [];
  } catch {
    return [];
  }
}

/**
 * Sends made in one turn of the event loop go to Infobip together: one `POST /sms/3/messages`
 * carries up to `max` of them, as Infobip's API allows, where a request each would cost both ends
 * a whole HTTP exchange per message. Only sends under the same abort signal share a request (the
 * engine gives the sends of one window the same one), so a caller's deadline still bounds its own
 * request. Each caller gets the whole answer and its own entry, found by the `messageId` it asked
 * for (or by position when the answer names none).
 *
 * @example
 *   const batch = createSmsBatcher((messages, signal) => post({ messages }, signal), 50);
 *   const { res, one } = await batch(body.messages[0], attemptId, signal);
 */
export function createSmsBatcher(post: Post, max: number) {
  let open = new Map<AbortSignal, Waiting[]>();
  let scheduled = false;

  async function deliver(signal: AbortSignal, group: Waiting[]): Promise<void> {
    let res: HttpResponse;
    try {
      res = await post(group.map((w) => w.message), signal);
    } catch (err) {
      for (const w of group) w.reject(err);
      return;
    }
    if (group.length > 1 && SPLIT_ON.has(res.status)) {
      for (const w of group) void deliver(signal, [w]);
      return;
    }
    const entries = res.status >= 200 && res.status < 300 ? entriesOf(res.text) : [];
    const byId = new Map(entries.flatMap((e) => (typeof e.messageId === 'string' ? [[e.messageId, e] as const] : [])));
    const byPosition = entries.length === group.length;
    group.forEach((w, i) => w.resolve({ res, one: byId.get(w.id) ?? (byPosition ? entries[i] : undefined) }));
  }

  function flush(): void {
    scheduled = false;
    const groups = open;
    open = new Map();
    for (const [signal, waiting] of groups) {
      for (let i = 0; i < waiting.length; i += max) void deliver(signal, waiting.slice(i, i + max));
    }
  }

  return function send(message: Record<string, unknown>, id: string, signal: AbortSignal): Promise<BatchAnswer> {
    return new Promise<BatchAnswer>((resolve, reject) => {
      let group = open.get(signal);
      if (group === undefined) {
        group = [];
        open.set(signal, group);
      }
      group.push({ message, id, resolve, reject });
      // setImmediate: every send this turn's I/O and promise callbacks make joins the request.
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
  };
}
