/**
 * Issue 7's "done when": two real daemons on one PostgreSQL database. A receipt for a message one
 * instance sent lands at the other; one Idempotency-Key posted to both at once makes one message;
 * a list through either shows what either acknowledged; a receipt at one and the step timeout at
 * the other serialize on the message; and when the instance that armed fallback timers dies by
 * `kill -9`, the other fires each of them, once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Message } from '../../src/model.js';
import { createDatabase } from '../helpers/postgres.js';
import { readLedger, type LedgerEntry } from '../soak/ledger-plugin.js';
import { headers, sleep } from '../soak/load.js';
import { drain, eventsOn, getMessage, isAlive, killHard, ownExit, listMessages, startInstance, type Instance } from './fleet.js';

const TOKEN = 'mock-token-0123456789';
const ROUTES = `
providers:
  wa: { plugin: ledger, ledger: "{ledger}", channels: [whatsapp], outcome: none }
  sms: { plugin: ledger, ledger: "{ledger}", channels: [sms], outcome: delivered, after: 100ms }
  held: { plugin: ledger, ledger: "{ledger}", channels: [sms], outcome: none, webhookToken: "${TOKEN}" }
routes:
  default:
    resendUnknown: false
    steps:
      - { channel: whatsapp, providers: [wa], until: delivered, within: 3s }
      - { channel: sms, providers: [sms], until: delivered, within: 30s }
  race:
    steps:
      - { channel: whatsapp, providers: [wa], until: delivered, within: 1s }
      - { channel: sms, providers: [sms], until: delivered, within: 30s }
  fast:
    resendUnknown: false
    steps:
      - { channel: whatsapp, providers: [wa], until: delivered, within: 1s }
      - { channel: sms, providers: [sms], until: delivered, within: 5s }
  quick:
    steps:
      - { channel: sms, providers: [sms], until: delivered, within: 30s }
  held:
    steps:
      - { channel: sms, providers: [held], until: delivered, within: 1m }
`;

const dir = mkdtempSync(join(tmpdir(), 'sb-multi-two-'));
const daemons: Instance[] = [];
let db: { url: string; drop(): Promise<void> };
let a: Instance;
let b: Instance;
let passed = 0;

beforeAll(async () => {
  db = await createDatabase(inject('postgresUrl'));
  // One after the other: the second meets a database the first has already migrated and uses.
  a = await startInstance(dir, 'a', ROUTES, db.url, (d) => daemons.push(d));
  b = await startInstance(dir, 'b', ROUTES, db.url, (d) => daemons.push(d));
}, 100_000);

afterAll(async () => {
  for (const line of daemons.map(ownExit)) if (line) console.log(line);
  for (const d of daemons) await killHard(d);
  await db?.drop();
  if (passed === 5) rmSync(dir, { recursive: true, force: true });
  else console.log(`two instances: configs, ledgers kept in ${dir}\n${daemons.map((d) => `--- ${d.name}\n${d.lines.slice(-40).join('\n')}`).join('\n')}`);
});

async function send(url: string, body: object, key?: string): Promise<Response> {
  return fetch(`${url}/v1/messages`, { method: 'POST', headers: { ...headers, ...(key ? { 'idempotency-key': key } : {}) }, body: JSON.stringify(body), signal: AbortSignal.timeout(15_000) });
}

async function accept(url: string, body: object): Promise<string> {
  const res = await send(url, body);
  const answer = (await res.json()) as { id: string };
  expect(res.status, JSON.stringify(answer)).toBe(202);
  return answer.id;
}

/** Polls `url` until `check` holds for the message, and returns it. */
async function until(url: string, id: string, check: (m: Message) => boolean, timeoutMs: number): Promise<Message> {
  const deadline = performance.now() + timeoutMs;
  let last: Message | undefined;
  while (performance.now() < deadline) {
    last = await getMessage(url, id);
    if (last && check(last)) return last;
    await sleep(100);
  }
  throw new Error(`message ${id} at ${url} did not get there in ${timeoutMs} ms: ${JSON.stringify(last && { status: last.status, attempts: last.attempts, history: last.history })}`);
}

/** Runs `fn` with `d` stopped (SIGSTOP): it holds its connections but claims and does nothing. */
async function whileFrozen<T>(d: Instance, fn: () => Promise<T>): Promise<T> {
  d.child.kill('SIGSTOP');
  try {
    return await fn();
  } finally {
    d.child.kill('SIGCONT');
  }
}

/** Each live instance's `switchboard_webhooks_total` lines: applied, late, parked, duplicate. */
async function webhookCounts(): Promise<string> {
  const lines = await Promise.all(daemons.filter(isAlive).map(async (d) => {
    const text = await (await fetch(`${d.url}/metrics`)).text();
    return text.split('\n').filter((l) => l.startsWith('switchboard_webhooks_total')).map((l) => `${d.name}: ${l}`);
  }));
  return lines.flat().join('\n');
}

