/** The timer phase's submission: evenly paced (not each second's share at once), ids in answer order. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { submitEvenly } from '../../bench/load.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** Answers `202 {id}` (every fifth request 503), noting when each request arrived. */
async function recorder(arrivals: number[]): Promise<number> {
  let n = 0;
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      arrivals.push(performance.now());
      n += 1;
      if (n % 5 === 0) res.writeHead(503).end();
      else res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `m${n}` }));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('submitEvenly', () => {
  it('starts request i no earlier than i ÷ rate, from more connections than it needs', async () => {
    const arrivals: number[] = [];
    const port = await recorder(arrivals);
    const start = performance.now();
    const r = await submitEvenly(port, { amount: 60, connections: 50, ratePerSec: 200 });
    expect(arrivals).toHaveLength(60);
    // The last starts 59 ÷ 200 s after the first; a burst would have sent all 60 at once.
    expect(arrivals[59] - start).toBeGreaterThanOrEqual(280);
    expect(arrivals.filter((t) => t - start < 100).length).toBeLessThanOrEqual(25);
    expect(r.accepted).toBe(48);
    expect(r.non2xx).toBe(12);
    expect(r.errors).toBe(0);
    expect(r.ids).toHaveLength(48);
    expect(new Set(r.ids).size).toBe(48);
    expect(Number(r.latencyP99Ms.toFixed(1))).toBe(r.latencyP99Ms);
  });
});
