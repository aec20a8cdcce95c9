import { ConfigError, StartupError } from '../errors.js';
import { invocationOf, type Command } from './client/command.js';
import { deadLettersCommand } from './client/commands/dead-letters.js';
import { getCommand } from './client/commands/get.js';
import { inboundCommand } from './client/commands/inbound.js';
import { listCommand } from './client/commands/list.js';
import { sendCommand } from './client/commands/send.js';
import { tailCommand } from './client/commands/tail.js';
import { CliError, type CliIo } from './client/io.js';
import { packageVersion } from '../version.js';
import { LOCAL_COMMANDS } from './local-commands.js';
import { routesCommand } from './routes/command.js';
import { schemaCommand } from './schema.js';

export const COMMANDS: readonly Command[] = [...LOCAL_COMMANDS, routesCommand, schemaCommand, sendCommand, getCommand, listCommand, tailCommand, inboundCommand, deadLettersCommand];

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `usage: switchboard COMMAND [options]

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run switchboard COMMAND --help for a command's options. Commands that call the gateway read
its URL and API key from --url and --key, or SWITCHBOARD_URL and SWITCHBOARD_API_KEY.
  --help       this list
  --version    the version
`;
}

/**
 * The whole command line: picks the command, answers `--help`/`--version`, runs it, and turns
 * every user error into one line on stderr. Returns the exit code (0 ok, 1 failed, 2 usage);
 * only a bug escapes as a thrown error.
 *
 * @example process.exitCode = await runCli(process.argv.slice(2), { env: process.env, out, err });
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  // No command at all runs the gateway, as before the command line had any other command.
  const [name = 'start', ...args] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(topHelp());
    return 0;
  }
  if (name === '--version' || name === '-V') {
    io.out(`switchboard ${packageVersion()}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`switchboard: unknown command ${name}; run switchboard --help for the list\n`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.out(`${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(invocationOf(command, [...args], io));
  } catch (err) {
    if (err instanceof CliError) io.err(`switchboard ${command.name}: ${err.message}\n`);
    else if (err instanceof ConfigError) io.err(`${err.errors.join('\n')}\n`);
    else if (err instanceof StartupError) io.err(`switchboard: ${err.message}\n`);
    else throw err;
    return err instanceof CliError ? err.exitCode : 1;
  }
}
