import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parseDuration } from '../config/duration.js';
import type { GatewayConfig } from '../config/types.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Node checks request and header deadlines on this tick; its default (30 s) would let a slow client overstay by that much. */
const DEADLINE_CHECK_MS = 1000;

const ms = (d: string): number => parseDuration(d) ?? 0;

/** While the store opens and timers are recovered: the usual error shape, 503 and `Retry-After`. */
export const startingHandler: RequestHandler = (_req, res) => {
  const body = JSON.stringify({ error: 'Service Unavailable', code: 'not_ready', message: 'starting: the gateway is opening its store and recovering timers; try again shortly' });
  res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'retry-after': '1' });
  res.end(body);
};

/**
 * The gateway's HTTP server: limits from `server:` and a request handler that can be swapped once
 * the app is ready, so the port is bound before anything touches the store.
 *
 * @example
 *   const gw = createGatewayServer(loaded.config.server);
 *   await listen(gw.server, port, host);
 *   gw.setHandler(app.http.callback());
 */
export function createGatewayServer(settings: GatewayConfig['server']) {
  let handler: RequestHandler = startingHandler;
  const server = createServer(
    { requestTimeout: ms(settings.requestTimeout), headersTimeout: ms(settings.headersTimeout), connectionsCheckingInterval: DEADLINE_CHECK_MS },
    (req, res) => handler(req, res),
  );
  applyServerLimits(server, settings);
  return {
    server,
    setHandler(next: RequestHandler): void {
      handler = next;
    },
  };
}

/** Node reads these on every connection and deadline check, so a reload can change them live. */
export function applyServerLimits(server: Server, settings: GatewayConfig['server']): void {
  server.requestTimeout = ms(settings.requestTimeout);
  server.headersTimeout = ms(settings.headersTimeout);
  server.keepAliveTimeout = ms(settings.keepAliveTimeout);
  server.maxConnections = settings.maxConnections;
}

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const bound = server.address();
      resolve(typeof bound === 'object' && bound ? bound.port : port);
    });
  });
}

/**
 * Stops accepting, lets requests in flight finish, and cuts what is still open after `timeoutMs`.
 * Resolves `true` when every connection ended on its own.
 */
export function closeGracefully(server: Server, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let cut = false;
    const timer = setTimeout(() => {
      cut = true;
      server.closeAllConnections();
    }, timeoutMs);
    // A keep-alive connection turns idle when its last response is out; until then close() waits on it.
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    server.close(() => {
      clearTimeout(timer);
      clearInterval(idle);
      resolve(!cut);
    });
    server.closeIdleConnections();
  });
}
