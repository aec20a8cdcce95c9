import { ConfigError } from '../errors.js';
import { readEndpoint } from './endpoint.js';

export interface ReloadIo {
  env: Readonly<Record<string, string | undefined>>;
  out: (text: string) => void;
  err: (text: string) => void;
}

interface ReloadAnswer {
  status?: string;
  configHash?: string;
  restartRequired?: string[];
  code?: string;
  message?: string;
  details?: unknown;
}

/** A reload builds every provider; give it time, but do not hang `systemctl reload` forever. */
const TIMEOUT_MS = 60_000;

/**
 * `switchboard reload [--config FILE] [--url URL]`: asks the running daemon to reload through
 * `POST /-/reload` with an admin key from the config, prints the outcome, and returns 0 only when
 * the new configuration was accepted — so `systemctl reload` (ExecReload) fails on a refused file.
 *
 * @example process.exitCode = await reloadCommand({ file: 'gateway.yaml' }, { env: process.env, out, err });
 */
export async function reloadCommand(options: { file: string; url?: string }, io: ReloadIo): Promise<number> {
  let endpoint;
  try {
    endpoint = await readEndpoint(options.file, io.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(`${err.errors.join('\n')}\nnot reloaded: cannot find the gateway's address and admin key in ${options.file}\n`);
    return 1;
  }
  if (!endpoint.key) {
    io.err(`not reloaded: ${options.file} has no API key with the admin scope, which POST /-/reload needs\n`);
    return 1;
  }
  const url = `${(options.url ?? endpoint.url).replace(/\/+$/, '')}/-/reload`;
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'x-api-key': endpoint.key }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    io.err(`not reloaded: cannot reach the gateway at ${url}: ${cause}\n`);
    return 1;
  }
  const answer = (await res.json().catch(() => ({}))) as ReloadAnswer;
  if (res.ok && answer.status === 'reloaded') {
    const restart = answer.restartRequired ?? [];
    io.out(`reloaded: config hash ${answer.configHash?.slice(0, 12) ?? '?'}${restart.length > 0 ? `; restart to apply ${restart.join(', ')}` : ''}\n`);
    return 0;
  }
  const details = Array.isArray(answer.details) ? answer.details.map(String) : [];
  io.err(`${[...details, `not reloaded (${res.status} ${answer.code ?? 'error'}): ${answer.message ?? res.statusText}`].join('\n')}\n`);
  return 1;
}
