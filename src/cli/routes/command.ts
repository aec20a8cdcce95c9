import { loadConfig } from '../../config/load.js';
import { builtinPlugins } from '../../registry.js';
import { str, type Command } from '../client/command.js';
import { usageError } from '../client/io.js';
import { readCases } from './cases.js';
import { describeGot, describeWant, judge } from './verdict.js';

/** `switchboard routes test FILE`: route test cases against a config, in process, nothing sent. */
export const routesCommand: Command = {
  name: 'routes',
  summary: 'test which steps and providers messages take (no daemon, nothing sent)',
  help: `usage: switchboard routes test FILE [--config FILE] [--no-secrets] [--json]

Loads the config (default ./gateway.yaml) as start would and, for each case in FILE, plans its
message with the gateway's own route and step choices: the route (or inline plan), the steps
its addresses allow, the providers that may send from its sender in failover order. Prints PASS
or FAIL per case; exits 1 if any case fails, 2 for a bad command line.

Nothing is sent and no daemon is needed. What depends on live state is not simulated:
suppression lists, consent windows (a step with a policy is marked [consent NAME]), provider
errors and receipts.

FILE (schemas/routes-test.schema.json):
  tests:
    - name: a phone number tries WhatsApp, then SMS
      message: { route: default, to: { phone: "+15551234567" } }   # content may be left out
      expect:                          # the steps it starts, in order; skipped steps not listed
        - { channel: whatsapp, providers: [mock-wa] }
        - { channel: sms }             # providers optional
    - name: an unknown route is refused
      message: { route: nope, to: { sms: "+15551234567" } }
      error: unknown route             # text the refusal must contain

options:
  --config FILE   the gateway config (default ./gateway.yaml)
  --no-secrets    leave \${env:…}, \${file:…} and \${cred:…} unread, as check --no-secrets does
                  (a sender written as a placeholder without a :-default then matches no from)
  --json          the verdicts as JSON`,
  options: { config: { type: 'string', short: 'c' }, 'no-secrets': { type: 'boolean' }, json: { type: 'boolean' } },
  maxPositionals: 2,
  async run(inv) {
    const [action, file] = inv.positionals;
    if (action !== 'test') throw usageError(action === undefined ? 'say what to do: routes test FILE' : `unknown action ${action}; use routes test FILE`);
    if (file === undefined) throw usageError('routes test needs the FILE of test cases (see switchboard routes --help)');
    const cases = await readCases(file);
    const config = str(inv, 'config') ?? './gateway.yaml';
    const loaded = await loadConfig(config, { env: inv.io.env, builtins: builtinPlugins, unresolved: inv.values['no-secrets'] === true });
    const verdicts = cases.map((c) => judge(c, loaded));
    const failed = verdicts.filter((v) => !v.pass).length;
    if (inv.values.json) {
      inv.io.out(`${JSON.stringify({ config, file, passed: verdicts.length - failed, failed, cases: verdicts }, null, 2)}\n`);
    } else {
      for (const v of verdicts) {
        inv.io.out(`${v.pass ? 'PASS' : 'FAIL'}  ${v.name}\n`);
        if (v.pass) inv.io.out(`      ${describeGot(v.got)}\n`);
        else inv.io.out(`      want: ${describeWant(v.want)}\n      got:  ${describeGot(v.got)}\n`);
      }
      inv.io.out(`${verdicts.length} ${verdicts.length === 1 ? 'case' : 'cases'}: ${verdicts.length - failed} passed, ${failed} failed\n`);
    }
    return failed > 0 ? 1 : 0;
  },
};
