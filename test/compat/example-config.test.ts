import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkCommand } from '../../src/cli/check.js';
import { readmeYaml } from '../helpers/readme.js';

const EXAMPLE = 'docs/examples/consent.yaml';

describe('the consent example (docs/examples/consent.yaml, README)', () => {
  it('passes switchboard check as shipped, with no environment', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await checkCommand(EXAMPLE, { env: {}, out: (t) => void out.push(t), err: (t) => void err.push(t) });
    expect(err.join('')).toBe('');
    expect(code).toBe(0);
    expect(out.join('')).toContain('ok (2 providers, 2 routes');
  });

  it('the README shows the example\'s own text, so the two cannot drift apart', () => {
    expect(readFileSync(EXAMPLE, 'utf8')).toContain(readmeYaml('## WhatsApp consent and STOP'));
  });
});
