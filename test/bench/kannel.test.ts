import { describe, expect, it } from 'vitest';
import { kannelConf } from '../../bench/kannel/kannel.js';
import { renderKannel } from '../../bench/kannel/report.js';
import type { KannelSummary } from '../../bench/kannel/run.js';

const meta = { date: '2026-11-29T00:00:00Z', commit: 'abc1234', loadAvgStart: '0.10', loadAvgEnd: '0.20' };
const load = { accepted: 0, durationSec: 10, latencyP50Ms: 1, latencyP99Ms: 2, non2xx: 0, errors: 0, cpuMsPerRequest: 0.1, oneCore: false, split: [] };
const e2e = { messages: 20_000, submitSec: 1, arrived: 20_000, non2xx: 0, errors: 0 };

describe('bench: Kannel', () => {
  it('fills every field of kannel.conf and keeps the file store', () => {
    const conf = kannelConf({ ADMIN_PORT: 1001, SMSBOX_PORT: 1002, SMSC_PORT: 1003, SENDSMS_PORT: 1004, DIR: '/tmp/k' });
    expect(conf).not.toMatch(/@[A-Z_]+@/);
    expect(conf).toMatch(/^store-type = file$/m);
    expect(conf).toMatch(/^sendsms-port = 1004$/m);
    expect(conf).toContain('store-location = "/tmp/k/kannel.store"');
    expect(() => kannelConf({ ADMIN_PORT: 1 })).toThrow(/no value for @SMSBOX_PORT@/);
  });

  it('reports accepts as ours ÷ Kannel and end to end as Kannel time ÷ ours, medians over the rounds', () => {
    const s: KannelSummary = {
      version: '1.4.5',
      settings: { rounds: 3, connections: 50, warmupSec: 2, durationSec: 10, messages: 20_000 },
      accepts: [1, 2, 3].flatMap((round) => [
        { ...load, target: 'kannel' as const, round, acceptsPerSec: 10_000 },
        { ...load, target: 'switchboard' as const, round, acceptsPerSec: [4_000, 5_000, 9_000][round - 1] },
        { ...load, target: 'koa' as const, round, acceptsPerSec: 20_000 },
      ]),
      endToEnd: [1, 2, 3].flatMap((round) => [
        { ...e2e, target: 'kannel' as const, round, endToEndSec: 2, coldSec: 2.5 },
        { ...e2e, target: 'switchboard' as const, round, endToEndSec: [4, 5, 8][round - 1], coldSec: [5, 10, 6][round - 1] },
      ]),
      failures: [],
    };
    const md = renderKannel(s, meta);
    expect(md).toContain('| Accepts/s on a route whose provider does not answer ÷ Kannel sendsms/s | 0.50 (5,000 vs 10,000/s; rounds 0.40, 0.50, 0.90) | ≥ 1.0 | **FAIL** |');
    expect(md).toContain('÷ bare Koa + koa-bodyparser (accept path, no receipts) | 0.25 (5,000 vs 20,000/s');
    expect(md).toContain("| 20,000 messages to the provider, Kannel's time ÷ ours, fsync on (Kannel does not fsync), warm: after 20,000 through the same processes | 0.40 (2.00 s vs 5.00 s; rounds 0.50, 0.40, 0.25) | ≥ 1.0 | **FAIL** |");
    expect(md).toContain('| Same, cold: the first 20,000 from a fresh start | 0.42 (2.50 s vs 6.00 s; rounds 0.50, 0.25, 0.42) | ≥ 1.0 | **FAIL** |');
    expect(md).toContain('| 2 | Switchboard, file store (fsync on) | 5.00 s | 1.00 s | 10.00 s | 0 / 0 |');
    expect(md).not.toContain('fsync off on our side, like Kannel |');
  });

  it('compares both on one core and says what limits the ratio from the runs\' own CPU split', () => {
    const run = (target: 'kannel' | 'switchboard' | 'koa', oneCore: boolean, perSec: number, cpuMs: number, split: [string, number][]) =>
      ({ ...load, target, round: 1, oneCore, acceptsPerSec: perSec, accepted: perSec * 10, cpuMsPerRequest: cpuMs, split: split.map(([part, ms]) => ({ part, seconds: (ms * perSec * 10) / 1000 })) });
    const s: KannelSummary = {
      version: '1.4.5', settings: { rounds: 1, connections: 50, warmupSec: 2, durationSec: 10, messages: 20_000 },
      accepts: [
        run('kannel', false, 10_000, 0.13, [['bearerbox', 0.06], ['smsbox', 0.07]]),
        run('switchboard', false, 5_000, 0.2, [['main thread', 0.15], ['other threads', 0.05]]),
        run('koa', false, 25_000, 0.04, [['main thread', 0.04]]),
        run('switchboard', true, 4_000, 0.25, [['main thread', 0.2], ['other threads', 0.05]]),
        run('kannel', true, 8_000, 0.125, [['bearerbox', 0.05], ['smsbox', 0.075]]),
      ],
      endToEnd: [], failures: [],
    };
    const md = renderKannel(s, meta);
    const said = [
      '| Accepts/s on a route whose provider does not answer ÷ Kannel sendsms/s | 0.50 (5,000 vs 10,000/s; rounds 0.50) |',
      'each on one core (every thread of the server pinned to one CPU with taskset, the load generator to the other) | 0.50 (4,000 vs 8,000/s; rounds 0.50) | ≥ 1.0 | **FAIL** |',
      'Kannel kept its core 100 % busy and Switchboard 100 %',
      'Kannel spent 0.125 ms (bearerbox 0.050 ms, smsbox 0.075 ms), Switchboard 0.250 ms (2.00×)',
      'cost 50 % less CPU, where bare Koa with its body parser alone',
      '0.150 ms of its 0.200 ms per accept were on the main thread (75 %)',
      'took Switchboard from 4,000/s on one core to 5,000/s on both, while Kannel ran at 8,000/s on one core and 10,000/s on both',
      "the main thread's share of an accept under 0.100 ms; and at Kannel's rate, Switchboard's whole CPU per accept would keep 2.00 cores busy, where Kannel used 1.30,",
      '| 1 | Switchboard, file store (fsync on), **one core** | 4,000 | 1 / 2 ms | 0 / 0 | 0.250 ms | main thread 0.200 ms, other threads 0.050 ms |',
    ];
    for (const line of said) expect(md).toContain(line);
  });

  it('says in one line that Kannel was skipped, and still shows what was measured without it', () => {
    const s: KannelSummary = {
      skipped: 'Kannel not installed', settings: { rounds: 1, connections: 50, warmupSec: 2, durationSec: 10, messages: 20_000 },
      accepts: [{ ...load, target: 'switchboard', round: 1, acceptsPerSec: 7_000 }, { ...load, target: 'koa', round: 1, acceptsPerSec: 14_000 }], endToEnd: [], failures: [],
    };
    const md = renderKannel(s, meta);
    expect(md).toContain('**Kannel not installed.**');
    expect(md).toContain('| 0.50 (7,000 vs 14,000/s; rounds 0.50) | ≥ 0.35 | **pass** |');
    expect(md).not.toContain('÷ Kannel sendsms/s |');
  });
});