const allSends = (): LedgerEntry[] => daemons.flatMap((d) => readLedger(d.ledger));

describe('two instances on one database', () => {
  it('a receipt for a message A sent, posted to B, delivers it (read back through either)', async () => {
    // Any instance may run a send (the route timer goes to whoever claims it): B is frozen until
    // A has sent, so the provider's receipt really lands at the instance that did not send.
    const sent = await whileFrozen(b, async () => {
      const id = await accept(a.url, { route: 'held', to: { sms: '+15550001001' }, content: { text: 'receipt elsewhere' } });
      return until(a.url, id, (m) => m.attempts[0]?.providerMessageId !== undefined, 10_000);
    });
    const id = sent.id;
    expect(readLedger(a.ledger).filter((e) => e.message === id)).toHaveLength(1);
    expect(readLedger(b.ledger).filter((e) => e.message === id)).toHaveLength(0);
    const other = b;

    const receipt = (token: string) => fetch(`${other.url}/webhooks/held/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mock-token': token },
      body: JSON.stringify({ messageId: sent.attempts[0].providerMessageId, status: 'delivered' }),
    });
    // The other instance checks the provider's token like the sender would: a wrong one changes nothing.
    expect((await receipt('wrong-token-000000')).status).toBe(401);
    const res = await receipt(TOKEN);
    expect(res.status, await res.text()).toBe(200);

    const atB = await until(b.url, id, (m) => m.status === 'delivered', 5_000);
    const atA = await until(a.url, id, (m) => m.status === 'delivered', 5_000);
    expect(atA).toEqual(atB);
    expect(atA.attempts).toHaveLength(1);
    expect(atA.attempts[0]).toMatchObject({ status: 'delivered', providerMessageId: sent.attempts[0].providerMessageId });
    expect(atA.attempts[0].receipts.map((r) => r.status)).toEqual(['delivered']);
    passed += 1;
  });

  it('one Idempotency-Key posted to A and B at the same moment makes one message, and both answers carry its id', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const run = `race-${Date.now().toString(36)}`;
    const keys = Array.from({ length: 20 }, (_v, i) => `${run}-${i}`);
    const answers = await Promise.all(keys.map(async (key, i) => {
      const body = { route: 'quick', to: { sms: `+1555002${String(i).padStart(4, '0')}` }, content: { text: `race ${key}` } };
      const both = await Promise.all([a.url, b.url].map(async (url) => {
        const res = await send(url, body, key);
        return { status: res.status, replayed: res.headers.get('idempotent-replayed') === 'true', body: (await res.json()) as { id?: string } };
      }));
      return { key, both };
    }));

    const problems: string[] = [];
    for (const { key, both } of answers) {
      const [atA, atB] = both;
      if (atA.status !== 202 || atB.status !== 202) problems.push(`${key}: answered ${atA.status} ${JSON.stringify(atA.body)} / ${atB.status} ${JSON.stringify(atB.body)}`);
      else if (atA.body.id !== atB.body.id) problems.push(`${key}: two ids, ${atA.body.id} at A and ${atB.body.id} at B`);
      else if (both.filter((x) => !x.replayed).length !== 1) problems.push(`${key}: ${both.filter((x) => !x.replayed).length} answers say they created the message`);
    }
    const created = answers.map(({ both }) => both.findIndex((x) => !x.replayed));
    console.log(`idempotency race: ${keys.length} keys posted to A and B at once; made by A ${created.filter((i) => i === 0).length}, by B ${created.filter((i) => i === 1).length}; problems ${problems.length}`);
    expect(problems, problems.slice(0, 5).join('\n')).toEqual([]);

    // Once they are all final, listed through either instance, each key has one message: the one
    // both answers named, and it reached its provider once, from one instance or the other.
    const ids = new Set(answers.map(({ both }) => both[0].body.id!));
    const { latest, open } = await drain([...ids], () => [a.url, b.url], 10_000);
    expect(open).toEqual([]);
    expect([...latest.values()].every((m) => m.status === 'delivered')).toBe(true);
    for (const [name, url] of [['A', a.url], ['B', b.url]]) {
      const made = new Map<string, string[]>();
      for (const m of (await listMessages(url, since)).values()) if (m.idempotencyKey?.startsWith(run)) made.set(m.idempotencyKey, [...(made.get(m.idempotencyKey) ?? []), m.id]);
      for (const { key, both } of answers) expect(made.get(key), `${key} listed through ${name}`).toEqual([both[0].body.id]);
    }
    const sends = allSends().filter((e) => ids.has(e.message));
    expect(sends).toHaveLength(ids.size);
    passed += 1;
  });

  it('a list through either instance, taken while the messages are being worked, shows every acknowledged one', async () => {
    const omissions: string[] = [];
    let acked = 0;
    for (let round = 0; round < 5; round += 1) {
      const since = new Date(Date.now() - 1000).toISOString();
      const ids = await Promise.all(Array.from({ length: 20 }, (_v, i) => accept(i % 2 ? b.url : a.url, { route: 'quick', to: { sms: `+1555004${round}${String(i).padStart(3, '0')}` }, content: { text: `list ${round}/${i}` } })));
      acked += ids.length;
      // Each was committed before its 202: a list right after must hold it, whoever made it and
      // whatever the instance is doing with it meanwhile.
      for (const [name, url] of [['A', a.url], ['B', b.url]]) {
        const listed = await listMessages(url, since);
        for (const id of ids) {
          if (!listed.has(id)) omissions.push(`round ${round}: ${id} (made by ${ids.indexOf(id) % 2 ? 'B' : 'A'}) not listed through ${name}; GET there: ${(await getMessage(url, id))?.status ?? 'not found'}`);
        }
      }
    }
    console.log(`lists while working: ${acked} acknowledged messages listed through A and B right after their 202s; omissions ${omissions.length}`);
    expect(omissions, omissions.slice(0, 8).join('\n')).toEqual([]);
    passed += 1;
  });

  it('a receipt at one instance and the step timeout at another, at the same moment: one of them ends the step', { timeout: 60_000 }, async () => {
    // Each WhatsApp "delivered" is posted to the instance that did not send it, spread from 150 ms
    // before to 150 ms after the step's 1 s timeout: the two must serialize on the message.
    const ids = await Promise.all(Array.from({ length: 12 }, (_v, i) => accept(i % 2 ? b.url : a.url, { route: 'race', to: { phone: `+155500050${String(i).padStart(2, '0')}` }, content: { text: `race ${i}` } })));
    const posted = new Map<string, string>();
    const answers = await Promise.all(ids.map(async (id, i) => {
      const sent = await until(a.url, id, (m) => m.attempts[0]?.providerMessageId !== undefined && m.steps[0].startedAt !== undefined, 10_000);
      const waBy = readLedger(a.ledger).some((e) => e.message === id && e.channel === 'whatsapp') ? a : b;
      const other = waBy === a ? b : a;
      await sleep(Math.max(0, Date.parse(sent.steps[0].startedAt!) + 1_000 + (i - 5.5) * 27 - Date.now()));
      const at = new Date().toISOString();
      const res = await fetch(`${other.url}/webhooks/wa/status`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messageId: sent.attempts[0].providerMessageId, status: 'delivered' }),
      });
      posted.set(id, `WhatsApp sent by ${waBy.name}, receipt posted to ${other.name} at ${at} (answered ${res.status}); history when the provider id was seen: ${sent.history.map((h) => `${h.event}${h.step ?? ''}`).join(',')}`);
      return res.status;
    }));
    expect(answers.every((code) => code === 200), JSON.stringify(answers)).toBe(true);

    const { latest, open } = await drain(ids, () => [a.url, b.url], 15_000);
    expect(open).toEqual([]);
    const sends = allSends();
    let succeeded = 0;
    for (const id of ids) {
      const m = latest.get(id)!;
      const show = `${JSON.stringify({ id, status: m.status, history: m.history.map((h) => `${h.at.slice(11)} ${h.event}${h.step ?? ''}`) })}\n${posted.get(id)}\n${await webhookCounts()}`;
      const ended = eventsOn(m, 'step_succeeded', 0) + eventsOn(m, 'step_timed_out', 0);
      expect(ended, show).toBe(1);
      expect(m.attempts[0].receipts.map((r) => r.status), show).toEqual(['delivered']);
      const sms = sends.filter((e) => e.message === id && e.channel === 'sms');
      if (eventsOn(m, 'step_succeeded', 0) === 1) {
        succeeded += 1;
        // The receipt won: no fallback, no SMS.
        expect(eventsOn(m, 'fallback', 1), show).toBe(0);
        expect(sms, show).toHaveLength(0);
      } else {
        // The timeout won: the receipt is late, the SMS step runs once.
        expect(eventsOn(m, 'late_receipt', 0), show).toBe(1);
        expect(eventsOn(m, 'fallback', 1), show).toBe(1);
        expect(sms, show).toHaveLength(1);
      }
      expect(m.status, show).toBe('delivered');
    }
    console.log(`receipt vs timeout at two instances: ${ids.length} messages, the receipt won ${succeeded}, the timeout ${ids.length - succeeded}`);
    passed += 1;
  });

  it('kill -9 A while its fallback timers are pending: B fires each once and the SMS step runs', { timeout: 60_000 }, async () => {
    // B is frozen (SIGSTOP) while A accepts and sends, so A alone arms these timers and claims
    // the due ones: one message with ~2 s to go at the kill, and a burst whose 1 s timers fall
    // due around it (some in A's hands when it dies, their lease still running).
    const burst: string[] = [];
    let killedAt = 0;
    const pendingId = await whileFrozen(b, async () => {
      const id = await accept(a.url, { route: 'default', to: { phone: '+15550003000' }, content: { text: 'survive A' } });
      for (let i = 0; i < 8; i += 1) {
        burst.push(await accept(a.url, { route: 'fast', to: { phone: `+155500031${String(i).padStart(2, '0')}` }, content: { text: `burst ${i}` } }));
        await sleep(150);
      }
      const waSent = await until(a.url, id, (m) => m.attempts.length === 1, 5_000);
      expect(waSent.attempts[0]).toMatchObject({ channel: 'whatsapp', step: 0 });
      killedAt = Date.now();
      await killHard(a);
      return id;
    });
    const sendsByA = readLedger(a.ledger);
    expect(isAlive(b), 'B lives on').toBe(true);
    expect(sendsByA.filter((e) => e.message === pendingId).map((e) => e.channel)).toEqual(['whatsapp']);

    const { latest, open, missing, ms } = await drain([pendingId, ...burst], () => [b.url], 20_000);
    const all = [pendingId, ...burst].map((id) => latest.get(id));
    const show = (m: Message | undefined) => JSON.stringify(m && { id: m.id, status: m.status, steps: m.steps.map((s) => s.state), history: m.history.map((h) => `${h.event}${h.step ?? ''}`) });
    expect(missing.size).toBe(0);
    expect(open, all.filter((m) => open.includes(m?.id ?? '')).map(show).join('\n')).toEqual([]);

    // Every WhatsApp step timed out exactly once and handed over to SMS exactly once.
    for (const m of all) {
      expect(eventsOn(m!, 'step_timed_out', 0), show(m)).toBe(1);
      expect(eventsOn(m!, 'fallback', 1), show(m)).toBe(1);
      expect(eventsOn(m!, 'step_started', 1), show(m)).toBe(1);
    }
    const pending = latest.get(pendingId)!;
    expect(pending.status).toBe('delivered');
    expect(pending.attempts.map((x) => x.channel)).toEqual(['whatsapp', 'sms']);
    const timedOutAt = Date.parse(pending.history.find((h) => h.event === 'step_timed_out')!.at);
    const dueAt = Date.parse(pending.steps[0].startedAt!) + 3_000;
    expect(timedOutAt).toBeGreaterThan(killedAt);
    // B fired it within the lease of it falling due (2 s), plus polling slack.
    expect(timedOutAt - dueAt).toBeLessThan(6_000);

    // No provider got a step twice; the pending message's SMS came from B.
    const sends = allSends().filter((e) => e.message === pendingId || burst.includes(e.message));
    const perAttempt = new Map<string, number>();
    for (const e of sends) perAttempt.set(e.attempt, (perAttempt.get(e.attempt) ?? 0) + 1);
    expect([...perAttempt.values()].filter((n) => n > 1)).toEqual([]);
    for (const m of all) {
      expect(sends.filter((e) => e.message === m!.id && e.channel === 'whatsapp'), show(m)).toHaveLength(1);
      expect(sends.filter((e) => e.message === m!.id && e.channel === 'sms').length, show(m)).toBeLessThanOrEqual(1);
    }
    expect(readLedger(b.ledger).filter((e) => e.message === pendingId).map((e) => e.channel)).toEqual(['sms']);

    const mine = new Set([pendingId, ...burst]);
    // A burst timer A had claimed when it died fires only once its lease ran out: a delay near 2 s.
    const burstDelays = burst.map((id) => {
      const m = latest.get(id)!;
      return Date.parse(m.history.find((h) => h.event === 'step_timed_out')!.at) - Date.parse(m.steps[0].startedAt!) - 1_000;
    });
    const burstFiredByB = burst.filter((id) => readLedger(b.ledger).some((e) => e.message === id && e.channel === 'sms')).length;
    console.log([
      `two instances, kill -9 A: ${all.length} messages with a fallback timer, final ${all.length - open.length} in ${ms} ms of draining`,
      `  A sent ${sendsByA.filter((e) => mine.has(e.message)).length} of these before dying; burst SMS steps started by B ${burstFiredByB}/${burst.length}; statuses ${JSON.stringify(all.map((m) => m!.status))}`,
      `  burst timeouts fired (ms after due): ${burstDelays.join(' ')}`,
      `  the 3 s timer pending at the kill fired ${timedOutAt - dueAt} ms after it fell due (${timedOutAt - killedAt} ms after the kill)`,
    ].join('\n'));
    passed += 1;
  });
});
