/** The daemon runs with the same node flags however it is started: npm start, systemd, the bin, and the bench. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { daemonNodeFlags, shippedNodeFlags, startNodeFlags } from '../../bench/procs.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const execStart = (unit: string) => read(unit).split('\n').find((l) => l.startsWith('ExecStart='))!;

describe('the node flags the daemon is started with', () => {
  it('are the same in npm start, both systemd units, the bin’s shebang and the bench', () => {
    const flags = startNodeFlags(new URL('../..', import.meta.url).pathname);
    expect(flags).toContain('--max-semi-space-size=32');
    expect(shippedNodeFlags(execStart('systemd/switchboard.service'))).toEqual(flags);
    expect(shippedNodeFlags(execStart('systemd/switchboard@.service'))).toEqual(flags);
    expect(shippedNodeFlags(read('src/main.ts').split('\n')[0])).toEqual(flags);
    expect(daemonNodeFlags().slice(0, flags.length)).toEqual(flags);
  });

  it('are read from a command line up to the script', () => {
    expect(shippedNodeFlags('/usr/bin/env node --a=1 --b /opt/x/main.js start --config y')).toEqual(['--a=1', '--b']);
    expect(shippedNodeFlags('#!/usr/bin/env -S node --a=1')).toEqual(['--a=1']);
    expect(shippedNodeFlags('node dist/daemon/main.js start --c')).toEqual([]);
  });
});
