import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import cron from 'node-cron';
import { parseDuration } from './duration.js';
import type { GatewayConfig } from './types.js';

type Located = (path: readonly (string | number)[], message: string) => void;

/** How long an idempotency key is kept; the message it names must outlive it. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/** Messages are stored in hourly files and retention deletes whole files: a record can go an hour early. */
const PARTITION_MS = 3_600_000;

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const ms = (d: string): number => parseDuration(d) ?? 0;

/**
 * What `start` does with `server:` that the schema cannot see: Node refuses a headers timeout longer
 * than the request timeout, and a zero timeout would mean "never" — the slow-client hole.
 */
export function checkServer(config: GatewayConfig, at: Located): void {
  const { server } = config;
  if (isIP(server.host) === 0 && !HOSTNAME.test(server.host)) {
    at(['server', 'host'], `server.host: "${server.host}" is neither an IP address nor a host name`);
  }
  for (const key of ['requestTimeout', 'headersTimeout', 'keepAliveTimeout'] as const) {
    if (ms(server[key]) <= 0) at(['server', key], `server.${key}: must be longer than 0`);
  }
  if (ms(server.headersTimeout) > ms(server.requestTimeout)) {
    at(['server', 'headersTimeout'], `server.headersTimeout: ${server.headersTimeout} is longer than server.requestTimeout (${server.requestTimeout})`);
  }
}

/**
 * The store settings `start` relies on: a schedule node-cron accepts, a path that can be a folder,
 * and a retention that outlives every record live state can still point to (issue 6 item 12).
 */
export function checkStore(config: GatewayConfig, baseDir: string, at: Located): void {
  const { store } = config;
  const cronCheck = cron.validateDetailed(store.maintenance);
  if (!cronCheck.valid) {
    const why = cronCheck.errors.map((e) => e.message).join('; ');
    at(['store', 'maintenance'], `store.maintenance: "${store.maintenance}" is not a cron schedule (${why || 'invalid'}); e.g. "17 3 * * *"`);
  }

  if (store.kind === 'postgres') checkDatabaseUrl(store.url, at);

  const path = resolve(baseDir, store.path);
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat && !stat.isDirectory()) at(['store', 'path'], `store.path: ${path} exists and is not a folder`);

  const { needMs, why } = retentionNeeded(config);
  if (ms(store.retention) < needMs) {
    at(['store', 'retention'], `store.retention: ${store.retention} is shorter than live state needs (${formatHours(needMs)}: ${why}, plus one hourly file)`);
  }
}

/** `store.url` must be there for `kind: postgres`, and be a PostgreSQL URL (never echoed: it may hold a password). */
function checkDatabaseUrl(url: string | undefined, at: Located): void {
  if (url === undefined || url === '') {
    at(['store'], 'store.url: required when store.kind is postgres, e.g. url: "${env:DATABASE_URL}"');
    return;
  }
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    at(['store', 'url'], 'store.url: expected postgres://user:password@host:5432/database');
  }
}

/** The longest a stored message must stay readable, and which setting asks for it. */
export function retentionNeeded(config: GatewayConfig): { needMs: number; why: string } {
  let needMs = IDEMPOTENCY_TTL_MS;
  let why = 'idempotency keys live 24h';
  const maxAge = ms(config.callbacks.maxAge);
  for (const [name, route] of Object.entries(config.routes)) {
    const waits = route.steps.map((s) => ms(s.within));
    // A fallback route can wait out every step in turn; a broadcast one waits for its longest step.
    const total = route.mode === 'broadcast' ? Math.max(...waits) : waits.reduce((a, b) => a + b, 0);
    if (total + maxAge > needMs) {
      needMs = total + maxAge;
      why = `route ${name} waits up to ${formatHours(total)} and callbacks retry for callbacks.maxAge ${config.callbacks.maxAge}`;
    }
  }
  return { needMs: needMs + PARTITION_MS, why };
}

/** `25h35s`: whole units, no zero parts, seconds rounded up. */
function formatHours(msValue: number): string {
  let seconds = Math.ceil(msValue / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(seconds / size);
    seconds -= n * size;
    if (n > 0) parts.push(`${n}${unit}`);
  }
  return parts.join('') || '0s';
}
