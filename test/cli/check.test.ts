import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DELIVERING_SMS } from '../helpers/gateway.js';
import { runInProcess } from './harness.js';

// Secrets from the environment, a file and a systemd credential, none of which this host has.
const WITH_SECRETS = DELIVERING_SMS
  .replace('key: "test-key-0123456789"', 'key: "${env:SB_ADMIN_KEY}"')
  .replace('key: "read-only-key-0123"', 'key: "${file:/nonexistent/read-key}"')
  .replace('secret: "callback-secret-0123456789"', 'secret: "${cred:callback-secret}"');

describe('switchboard check: several files, --no-secrets', () => {
  let dir: string;
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-check-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('without the secrets a file is refused; --no-secrets checks the rest of it and reads nothing', async () => {
    const file = write('secret.yaml', WITH_SECRETS);
    const refused = await runInProcess(['check', file], {});
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^secret\.yaml:\d+:\d+: environment variable SB_ADMIN_KEY is not set$/m);
    expect(refused.stderr).toMatch(/^secret\.yaml:\d+:\d+: cannot read \/nonexistent\/read-key: ENOENT$/m);
    expect(refused.stderr).toMatch(/credential callback-secret requested but CREDENTIALS_DIRECTORY is not set/);

    const skipped = await runInProcess(['check', '--no-secrets', file], {});
    expect(skipped).toEqual({ code: 0, stdout: expect.stringMatching(/secret\.yaml: ok \(1 providers, 1 routes, hash [0-9a-f]{12}, secrets not resolved, providers not built\)\n$/), stderr: '' });

    // Everything but the secrets is still checked.
    const broken = write('broken.yaml', WITH_SECRETS.replace('within: 1m', 'within: soon'));
    const stillRefused = await runInProcess(['check', '--no-secrets', broken], {});
    expect(stillRefused.code).toBe(1);
    expect(stillRefused.stderr).toMatch(/^broken\.yaml:\d+:\d+: routes\.default\.steps\.0\.within: must be a duration/);
  });

  it('--no-secrets passes the shipped configs, whose placeholders stand where URLs, SIDs and numbers go', async () => {
    const files = ['gateway.yaml', ...readdirSync('examples').filter((f) => f.endsWith('.yaml')).map((f) => join('examples', f))];
    const got = await runInProcess(['check', '--no-secrets', ...files], {});
    expect(got).toMatchObject({ code: 0, stderr: '' });
    expect(got.stdout.trim().split('\n')).toHaveLength(files.length);
    // A placeholder is spared; a literal value that breaks the same pattern is not.
    const wrongSid = write('sid.yaml', readFileSync('examples/self-hosted.yaml', 'utf8').replace('"${env:TWILIO_ACCOUNT_SID}"', 'XX123'));
    const refused = await runInProcess(['check', '--no-secrets', wrongSid], {});
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^sid\.yaml:\d+:\d+: providers\.sms\.accountSid: must match pattern/m);
  });

  it('checks every file given, reports each, and exits 1 if any is refused', async () => {
    const good = write('good.yaml', DELIVERING_SMS);
    const bad = write('bad.yaml', DELIVERING_SMS.replace('outcome: delivered', 'outcome: sometimes'));
    const got = await runInProcess(['check', bad, good], {});
    expect(got.code).toBe(1);
    expect(got.stdout).toMatch(/good\.yaml: ok \(1 providers, 1 routes, hash [0-9a-f]{12}\)\n$/);
    expect(got.stderr).toMatch(/^bad\.yaml:\d+:\d+: providers\.sms\.outcome/);
    expect(await runInProcess(['check', good, good], {})).toMatchObject({ code: 0, stderr: '' });
  });
});
