import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkCommand } from '../../src/cli/check.js';

const EXAMPLE = 'docs/examples/consent.yaml';

/** The yaml block of a README section (the first after its heading). */
function readmeYaml(heading: string): string {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf(`\n${heading}\n`));
  const block = /```yaml\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error(`README: no yaml block after "${heading}"`);
  return block[1];
}

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
