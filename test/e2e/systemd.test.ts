import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const UNIT = 'systemd/switchboard.service';

describe('systemd unit', () => {
  it('passes systemd-analyze verify', async () => {
    const { stderr } = await run('systemd-analyze', ['verify', UNIT]);
    expect(stderr.trim()).toBe('');
  });

  it('reloads with SIGHUP, keeps state and config in systemd folders, and is hardened without breaking V8', () => {
    const unit = readFileSync(UNIT, 'utf8');
    const directives = unit.split('\n').filter((l) => /^[A-Za-z]+=/.test(l));
    const has = (d: string) => directives.includes(d);
    for (const d of [
      'ExecStart=/usr/bin/env node /opt/switchboard/dist/src/main.js start --config /etc/switchboard/gateway.yaml',
      'ExecReload=/bin/kill -HUP $MAINPID', 'StateDirectory=switchboard', 'ConfigurationDirectory=switchboard',
      'Restart=on-failure', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes',
      'PrivateDevices=yes', 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
    ]) expect(has(d), d).toBe(true);
    expect(directives.some((l) => l.startsWith('MemoryDenyWriteExecute'))).toBe(false);
  });
});
