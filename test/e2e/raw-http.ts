import { connect, type Socket } from 'node:net';

export interface RawConnection {
  socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves once the received text matches `pattern`; rejects when the socket closes first. */
  waitFor(pattern: RegExp): Promise<string>;
  closed: Promise<void>;
}

/**
 * A bare TCP connection for requests a client library would not send: headers first, then a body
 * in pieces, with `Expect: 100-continue` telling the test when the server has taken the request.
 */
export async function rawConnect(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let text = '';
  const waiters = new Set<() => void>();
  socket.on('data', (chunk) => {
    text += String(chunk);
    for (const w of waiters) w();
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => {
    resolve();
    for (const w of waiters) w();
  }));
  return {
    socket,
    received: () => text,
    closed,
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(text);
          if (m) {
            waiters.delete(check);
            resolve(m[0]);
          } else if (socket.destroyed) {
            waiters.delete(check);
            reject(new Error(`connection closed before ${pattern}; got:\n${text}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Request headers for a JSON POST whose body the caller sends later, in pieces. */
export function postHeaders(path: string, body: string, headers: Record<string, string>): string {
  const lines = [`POST ${path} HTTP/1.1`, 'Host: localhost', 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, 'Expect: 100-continue'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}
