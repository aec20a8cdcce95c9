import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { AddressInfo } from 'node:net';
import { runCli } from '../../src/cli/run.js';
import { API_KEY, startGateway, type TestGateway } from '../helpers/gateway.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliGateway {
  gw: TestGateway;
  url: string;
  /** The CLI in process, with `SWITCHBOARD_URL` and `SWITCHBOARD_API_KEY` pointing at this gateway unless `env` says otherwise. */
  cli(argv: string[], env?: Record<string, string>, live?: Live): Promise<CliRun>;
  /** Stops answering on the port (connections refused) until `resume`, as a restarting daemon would. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

/** For a command that runs on (`tail`): a stop signal, and stdout as it comes. */
export interface Live {
  signal?: AbortSignal;
  onOut?: (text: string) => void;
}

/** Runs the CLI's exported entry point with captured stdout and stderr. */
export async function runInProcess(argv: string[], env: Record<string, string | undefined>, live: Live = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const out = (t: string) => {
    stdout += t;
    live.onOut?.(t);
  };
  const code = await runCli(argv, { env, out, err: (t) => (stderr += t), signal: live.signal });
  return { code, stdout, stderr };
}

/** An in-process gateway on a real localhost port: the CLI talks to it with fetch, as it would to a daemon. */
export async function startCliGateway(yaml: string): Promise<CliGateway> {
  const gw = await startGateway(yaml);
  const server: Server = createServer(gw.app.http.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    server.closeAllConnections();
    if (server.listening) await new Promise<void>((r) => server.close(() => r()));
  };
  return {
    gw,
    url,
    cli: (argv, env = {}, live) => runInProcess(argv, { SWITCHBOARD_URL: url, SWITCHBOARD_API_KEY: API_KEY, ...env }, live),
    pause: stop,
    resume: () => new Promise<void>((r) => server.listen(port, '127.0.0.1', r)),
    async close() {
      await stop();
      await gw.close();
    },
  };
}

/** A localhost port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/**
 * A gateway for the tests of the enclosing describe: one per test (`each`) or one shared by all.
 *
 * @example const h = useCliGateway(DELIVERING_SMS, 'all'); it('…', async () => { await h().cli(['list']); });
 */
export function useCliGateway(yaml: string, per: 'each' | 'all'): () => CliGateway {
  let current: CliGateway | undefined;
  const [before, after] = per === 'each' ? [beforeEach, afterEach] : [beforeAll, afterAll];
  before(async () => {
    current = await startCliGateway(yaml);
  });
  after(async () => {
    await current?.close();
    current = undefined;
  });
  return () => current!;
}
