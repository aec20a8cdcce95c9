import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { AwsFake } from '../fakes/aws/fake-server.js';

/**
 * One AWS service fake for a test file: started once (handed to `bind`), its records cleared
 * before each test, closed after the last.
 *
 * @example
 *   let ses: SesFake;
 *   useAwsFake(startSesFake, (f) => { ses = f; });
 */
export function useAwsFake<F extends AwsFake & { sent: unknown[] }>(start: () => Promise<F>, bind: (fake: F) => void): void {
  let fake: F | undefined;
  beforeAll(async () => {
    fake = await start();
    bind(fake);
  });
  afterAll(() => fake?.close());
  beforeEach(() => {
    fake!.requests.length = 0;
    fake!.sent.length = 0;
  });
}
