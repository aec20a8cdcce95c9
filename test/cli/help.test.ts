import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/run.js';
import { runInProcess } from './harness.js';

const NAMES = ['start', 'check', 'reload', 'migrate', 'routes', 'schema', 'send', 'get', 'list', 'tail', 'inbound', 'dead-letters'];
const { version } = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { version: string };

describe('switchboard --help and --version', () => {
  it('--help lists every command on stdout, exit 0, needing no URL or key', async () => {
    const got = await runInProcess(['--help'], {});
    expect(got.code).toBe(0);
    expect(got.stderr).toBe('');
    for (const name of NAMES) expect(got.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    expect(COMMANDS.map((c) => c.name).sort()).toEqual([...NAMES].sort());
  });

  it.each(NAMES)('%s --help prints its usage on stdout, exit 0', async (name) => {
    const got = await runInProcess([name, '--help'], {});
    expect(got).toMatchObject({ code: 0, stderr: '' });
    expect(got.stdout).toMatch(new RegExp(`^usage: switchboard ${name}\\b`));
  });

  it('client commands document the connection flags and their environment variables', async () => {
    for (const name of ['send', 'get', 'list', 'tail', 'inbound', 'dead-letters']) {
      const { stdout } = await runInProcess([name, '--help'], {});
      expect(stdout).toContain('--url URL');
      expect(stdout).toContain('$SWITCHBOARD_API_KEY');
      expect(stdout).toContain('--json');
    }
  });

  it('--version prints the version from package.json', async () => {
    expect(await runInProcess(['--version'], {})).toEqual({ code: 0, stdout: `switchboard ${version}\n`, stderr: '' });
  });

  it('the real binary answers --help and refuses an unknown command with one line, no stack', { timeout: 30_000 }, async () => {
    const main = join(process.cwd(), 'src', 'main.ts');
    const run = (args: string[]) => {
      const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += String(c)));
      child.stderr.on('data', (c: Buffer) => (stderr += String(c)));
      return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
    };
    const [help, unknown, noKey] = await Promise.all([run(['--help']), run(['frobnicate']), run(['list', '--url', 'http://127.0.0.1:9'])]);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^usage: switchboard COMMAND/);
    expect(help.stdout).toMatch(/^  dead-letters +/m);
    expect(unknown).toEqual({ code: 2, stdout: '', stderr: 'switchboard: unknown command frobnicate; run switchboard --help for the list\n' });
    expect(noKey).toEqual({ code: 2, stdout: '', stderr: 'switchboard list: no API key: pass --key or set SWITCHBOARD_API_KEY\n' });
  });
});
