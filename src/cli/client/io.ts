export type Env = Readonly<Record<string, string | undefined>>;

/**
 * What a command may touch of the process: injected so tests run the CLI in process.
 *
 * @example await runCli(['list', '--json'], { env: process.env, out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
 */
export interface CliIo {
  env: Env;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Ends a long-running command (`tail`) cleanly; main wires it to SIGINT. */
  signal?: AbortSignal;
}

/**
 * A mistake of the person at the keyboard or a refusal of the gateway: printed as one line on
 * stderr, never as a stack. `exitCode` 2 is a usage error, 1 anything else.
 */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2 = 1) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string): CliError => new CliError(message, 2);
