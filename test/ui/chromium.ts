import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's `chromium` (CI installs it in `.ci/run`); `CHROMIUM` names another binary. */
export const CHROMIUM = process.env.CHROMIUM ?? 'chromium';

/**
 * Loads `url` in a fresh headless Chromium (its own profile, so no key survives from an earlier
 * load) and lets the page's scripts and fetches run for `budgetMs` of virtual time before `mode`:
 * the DOM as HTML on stdout, or a PNG at `file`.
 */
async function headless(url: string, mode: string[], budgetMs: number): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'sb-chromium-'));
  try {
    const { stdout } = await run(CHROMIUM, [
      '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions', '--hide-scrollbars',
      `--user-data-dir=${profile}`, `--virtual-time-budget=${budgetMs}`, '--window-size=1280,1400', ...mode, url,
    ], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } finally {
    // Chromium's helper processes may still be writing into the profile as the browser exits.
    rmSync(profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
  }
}

/** The page's DOM after its scripts ran, serialized (text is HTML-escaped in it, as in any serialization). */
export const dumpDom = (url: string, budgetMs = 5000): Promise<string> => headless(url, ['--dump-dom'], budgetMs);

/** Writes a screenshot of the page to `file` (an absolute path). */
export async function screenshot(url: string, file: string, budgetMs = 5000): Promise<void> {
  await headless(url, [`--screenshot=${file}`], budgetMs);
}

/** The markup of the page's `<section id=…>` in a dumped DOM, from its id to its end. */
export function section(dom: string, id: string): string {
  const start = dom.indexOf(`id="${id}"`);
  if (start < 0) throw new Error(`no element with id ${id} in the page`);
  const end = dom.indexOf('</section>', start);
  return dom.slice(start, end < 0 ? undefined : end);
}
