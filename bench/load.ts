/** Load generation with autocannon: a warm-up, then a fixed-duration measured run. */
import autocannon from 'autocannon';
import { API_KEY, SEND_BODY } from './config.js';

export interface LoadResult {
  acceptsPerSec: number;
  accepted: number;
  durationSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  non2xx: number;
  errors: number;
}

const request = (port: number) => ({
  url: `http://127.0.0.1:${port}/v1/messages`,
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
  body: SEND_BODY,
  timeout: 30,
});

/** `POST /v1/messages` from `connections` keep-alive connections: warm-up, then the measured run. */
export async function measureAccepts(port: number, options: { connections: number; warmupSec: number; durationSec: number }, onMeasureStart: () => void = () => {}): Promise<LoadResult> {
  if (options.warmupSec > 0) await autocannon({ ...request(port), connections: options.connections, duration: options.warmupSec });
  onMeasureStart();
  const r = await autocannon({ ...request(port), connections: options.connections, duration: options.durationSec });
  return {
    acceptsPerSec: r['2xx'] / r.duration,
    accepted: r['2xx'],
    durationSec: r.duration,
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

/** Sends exactly `amount` messages as fast as the server takes them. */
export async function submit(port: number, options: { amount: number; connections: number }): Promise<LoadResult> {
  const r = await autocannon({ ...request(port), connections: options.connections, amount: options.amount });
  return {
    acceptsPerSec: r['2xx'] / r.duration,
    accepted: r['2xx'],
    durationSec: r.duration,
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}
