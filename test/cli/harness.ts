import { createServer, type Server } from 'node:http';
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
  cli(argv: string[], env?: Record<string, string>, signal?: AbortSignal): Promise<CliRun>;
  close(): Promise<void>;
}

/** Runs the CLI's exported entry point with captured stdout and stderr. */
export async function runInProcess(argv: string[], env: Record<string, string | undefined>, signal?: AbortSignal): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { env, out: (t) => (stdout += t), err: (t) => (stderr += t), signal });
  return { code, stdout, stderr };
}

/** An in-process gateway on a real localhost port: the CLI talks to it with fetch, as it would to a daemon. */
export async function startCliGateway(yaml: string): Promise<CliGateway> {
  const gw = await startGateway(yaml);
  const server: Server = createServer(gw.app.http.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    gw,
    url,
    cli: (argv, env = {}, signal) => runInProcess(argv, { SWITCHBOARD_URL: url, SWITCHBOARD_API_KEY: API_KEY, ...env }, signal),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
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
