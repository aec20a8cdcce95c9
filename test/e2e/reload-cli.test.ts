import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnDaemon, type Daemon } from '../helpers/daemon.js';
import { configText } from '../helpers/gateway.js';

const run = promisify(execFile);
const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const MAIN = join(process.cwd(), 'src', 'main.ts');

// The admin key comes from a systemd credential, as under the unit's ExecReload.
const YAML = configText(`
providers:
  sms: { plugin: mock, channels: [sms], outcome: delivered, after: 100ms }
routes:
  default:
    steps:
      - { channel: sms, providers: [sms], until: delivered, within: 5s }
`).replace(/key: "test-key-0123456789"/, 'key: "${cred:switchboard_admin-key}"').replace('log: { level: debug }', 'log: { level: info }');

interface Outcome { code: number; stdout: string; stderr: string }

async function reloadCli(args: string[], env: Record<string, string>): Promise<Outcome> {
  return run(TSX, [MAIN, 'reload', ...args], { env: { PATH: process.env.PATH ?? '', ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

describe('switchboard reload (ExecReload)', () => {
  let daemon: Daemon | undefined;
  let dir: string;
  afterEach(async () => {
    daemon?.child.kill('SIGKILL');
    await daemon?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 0 when the daemon accepts the file, 1 with file:line:col when it refuses it, 1 when nothing listens', { timeout: 60_000 }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-reload-cli-'));
    const creds = join(dir, 'credentials');
    mkdirSync(creds);
    writeFileSync(join(creds, 'switchboard_admin-key'), 'cred-admin-key-0123456789\n');
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, YAML);
    const env = { CREDENTIALS_DIRECTORY: creds };
    daemon = await spawnDaemon(file, env);
    const { port } = new URL(daemon.url);
    // The daemon bound port 0; the CLI finds a fixed port in the file, as in production.
    writeFileSync(file, readFileSync(file, 'utf8').replace('port: 0', `port: ${port}`));

    const accepted = await reloadCli(['--config', file], env);
    expect(accepted.stdout).toMatch(/^reloaded: config hash [0-9a-f]{12}; restart to apply server\.port\n$/);
    expect(accepted.code).toBe(0);

    writeFileSync(file, readFileSync(file, 'utf8').replace('within: 5s', 'within: 5 s'));
    const refused = await reloadCli(['--config', file], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^gateway\.yaml:\d+:\d+: routes\.default\.steps\.0\.within: must be a duration/m);
    expect(refused.stderr).toMatch(/not reloaded \(400 config_invalid\)/);
    expect(daemon.lines.join('\n')).toContain('configuration reload refused');

    daemon.child.kill('SIGKILL');
    await daemon.exited;
    daemon = undefined;
    const unreachable = await reloadCli(['--config', file], env);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(new RegExp(`not reloaded: cannot reach the gateway at http://127\\.0\\.0\\.1:${port}/-/reload: ECONNREFUSED`));
  });
});
