import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { killDaemonsAfterEach, spawnDaemon, type Daemon } from '../helpers/daemon.js';
import { API_KEY, eventually, fallbackDaemonConfig } from '../helpers/gateway.js';

const YAML = fallbackDaemonConfig('2s');

const headers = { 'x-api-key': API_KEY, 'content-type': 'application/json' };

describe('the daemon as a process', () => {
  const { daemons, cleanups } = killDaemonsAfterEach();

  function setup(): string {
    const dir = mkdtempSync(join(tmpdir(), 'sb-daemon-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, YAML);
    return file;
  }

  async function start(file: string): Promise<Daemon> {
    const d = await spawnDaemon(file);
    daemons.push(d);
    return d;
  }

  async function send(d: Daemon): Promise<string> {
    const res = await fetch(`${d.url}/v1/messages`, { method: 'POST', headers, body: JSON.stringify({ route: 'default', to: { phone: '+15551230009' }, content: { text: 'hi' } }) });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  }

  const get = async (d: Daemon, id: string) => (await (await fetch(`${d.url}/v1/messages/${id}`, { headers })).json()) as {
    status: string; attempts: { channel: string; status: string }[]; history: { event: string; cause?: string }[];
  };

  it('kill -9 with a fallback pending: after a restart the fallback still happens', async () => {
    const file = setup();
    const first = await start(file);
    const id = await send(first);
    await eventually(async () => expect((await get(first, id)).attempts).toEqual([expect.objectContaining({ channel: 'whatsapp', status: 'queued' })]));
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await start(file);
    const m = await eventually(async () => {
      const got = await get(second, id);
      expect(got.status).toBe('delivered');
      return got;
    }, 10_000);
    expect(m.attempts.map((a) => a.channel)).toEqual(['whatsapp', 'sms']);
    expect(m.history.find((h) => h.event === 'fallback')?.cause).toBe('fallback: no delivered receipt within 2s');
    const metrics = await (await fetch(`${second.url}/metrics`)).text();
    expect(metrics).toMatch(/switchboard_fallbacks_total\{route="default",from_channel="whatsapp",to_channel="sms",reason="timeout"\} 1/);
  });

  it('SIGHUP with a broken file is refused with line:col and sends keep working; a fixed file loads', async () => {
    const file = setup();
    const d = await start(file);
    writeFileSync(file, readFileSync(file, 'utf8').replace('within: 2s', 'within: 2 s'));
    d.child.kill('SIGHUP');
    await eventually(() => expect(d.lines.join('\n')).toMatch(/reload refused.*gateway\.yaml:\d+:\d+: routes\.default\.steps\.0\.within|gateway\.yaml:\d+:\d+: routes\.default\.steps\.0\.within.*reload refused/), 10_000);
    await send(d);
    let metrics = await (await fetch(`${d.url}/metrics`)).text();
    expect(metrics).toMatch(/switchboard_config_last_reload_successful 0/);

    writeFileSync(file, readFileSync(file, 'utf8').replace('within: 2 s', 'within: 3s'));
    d.child.kill('SIGHUP');
    await eventually(() => expect(d.lines.join('\n')).toContain('configuration reloaded'), 10_000);
    metrics = await (await fetch(`${d.url}/metrics`)).text();
    expect(metrics).toMatch(/switchboard_config_last_reload_successful 1/);
  });
});
