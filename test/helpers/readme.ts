import { readFileSync } from 'node:fs';

/** The yaml block of a README section (the first after its heading), to pin an example file to the README. */
export function readmeYaml(heading: string): string {
  const readme = readFileSync('README.md', 'utf8');
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README: no section "${heading}"`);
  const block = /```yaml\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!block) throw new Error(`README: no yaml block after "${heading}"`);
  return block[1];
}
