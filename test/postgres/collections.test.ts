import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { InboundRecord, Message, MessageStatus } from '../../src/model.js';
import { attemptIndex } from '../../src/store/postgres/attempt-index.js';
import { inbound } from '../../src/store/postgres/inbound.js';
import { createMessages, type MessageListQuery } from '../../src/store/postgres/messages.js';
import { withTransaction } from '../../src/store/postgres/unit-of-work.js';
import { inboundRecord, message, migratedDatabase, type TestDatabase } from '../helpers/pg-records.js';

let db: TestDatabase;
const messages = createMessages({ indexKeys: (m) => m.attempts.map((a) => `${a.provider}/${a.providerMessageId}`) });
const T = Date.UTC(2026, 9, 1);
const STATUSES: MessageStatus[] = ['accepted', 'sent', 'delivered', 'failed'];
const ROUTES = ['otp', 'alerts', 'marketing'];

beforeAll(async () => {
  db = await migratedDatabase(inject('postgresUrl'));
});
afterAll(() => db.close());

/** Every page of a list, following `next`; checks no page is longer than asked. */
async function pages<T extends { id: string }>(list: (before?: string) => Promise<{ items: T[]; next?: string }>, size: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let before: string | undefined;
  let count = 0;
  for (;;) {
    const page = await list(before);
    count++;
    expect(page.items.length).toBeLessThanOrEqual(size);
    ids.push(...page.items.map((r) => r.id));
    if (!page.next) return { ids, pages: count };
    before = page.next;
  }
}

const newestFirst = (records: { id: string }[]) => records.map((r) => r.id).sort().reverse();

describe('messages', () => {
  it('upsert keeps the list columns in step, and the attempt index finds the message', async () => {
    const m = message(T - 1000, { status: 'accepted', route: 'otp', providerMessageId: 'SM1' });
    await withTransaction(db.pool, (tx) => messages.put(tx, m));
    const sent: Message = { ...m, status: 'sent', attempts: [...m.attempts, { ...m.attempts[0], id: `${m.id}.1`, providerMessageId: 'SM2' }] };
    await withTransaction(db.pool, (tx) => messages.put(tx, sent));
    expect(await messages.get(db.pool, m.id)).toEqual(sent);
    expect((await messages.list(db.pool, { status: 'accepted', limit: 10 })).items).toEqual([]);
    expect((await messages.list(db.pool, { status: 'sent', route: 'otp', limit: 10 })).items.map((r) => r.id)).toEqual([m.id]);
    expect(await attemptIndex.get(db.pool, 'mock/SM1')).toBe(m.id);
    expect(await attemptIndex.get(db.pool, 'mock/SM2')).toBe(m.id);
    expect(await messages.get(db.pool, 'nope')).toBeUndefined();
    // A literal backslash before u0000 is text, not a NUL; jsonb takes it.
    const literal = { ...message(T - 999), content: { text: 'C:\\u0000 is fine' } };
    await withTransaction(db.pool, (tx) => messages.put(tx, literal));
    expect((await messages.get(db.pool, literal.id))!.content.text).toBe('C:\\u0000 is fine');
    await expect(messages.put(db.pool, { ...m, id: 'not-a-ulid' })).rejects.toMatchObject({ code: 'validation_failed' });
    await db.pool.query('DELETE FROM messages');
  });

  it('filters and cursors page through 1,000 messages exactly, newest first', async () => {
    const all = Array.from({ length: 1000 }, (_, i) =>
      message(T + i * 1000 + (i % 7), { status: STATUSES[i % 4], route: ROUTES[i % 3], providerMessageId: `p${i}` }));
    // Upserts as the engine will make them: one small transaction each, 8 at a time.
    const started = performance.now();
    for (let i = 0; i < all.length; i += 8) {
      await Promise.all(all.slice(i, i + 8).map((m) => withTransaction(db.pool, (tx) => messages.put(tx, m))));
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(`postgres messages: 1,000 upserts (one transaction each, 8 concurrent, with attempt keys) in ${(seconds * 1000).toFixed(0)} ms = ${(1000 / seconds).toFixed(0)} upserts/s`);

    const cases: [string, Omit<MessageListQuery, 'limit' | 'before'>, (m: Message) => boolean][] = [
      ['all', {}, () => true],
      ['status', { status: 'delivered' }, (m) => m.status === 'delivered'],
      ['route', { route: 'alerts' }, (m) => m.route === 'alerts'],
      ['both', { status: 'failed', route: 'otp' }, (m) => m.status === 'failed' && m.route === 'otp'],
      ['since', { since: T + 600_000, route: 'marketing' }, (m) => Date.parse(m.createdAt) >= T + 600_000 && m.route === 'marketing'],
      ['none', { route: 'no-such-route' }, () => false],
    ];
    const listStarted = performance.now();
    let pageCount = 0;
    for (const [name, filter, keep] of cases) {
      const got = await pages((before) => messages.list(db.pool, { ...filter, before, limit: 37 }), 37);
      pageCount += got.pages;
      expect(got.ids, name).toEqual(newestFirst(all.filter(keep)));
    }
    const ms = performance.now() - listStarted;
    console.log(`postgres messages: ${pageCount} list pages of 37 (6 filters) in ${ms.toFixed(0)} ms = ${(ms / pageCount).toFixed(2)} ms/page`);

    // A page exactly at the end says there is no more; limit 0 is an empty page.
    const exact = await messages.list(db.pool, { route: 'otp', status: 'failed', limit: all.filter((m) => m.route === 'otp' && m.status === 'failed').length });
    expect(exact.next).toBeUndefined();
    expect(await messages.list(db.pool, { limit: 0 })).toEqual({ items: [] });
  });

  it('answers a filtered list from its index (no scan of the table)', async () => {
    await db.pool.query('ANALYZE messages');
    const { rows } = await db.pool.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT body FROM messages WHERE status = 'read' ORDER BY id COLLATE "C" DESC LIMIT 51`);
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/messages_status_id/);
    expect(plan).not.toMatch(/Seq Scan/);
  });
});

describe('inbound', () => {
  it('lists by instance, channel, sender and time, paging exactly', async () => {
    const instances = ['twilio-us', 'bandwidth'];
    const channels: InboundRecord['channel'][] = ['sms', 'whatsapp', 'mms'];
    const all = Array.from({ length: 300 }, (_, i) =>
      inboundRecord(T + i * 500, { instance: instances[i % 2], channel: channels[i % 3], from: `+1555010${i % 5}` }));
    await withTransaction(db.pool, async (tx) => {
      for (const r of all) await inbound.put(tx, r);
    });
    expect(await inbound.get(db.pool, all[7].id)).toEqual(all[7]);
    const cases: [Parameters<typeof inbound.list>[1], (r: InboundRecord) => boolean][] = [
      [{ limit: 20 }, () => true],
      [{ limit: 20, instance: 'bandwidth' }, (r) => r.instance === 'bandwidth'],
      [{ limit: 20, instance: 'twilio-us', channel: 'whatsapp' }, (r) => r.instance === 'twilio-us' && r.channel === 'whatsapp'],
      [{ limit: 20, from: '+15550103', since: T + 50_000 }, (r) => r.from === '+15550103' && Date.parse(r.receivedAt) >= T + 50_000],
    ];
    for (const [query, keep] of cases) {
      const got = await pages((before) => inbound.list(db.pool, { ...query, before }), 20);
      expect(got.ids).toEqual(newestFirst(all.filter(keep)));
    }
  });
});
