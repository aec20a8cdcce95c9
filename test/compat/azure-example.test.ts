import { describe, expect, it } from 'vitest';
import { checkCommand } from '../../src/cli/check.js';
import { EXAMPLE, exampleEnv } from '../azure/setup.js';

describe('the Azure Messaging Connect example (examples/azure-messaging-connect.yaml)', () => {
  it('passes switchboard check with its documented environment', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await checkCommand(EXAMPLE, { env: exampleEnv(), out: (t) => void out.push(t), err: (t) => void err.push(t) });
    expect(err.join('')).toBe('');
    expect(code).toBe(0);
    expect(out.join('')).toContain('ok (2 providers, 2 routes');
  });

  it('is refused when the environment names a plain-http ACS endpoint', async () => {
    const err: string[] = [];
    const code = await checkCommand(EXAMPLE, { env: exampleEnv({ ACS_ENDPOINT: 'http://contoso.communication.azure.com' }), out: () => undefined, err: (t) => void err.push(t) });
    expect(code).toBe(1);
    expect(err.join('')).toContain('plain http');
  });
});
