import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnDaemon, type Daemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/gateway.js';

/**
 * The README's "WhatsApp consent and STOP" flow, step by step, against a daemon process started
 * on docs/examples/consent.yaml itself — only the port, the state folder and the hold shortened.
 */
const KEY = 'dev-key-change-me';
const ANA = '+15551230001';
const BEN = '+15551230002';
const WA_NUMBER = '+14155550100';
const SMS_NUMBER = '+14155550199';
const HOLD = '2s';

function exampleConfig(): string {
  let text = readFileSync('docs/examples/consent.yaml', 'utf8');
  for (const [from, to] of [['port: 8081', 'port: 0'], ['hold: 30s', `hold: ${HOLD}`]]) {
    if (!text.includes(from)) throw new Error(`docs/examples/consent.yaml no longer has "${from}": update this test with it`);
    text = text.replace(from, to);
  }
  return text;
}

interface Attempt { step: number; channel: string; provider: string; status: string; purpose?: string; details?: Record<string, unknown> }
interface Message { status: string; steps: { state: string }[]; attempts: Attempt[]; history: { event: string; cause?: string }[] }

describe('the README consent flow against a daemon (issue 8, "Done when")', () => {
  let daemon: Daemon;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-consent-'));
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, exampleConfig());
    // tsx compiles the sources at start: on a loaded 2-core machine that can take a while.
    daemon = await spawnDaemon(file, { STATE_DIRECTORY: join(dir, 'data') }, 60_000);
  }, 70_000);
  afterAll(async () => {
    daemon?.child.kill('SIGKILL');
    await daemon?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  const headers = { 'x-api-key': KEY, 'content-type': 'application/json' };
  async function post(path: string, body: unknown, auth = true): Promise<Response> {
    return fetch(`${daemon.url}${path}`, { method: 'POST', headers: auth ? headers : { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }
  async function accepted(path: string, body: unknown): Promise<string> {
    const res = await post(path, body);
    expect(res.status).toBe(202);
    const answer = (await res.json()) as { id: string; status: string };
    expect(answer.status).toBe('accepted');
    return answer.id;
  }
  async function get(id: string): Promise<Message> {
    const res = await fetch(`${daemon.url}/v1/messages/${id}`, { headers });
    expect(res.status).toBe(200);
    return (await res.json()) as Message;
  }
  const until = (id: string, check: (m: Message) => void, timeoutMs = 10_000) => eventually(async () => {
    const m = await get(id);
    check(m);
    return m;
  }, timeoutMs);
  const notify = (phone: string) => accepted('/v1/messages', { route: 'notify', to: { phone }, content: { text: 'Your order has shipped' } });
  const optIns = (m: Message) => m.attempts.filter((a) => a.purpose === 'optin');

  let anaMessage: string;

  it('1. a send to a user who never wrote is held, and the opt-in template goes out from the business number', async () => {
    anaMessage = await notify(ANA);
    // The template's attempt is stored before its send; the provider's answer adds the sender.
    const m = await until(anaMessage, (got) => {
      expect(got.status).toBe('held');
      expect(optIns(got)).toEqual([expect.objectContaining({ step: 0, channel: 'whatsapp', provider: 'mock-wa', details: { from: WA_NUMBER } })]);
    });
    expect(m.history.some((h) => h.event === 'step_held')).toBe(true);
  });

  it('2. the user\'s reply to the mock\'s inbound webhook releases it, and it is delivered', async () => {
    const reply = await post('/webhooks/mock-wa/inbound', { from: ANA, to: WA_NUMBER, text: 'Hi!', channel: 'whatsapp' }, false);
    expect(reply.status).toBe(200);
    const m = await until(anaMessage, (got) => expect(got.status).toBe('delivered'));
    expect(m.history.some((h) => h.event === 'released')).toBe(true);
    expect(m.attempts.filter((a) => a.purpose !== 'optin')).toEqual([expect.objectContaining({ channel: 'whatsapp', status: 'delivered' })]);
  });

  it('3. a second user\'s message expires into SMS after the shortened hold, with the reason', async () => {
    const id = await notify(BEN);
    await until(id, (got) => expect(got.status).toBe('held'));
    const m = await until(id, (got) => expect(got.status).toBe('delivered'), 15_000);
    expect(m.attempts.filter((a) => a.purpose !== 'optin')).toEqual([expect.objectContaining({ channel: 'sms', provider: 'mock-sms', status: 'delivered' })]);
    expect(m.history.map((h) => h.cause ?? '').join('\n')).toContain(`no reply within ${HOLD}`);
  });

  it('4. STOP from the user to the SMS number makes the next send skip SMS', async () => {
    const stop = await post('/webhooks/mock-sms/inbound', { from: BEN, to: SMS_NUMBER, text: 'STOP', channel: 'sms' }, false);
    expect(stop.status).toBe(200);
    const id = await accepted('/v1/sendSMS', { destination_number: BEN, message_body: 'Your order has shipped' });
    const m = await until(id, (got) => expect(got.steps[0].state).toBe('skipped'));
    expect(m.attempts).toEqual([]);
    expect(m.history.map((h) => h.cause ?? '').join('\n')).toMatch(/suppressed: STOP/);
  });

  it('5. /v1/sendWhatsApp with x-api-key: the user whose window is open gets it at once, no template', async () => {
    expect((await post('/v1/sendWhatsApp', { destination_number: ANA, message_body: 'Out for delivery' }, false)).status).toBe(401);
    const id = await accepted('/v1/sendWhatsApp', { destination_number: ANA, message_body: 'Out for delivery' });
    const m = await until(id, (got) => expect(got.status).toBe('delivered'));
    expect(optIns(m)).toEqual([]);
    expect(m.attempts).toEqual([expect.objectContaining({ channel: 'whatsapp', status: 'delivered' })]);
  });
});
