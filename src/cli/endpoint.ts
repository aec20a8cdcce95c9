import { dirname, resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { loadConfig } from '../config/load.js';
import { interpolate } from '../config/interpolate.js';
import { ConfigError } from '../errors.js';
import { builtinPlugins } from '../registry.js';

export interface Endpoint {
  url: string;
  /** An API key with the admin scope, or undefined when the file names none. */
  key?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Where the daemon configured by `file` listens, and an admin key to call it with — read the way
 * `start` reads them (`${env:…}`, `${file:…}`, `${cred:…}`). A file that no longer loads as a whole
 * (the edit being reloaded is broken) still names its port and key: then only those are read, and
 * the daemon itself reports what is wrong.
 *
 * @example const { url, key } = await readEndpoint('/etc/switchboard/gateway.yaml', process.env);
 */
export async function readEndpoint(file: string, env: Env): Promise<Endpoint> {
  try {
    const { config } = await loadConfig(file, { env, builtins: builtinPlugins });
    return { url: urlOf(config.server.host, config.server.port), key: config.api.keys.find((k) => k.scopes.includes('admin'))?.key };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const lenient = await readLeniently(file, env).catch(() => undefined);
    if (!lenient) throw err;
    return lenient;
  }
}

async function readLeniently(file: string, env: Env): Promise<Endpoint | undefined> {
  const path = resolve(file);
  const data = parse(await readFile(path, 'utf8')) as { server?: { host?: unknown; port?: unknown }; api?: { keys?: unknown } } | null;
  const host = typeof data?.server?.host === 'string' ? data.server.host : '127.0.0.1';
  const port = data?.server?.port ?? 8080;
  if (typeof port !== 'number') return undefined;
  const keys = Array.isArray(data?.api?.keys) ? (data.api.keys as { key?: unknown; scopes?: unknown }[]) : [];
  const admin = keys.find((k) => Array.isArray(k?.scopes) && k.scopes.includes('admin') && typeof k.key === 'string');
  if (!admin) return { url: urlOf(host, port) };
  const key = interpolate(admin.key as string, { env, baseDir: dirname(path) });
  if (key.errors.length > 0) return undefined;
  return { url: urlOf(host, port), key: key.value };
}

/** A wildcard listen address is reached on loopback. */
export function urlOf(host: string, port: number): string {
  const target = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${target.includes(':') ? `[${target}]` : target}:${port}`;
}
