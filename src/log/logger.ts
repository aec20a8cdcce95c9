import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { createRedactor } from './redact.js';

export type Logger = PinoLogger;

export interface LoggerOptions {
  level?: string;
  /** Known secret values; read on every line so a reload's new secrets are hidden at once. */
  secrets: () => ReadonlySet<string>;
  destination?: DestinationStream;
}

/**
 * JSON logs (pino) where every known secret value is masked, in fields and in messages alike.
 *
 * @example
 *   const logger = createLogger({ level: 'info', secrets: () => runtime.secrets });
 */
export function createLogger(options: LoggerOptions): Logger {
  const redact = createRedactor(options.secrets);
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'switchboard' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names, as log pipelines (Loki, Elastic, journald's JSON) filter on them.
      formatters: { level: (label) => ({ level: label }), log: (obj) => redact(obj) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((a) => (typeof a === 'string' ? redact(a) : a)) as Parameters<typeof method>;
          method.apply(this, masked);
        },
      },
    },
    options.destination ?? pino.destination(1),
  );
}
