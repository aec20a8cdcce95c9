import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createApiClient, type ApiClient } from './api.js';
import { usageError, type CliIo } from './io.js';

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

/** What every command that calls the gateway accepts. */
export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies Options;

export const CONNECTION_HELP = `
connection:
  --url URL         the gateway (default: $SWITCHBOARD_URL)
  --key KEY         an API key (default: $SWITCHBOARD_API_KEY)
  --json            machine-readable JSON on stdout instead of a table`;

export interface Invocation {
  values: Values;
  positionals: string[];
  io: CliIo;
  /** Built on first use, so `--help` and argument mistakes need no URL or key. */
  api: () => ApiClient;
}

/**
 * One `switchboard` command: its one-line summary for the top-level help, its full help, its
 * options for `util.parseArgs`, and what it does (returning the exit code).
 *
 * @example const list: Command = { name: 'list', summary: 'list messages', help: '…', options: CONNECTION_OPTIONS, run: async (inv) => 0 };
 */
export interface Command {
  name: string;
  summary: string;
  help: string;
  options: Options;
  /** Positional arguments allowed, at most (default none). */
  maxPositionals?: number;
  run(invocation: Invocation): Promise<number>;
}

/** Parses `args` strictly for `command`: an unknown or malformed option is a usage error (exit 2). */
export function invocationOf(command: Command, args: string[], io: CliIo): Invocation {
  let parsed;
  try {
    parsed = parseArgs({ args, options: command.options, allowPositionals: true, strict: true });
  } catch (err) {
    // parseArgs goes on to explain `--` for values that start with a dash: the first sentence is the news.
    throw usageError(`${(err as Error).message.split(/\.\s/)[0].replace(/\.$/, '')} (see switchboard ${command.name} --help)`);
  }
  const max = command.maxPositionals ?? 0;
  if (parsed.positionals.length > max) throw usageError(`unexpected argument ${parsed.positionals[max]} (see switchboard ${command.name} --help)`);
  const values = parsed.values as Values;
  let api: ApiClient | undefined;
  return {
    values,
    positionals: parsed.positionals,
    io,
    api: () => (api ??= createApiClient({ url: values.url as string | undefined, key: values.key as string | undefined }, io.env)),
  };
}

/** `--json` prints the answer as is; otherwise `human` renders it. */
export function print(inv: Invocation, data: unknown, human: () => string): void {
  inv.io.out(inv.values.json ? `${JSON.stringify(data, null, 2)}\n` : human());
}

/** The string value of an option, or undefined. */
export const str = (inv: Invocation, name: string): string | undefined => inv.values[name] as string | undefined;

/** The values of a repeatable (`multiple: true`) option. */
export const many = (inv: Invocation, name: string): string[] => (inv.values[name] as string[] | undefined) ?? [];
