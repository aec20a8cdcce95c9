/**
 * `kill -9` with held messages (the file store, a real daemon): after a restart a held message is
 * still released by the user's reply, and a hold that ran out while the daemon was down expires
 * at start.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/model.js';
import { spawnDaemon, type Daemon } from '../helpers/daemon.js';
import { API_KEY, eventually } from '../helpers/gateway.js';
import { BUSINESS, consentConfig } from './setup.js';

const headers = { 'x-api-key': API_KEY, 'content-type': 'application/json' };

describe('consent holds across kill -9', () => {
  const daemons: Daemon[] = [];
  let dir: string | undefined;
  afterEach(async () => {
    for (const d of daemons.splice(0)) {
      d.child.kill('SIGKILL');
      await d.exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function start(file: string): Promise<Daemon> {
    // A loaded machine (the full suite) can take long to start a daemon.
    const d = await spawnDaemon(file, {}, 45_000);
    daemons.push(d);
    return d;
  }

  async function send(d: Daemon, user: string, route: string): Promise<string> {
    const res = await fetch(`${d.url}/v1/messages`, { method: 'POST', headers, body: JSON.stringify({ route, to: { phone: user }, content: { text: 'held for you' } }) });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  }

  const get = async (d: Daemon, id: string) => (await (await fetch(`${d.url}/v1/messages/${id}`, { headers })).json()) as Message;

  it('a held message is released after a restart; a hold that ran out while down expires at start', { timeout: 150_000 }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-consent-'));
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, consentConfig({ hold: '10m', strictHold: '2s', wa: 'outcome: delivered, after: 50ms' }).replace('log: { level: debug }', 'log: { level: info }'));
    const user = '+15553330001';
    const first = await start(file);
    const waiting = await send(first, user, 'notify');
    const strict = await send(first, user, 'strict');
    await eventually(async () => {
      expect((await get(first, waiting)).status).toBe('held');
      expect((await get(first, strict)).status).toBe('held');
    }, 10_000);
    first.child.kill('SIGKILL');
    await first.exited;
    await new Promise((r) => setTimeout(r, 2500));

    const second = await start(file);
    await eventually(async () => expect((await get(second, strict)).status).toBe('expired'), 10_000);
    expect((await get(second, waiting)).status).toBe('held');
    const res = await fetch(`${second.url}/webhooks/wa/inbound`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: `whatsapp:${user}`, to: BUSINESS, text: 'ok', channel: 'whatsapp' }) });
    expect(res.status).toBe(200);
    const m = await eventually(async () => {
      const got = await get(second, waiting);
      expect(got.status).toBe('delivered');
      return got;
    }, 10_000);
    expect(m.attempts.map((a) => [a.channel, a.purpose ?? 'message'])).toEqual([['whatsapp', 'optin'], ['whatsapp', 'message']]);
    expect(m.history.find((h) => h.event === 'released')?.cause).toMatch(/^consent: the user replied/);
  });
});
