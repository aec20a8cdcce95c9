import { checkCommand } from './check.js';
import { str, type Command } from './client/command.js';
import { migrateCommand } from './migrate.js';
import { reloadCommand } from './reload.js';
import { startCommand } from './start.js';

const configOption = { config: { type: 'string', short: 'c' } } as const;
const configFile = (inv: Parameters<Command['run']>[0]): string => str(inv, 'config') ?? inv.positionals[0] ?? './gateway.yaml';

/** The commands that work on this host's config and database rather than through the REST API. */
export const LOCAL_COMMANDS: readonly Command[] = [
  {
    name: 'start',
    summary: 'run the gateway',
    help: `usage: switchboard start [--config FILE]

Runs the gateway on FILE (default ./gateway.yaml). SIGHUP reloads it; SIGTERM or SIGINT stops it
after requests in flight finish.`,
    options: configOption,
    maxPositionals: 1,
    async run(inv) {
      await startCommand(configFile(inv), inv.io.env as NodeJS.ProcessEnv);
      return 0;
    },
  },
  {
    name: 'check',
    summary: 'validate config files',
    help: `usage: switchboard check [--no-secrets] [FILE…]

Loads each FILE (default ./gateway.yaml) as start would, builds its providers, and prints a
summary; exits 1 with file:line:column errors if start would refuse any of them.

  --no-secrets   read no \${env:…}, \${file:…} or \${cred:…}: each stays as written (or becomes its
                 written :-default), is spared the pattern or format its value will have, and
                 providers are not built; checks a file on a host (CI, a laptop) without its secrets`,
    options: { ...configOption, 'no-secrets': { type: 'boolean' } },
    maxPositionals: Number.POSITIVE_INFINITY,
    async run(inv) {
      const files = inv.positionals.length > 0 ? inv.positionals : [configFile(inv)];
      let code = 0;
      // Every file is checked, so one run reports all that is wrong.
      for (const file of files) code = Math.max(code, await checkCommand(file, inv.io, { unresolved: inv.values['no-secrets'] === true }));
      return code;
    },
  },
  {
    name: 'reload',
    summary: 'ask the running gateway to reload its config',
    help: `usage: switchboard reload [--config FILE] [--url URL]

Calls POST /-/reload on the gateway FILE (default ./gateway.yaml) configures, with an admin key
from FILE; --url overrides the address. Exits 1 if the new config was refused (the previous one
keeps serving), so it suits systemd's ExecReload.`,
    options: { ...configOption, url: { type: 'string' } },
    maxPositionals: 1,
    run: (inv) => reloadCommand({ file: configFile(inv), url: str(inv, 'url') }, inv.io),
  },
  {
    name: 'migrate',
    summary: 'bring a PostgreSQL schema up to date',
    help: `usage: switchboard migrate [--url postgres://…]

Applies the pending PostgreSQL migrations (the database at --url, or DATABASE_URL).`,
    options: { url: { type: 'string' } },
    run: (inv) => migrateCommand({ url: str(inv, 'url') }, inv.io),
  },
];
