import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { CHROMIUM } from './chromium.js';

/** A page in a headless Chromium, driven over the DevTools protocol. */
export interface Page {
  goto(url: string): Promise<void>;
  /** Evaluates `expression` in the page and returns its (JSON) value; promises are awaited. */
  evaluate<T>(expression: string): Promise<T>;
  close(): Promise<void>;
}

/**
 * Starts Chromium with `--remote-debugging-pipe`: the protocol's JSON messages, each ended by a NUL
 * byte, go in on fd 3 and come out on fd 4. No WebSocket and no driver library are needed.
 */
export async function openPage(): Promise<Page> {
  const profile = mkdtempSync(join(tmpdir(), 'sb-cdp-'));
  // Its own process group, so that closing it reaches the helper processes (crashpad, zygote) too.
  const child = spawn(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions', '--disable-crash-reporter', '--remote-debugging-pipe', `--user-data-dir=${profile}`, 'about:blank'], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const input = child.stdio[3] as Writable;
  const output = child.stdio[4] as Readable;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let buffered = '';
  let nextId = 1;
  output.setEncoding('utf8');
  output.on('data', (chunk: string) => {
    const parts = (buffered + chunk).split('\0');
    buffered = parts.pop()!;
    for (const part of parts) {
      const message = JSON.parse(part) as { id?: number; result?: unknown; error?: { message: string } };
      const waiter = message.id === undefined ? undefined : pending.get(message.id);
      if (!waiter) continue;
      pending.delete(message.id!);
      if (message.error) waiter.reject(new Error(message.error.message));
      else waiter.resolve(message.result);
    }
  });
  void exited.then(() => {
    for (const w of pending.values()) w.reject(new Error('chromium exited'));
  });

  const call = <T>(method: string, params: object = {}, sessionId?: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });

  const { targetId } = await call<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await call<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
  return {
    async goto(url) {
      await call('Page.navigate', { url }, sessionId);
    },
    async evaluate<T>(expression: string) {
      const { result, exceptionDetails } = await call<{ result: { value: T }; exceptionDetails?: { text: string } }>(
        'Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, sessionId);
      if (exceptionDetails) throw new Error(`in the page: ${exceptionDetails.text}`);
      return result.value;
    },
    async close() {
      // A browser asked to close flushes its profile and ends its helpers; the kill is for one that hangs.
      await Promise.race([call('Browser.close').catch(() => undefined), new Promise((r) => setTimeout(r, 3000))]);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the whole group has already exited
      }
      await exited;
      await removeProfile(profile);
    },
  };
}

/**
 * A helper that outlived the group kill by a moment can still create files while the profile is being
 * removed (ENOTEMPTY). The profile is scratch space in the temp dir, so after a few seconds of
 * retries a leftover is not worth failing a test over.
 */
async function removeProfile(profile: string): Promise<void> {
  for (let i = 0; i < 30; i++) {
    try {
      await rm(profile, { recursive: true, force: true });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
