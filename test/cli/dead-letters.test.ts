import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/model.js';
import { DELIVERING_SMS_BODY, READ_KEY, configText, eventually } from '../helpers/gateway.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { useCliGateway } from './harness.js';

// A callback receiver that answers 410 gives up at once: one dead letter per status change.
const YAML = configText(DELIVERING_SMS_BODY, 'retry: { initial: 50ms, max: 200ms, attempts: 3 }', { callbacks: "maxAge: 1500ms, allowedHosts: ['127.0.0.1']" });

describe('switchboard dead-letters', () => {
  const h = useCliGateway(YAML, 'each');
  let hook: Receiver;
  let answer = 410;
  beforeEach(async () => {
    answer = 410;
    hook = await startReceiver(() => answer);
  });
  afterEach(() => hook.close());

  /** Sends a message whose status callbacks (routing, delivered) both die: two dead letters. */
  async function deadLetters(): Promise<DeadLetter[]> {
    const sent = await h().cli(['send', '--to', 'sms=+15551234567', '--text', 'hi', '--callback-url', hook.url]);
    expect(sent.code).toBe(0);
    return eventually(() => {
      expect(h().gw.app.store.deadLetters.size).toBe(2);
      return [...h().gw.app.store.deadLetters.values()];
    });
  }

  it('list shows them as a table and as JSON; it needs an admin key', async () => {
    const dead = await deadLetters();
    const table = await h().cli(['dead-letters']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +AT +KIND +MESSAGE +REASON$/);
    expect(lines.slice(1).map((l) => l.split(/ +/)[0]).sort()).toEqual(dead.map((d) => d.id).sort());
    for (const row of lines.slice(1)) expect(row).toMatch(/ callback +[0-9A-Z]{26} +HTTP 410 after 1 tries$/);

    const json = JSON.parse((await h().cli(['dead-letters', 'list', '--json'])).stdout) as { items: DeadLetter[] };
    expect(json.items.map((d) => d.id).sort()).toEqual(dead.map((d) => d.id).sort());

    const reader = await h().cli(['dead-letters', 'list'], { SWITCHBOARD_API_KEY: READ_KEY });
    expect(reader.code).toBe(1);
    expect(reader.stderr).toMatch(/^switchboard dead-letters: GET \/v1\/dead-letters refused \(403 [a-z_]+\)/);
  });

  it('replay --all re-sends every one with a progress line, and they leave the dead letters', async () => {
    await deadLetters();
    answer = 200;
    const before = hook.received.length;
    const replay = await h().cli(['dead-letters', 'replay', '--all']);
    expect(replay).toMatchObject({ code: 0, stdout: 'replayed: 2 of 2\n' });
    expect(replay.stderr).toBe('\rreplayed: 1/2\rreplayed: 2/2\n');
    await eventually(() => expect(hook.received.length).toBe(before + 2));
    const statuses = hook.received.slice(before).map((r) => (JSON.parse(r.body) as { status: string }).status).sort();
    expect(statuses).toEqual(['delivered', 'routing']);
    await eventually(() => expect(h().gw.app.store.deadLetters.size).toBe(0));
  });

  it('replay and delete by id; an unknown id fails that one only, exit 1', async () => {
    const [first, second] = await deadLetters();
    answer = 200;
    const missing = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
    const before = hook.received.length;
    const replay = await h().cli(['dead-letters', 'replay', first.id, missing, '--json']);
    expect(replay.code).toBe(1);
    expect(JSON.parse(replay.stdout)).toEqual({ replayed: [first.id], failed: [{ id: missing, error: expect.stringContaining('404 not_found') }] });
    await eventually(() => expect(hook.received.slice(before).map((r) => r.body)).toEqual([first.job.body]));

    const del = await h().cli(['dead-letters', 'delete', second.id]);
    expect(del).toMatchObject({ code: 0, stdout: 'deleted: 1 of 1\n', stderr: '' });
    expect(h().gw.app.store.deadLetters.get(second.id)).toBeUndefined();

    const neither = await h().cli(['dead-letters', 'replay']);
    expect(neither).toEqual({ code: 2, stdout: '', stderr: 'switchboard dead-letters: replay: give the ids, or --all (see switchboard dead-letters --help)\n' });
    expect((await h().cli(['dead-letters', 'resurrect'])).code).toBe(2);
  });
});
