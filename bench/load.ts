/** Load generation with autocannon: a warm-up, then a fixed-duration measured run. */
import autocannon, { type Result } from 'autocannon';
import { API_KEY, sendBody } from './config.js';
import { runLoad } from './consent-load.js';

export interface LoadResult {
  acceptsPerSec: number;
  accepted: number;
  durationSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  non2xx: number;
  errors: number;
}

const request = (port: number, route?: string) => ({
  url: `http://127.0.0.1:${port}/v1/messages`,
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
  body: sendBody(route),
  timeout: 30,
});

const result = (r: Result): LoadResult => ({
  acceptsPerSec: r['2xx'] / r.duration,
  accepted: r['2xx'],
  durationSec: r.duration,
  latencyP50Ms: r.latency.p50,
  latencyP99Ms: r.latency.p99,
  non2xx: r.non2xx,
  errors: r.errors + r.timeouts,
});

/** `POST /v1/messages` from `connections` keep-alive connections: warm-up, then the measured run. */
export async function measureAccepts(port: number, options: { connections: number; warmupSec: number; durationSec: number; route?: string }, onMeasureStart: () => void = () => {}): Promise<LoadResult> {
  if (options.warmupSec > 0) await autocannon({ ...request(port, options.route), connections: options.connections, duration: options.warmupSec });
  onMeasureStart();
  return result(await autocannon({ ...request(port, options.route), connections: options.connections, duration: options.durationSec }));
}

/**
 * Sends exactly `amount` messages at `ratePerSec` overall (autocannon `overallRate`) and returns
 * the ids the daemon answered with (`202 {id}`), in answer order.
 */
export async function submit(port: number, options: { amount: number; connections: number; ratePerSec: number }): Promise<LoadResult & { ids: string[] }> {
  const ids: string[] = [];
  const { body, ...req } = request(port);
  const r = await autocannon({
    ...req,
    connections: options.connections,
    amount: options.amount,
    overallRate: options.ratePerSec,
    requests: [{
      body,
      onResponse: (status: number, text: string) => {
        if (status === 202) ids.push((JSON.parse(text) as { id: string }).id);
      },
    }],
  });
  return { ...result(r), ids };
}

/**
 * Sends exactly `amount` messages, request i starting i ÷ `ratePerSec` after the first (whichever
 * connection is free takes it), and returns the ids answered, in answer order. Not autocannon's
 * `overallRate`: that sends each second's share as fast as the daemon answers and then waits, so
 * 1,667/s arrived at about 3,700/s for half of every second and their fallbacks came due in the
 * same bunches, unlike the seeded store's evenly spread due times.
 */
export async function submitEvenly(port: number, options: { amount: number; connections: number; ratePerSec: number }): Promise<LoadResult & { ids: string[] }> {
  const ids: string[] = [];
  let non2xx = 0;
  let errors = 0;
  const body = sendBody();
  const r = await runLoad({
    port, path: '/v1/messages', headers: { 'x-api-key': API_KEY }, body: () => body,
    connections: options.connections, amount: options.amount, ratePerSec: options.ratePerSec,
    onAnswer: (a) => {
      if (a.status === 202) ids.push((JSON.parse(a.body) as { id: string }).id);
      else if (a.status === 0) errors += 1;
      else non2xx += 1;
    },
  });
  // To a tenth of a millisecond: autocannon's figures beside these are whole milliseconds.
  const ms = (x: number) => Math.round(x * 10) / 10;
  return { acceptsPerSec: r.perSec, accepted: r.ok, durationSec: r.durationSec, latencyP50Ms: ms(r.latencyP50Ms), latencyP99Ms: ms(r.latencyP99Ms), non2xx, errors, ids };
}

/** `POST /v1/messages` at a fixed overall rate for `durationSec` (no warm-up): latency without a queue of its own. */
export async function paced(port: number, options: { ratePerSec: number; durationSec: number; connections: number; route?: string }): Promise<LoadResult> {
  return result(await autocannon({ ...request(port, options.route), connections: options.connections, overallRate: options.ratePerSec, duration: options.durationSec }));
}

/**
 * The same load split over several servers at once (`connections` shared between them as evenly
 * as it divides): warm-ups together, then the measured runs together. Accepts add up; the latency
 * figures are the worst of the servers' (autocannon keeps no histogram to merge).
 */
export async function measureAcceptsSplit(ports: number[], options: { connections: number; warmupSec: number; durationSec: number; route?: string }, onMeasureStart: () => void = () => {}): Promise<LoadResult & { perServer: LoadResult[] }> {
  const share = (i: number) => Math.floor(options.connections / ports.length) + (i < options.connections % ports.length ? 1 : 0);
  if (options.warmupSec > 0) await Promise.all(ports.map((port, i) => autocannon({ ...request(port, options.route), connections: share(i), duration: options.warmupSec })));
  onMeasureStart();
  const perServer = (await Promise.all(ports.map((port, i) => autocannon({ ...request(port, options.route), connections: share(i), duration: options.durationSec })))).map(result);
  const accepted = perServer.reduce((a, r) => a + r.accepted, 0);
  const durationSec = Math.max(...perServer.map((r) => r.durationSec));
  return {
    acceptsPerSec: perServer.reduce((a, r) => a + r.acceptsPerSec, 0),
    accepted,
    durationSec,
    latencyP50Ms: Math.max(...perServer.map((r) => r.latencyP50Ms)),
    latencyP99Ms: Math.max(...perServer.map((r) => r.latencyP99Ms)),
    non2xx: perServer.reduce((a, r) => a + r.non2xx, 0),
    errors: perServer.reduce((a, r) => a + r.errors, 0),
    perServer,
  };
}
