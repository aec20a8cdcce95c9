import { execFile } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const UNIT = 'systemd/switchboard.service';
const NOBODY = 65534;

/** The README's config-and-secrets install block, with `sudo` dropped and `/etc` moved under `root`. */
function installScript(root: string): string {
  const readme = readFileSync('README.md', 'utf8');
  const block = /<!-- install-config -->\n```sh\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README has no install-config block');
  return block[1].replace(/^sudo /gm, '').replaceAll('/etc/switchboard', `${root}/etc/switchboard`);
}

const asNobody = (cmd: string, args: string[], env: Record<string, string> = {}) =>
  run('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', cmd, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });

describe('systemd unit', () => {
  it('passes systemd-analyze verify', async () => {
    const { stderr } = await run('systemd-analyze', ['verify', UNIT]);
    expect(stderr.trim()).toBe('');
  });

  it('reloads through switchboard reload, takes secrets as credentials, keeps state in systemd folders, and is hardened without breaking V8', () => {
    const unit = readFileSync(UNIT, 'utf8');
    const directives = unit.split('\n').filter((l) => /^[A-Za-z]+=/.test(l));
    const has = (d: string) => directives.includes(d);
    for (const d of [
      'ExecStart=/usr/bin/env node --max-semi-space-size=32 /opt/switchboard/dist/daemon/main.js start --config /etc/switchboard/gateway.yaml',
      'ExecReload=/usr/bin/env node /opt/switchboard/dist/daemon/main.js reload --config /etc/switchboard/gateway.yaml',
      'LoadCredential=switchboard:/etc/switchboard/credentials',
      'DynamicUser=yes', 'StateDirectory=switchboard', 'ConfigurationDirectory=switchboard',
      'Restart=on-failure', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes',
      'PrivateDevices=yes', 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
    ]) expect(has(d), d).toBe(true);
    expect(directives.some((l) => l.startsWith('MemoryDenyWriteExecute'))).toBe(false);
  });
});

describe('the template unit for several instances on one database', () => {
  const TEMPLATE = 'systemd/switchboard@.service';

  it('passes systemd-analyze verify as an instance', async () => {
    // A template is verified through an instance name, as `systemctl start switchboard@a` would use it.
    const dir = mkdtempSync(join(tmpdir(), 'sb-unit-'));
    try {
      const instance = join(dir, 'switchboard@a.service');
      copyFileSync(TEMPLATE, instance);
      const { stderr } = await run('systemd-analyze', ['verify', '--man=no', instance]);
      expect(stderr.trim()).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs each instance on its own config, keeps no state folder, and is hardened like the single unit', () => {
    const directives = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => /^[A-Za-z]+=/.test(l));
    const template = directives(TEMPLATE);
    for (const d of [
      'ExecStart=/usr/bin/env node --max-semi-space-size=32 /opt/switchboard/dist/daemon/main.js start --config /etc/switchboard/%i.yaml',
      'ExecReload=/usr/bin/env node /opt/switchboard/dist/daemon/main.js reload --config /etc/switchboard/%i.yaml',
      'LoadCredential=switchboard:/etc/switchboard/credentials',
    ]) expect(template, d).toContain(d);
    // The database holds the state; a StateDirectory would suggest otherwise.
    expect(template.some((l) => l.startsWith('StateDirectory='))).toBe(false);
    const hardening = (lines: string[]) => lines.filter((l) => /^(Protect|Private|Restrict|NoNewPrivileges|LockPersonality|SystemCall|CapabilityBoundingSet|UMask|DynamicUser)/.test(l));
    expect(hardening(template)).toEqual(hardening(directives(UNIT)));
  });
});

describe('the README install recipe, run against a temporary root', () => {
  const root = mkdtempSync(join(tmpdir(), 'sb-install-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const etc = join(root, 'etc', 'switchboard');
  const isRoot = process.getuid?.() === 0;

  it('leaves a config any user can read, secrets only root can, and a config that loads with them as credentials', { timeout: 60_000 }, async () => {
    chmodSync(root, 0o755);
    await run('sh', ['-ec', installScript(root)], { cwd: process.cwd() });

    expect(statSync(join(etc, 'gateway.yaml')).mode & 0o777).toBe(0o644);
    expect(statSync(join(etc, 'credentials')).mode & 0o777).toBe(0o700);
    const secrets = readdirSync(join(etc, 'credentials')).sort();
    expect(secrets).toEqual(['api-key', 'callback-secret']);
    for (const name of secrets) {
      expect(statSync(join(etc, 'credentials', name)).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(etc, 'credentials', name), 'utf8')).toMatch(/^[0-9a-f]{48}$/);
    }
    const config = readFileSync(join(etc, 'gateway.yaml'), 'utf8');
    expect(config).toContain('key: "${cred:switchboard_api-key}"');
    expect(config).toContain('secret: "${cred:switchboard_callback-secret}"');
    expect(config).not.toMatch(/change-me/);
    // Without root there is no other uid to try; the mode bits above are what it would see.
    if (!isRoot) return;

    // As the unit's dynamic user would: it reads the config, never the credential files themselves…
    await asNobody('cat', [join(etc, 'gateway.yaml')]);
    await expect(asNobody('cat', [join(etc, 'credentials', 'api-key')])).rejects.toThrow(/Permission denied/);
    // …but the private copies systemd makes of them (LoadCredential=switchboard:<dir> → switchboard_<file>).
    const creds = join(root, 'run', 'credentials', 'switchboard.service');
    mkdirSync(creds, { recursive: true });
    for (const name of secrets) copyFileSync(join(etc, 'credentials', name), join(creds, `switchboard_${name}`));
    for (const path of [creds, ...secrets.map((n) => join(creds, `switchboard_${n}`))]) chownSync(path, NOBODY, NOBODY);
    const state = join(root, 'var', 'lib', 'switchboard');
    mkdirSync(state, { recursive: true });
    const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
    const { stdout } = await asNobody(tsx, [join(process.cwd(), 'src', 'main.ts'), 'check', join(etc, 'gateway.yaml')], {
      CREDENTIALS_DIRECTORY: creds, STATE_DIRECTORY: state,
    });
    expect(stdout).toMatch(/gateway\.yaml: ok \(3 providers, 2 routes/);
  });
});
