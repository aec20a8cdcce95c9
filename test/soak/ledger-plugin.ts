import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { mockPlugin, type MockOptions } from '../../plugins/mock/index.js';
import { readSchema, type Channel, type PluginDefinition } from '../../src/plugin-api.js';

/** The mock provider's options plus the file every send is written to. */
export interface LedgerOptions extends MockOptions {
  ledger: string;
}

/** One provider call as the provider saw it. */
export interface LedgerEntry {
  attempt: string;
  message: string;
  channel: Channel;
  instance: string;
  at: number;
}

const optionsSchema = readSchema('plugins/mock.schema.json');
optionsSchema.$id = 'https://switchboard.dev/schemas/test/soak-ledger.schema.json';
optionsSchema.properties = { ...(optionsSchema.properties as object), ledger: { type: 'string', minLength: 1 } };
optionsSchema.required = ['ledger'];

/**
 * The `mock` provider with a ledger: each `send` is appended (one line, one `write(2)`) to a file
 * before the mock sees it, so the record outlives a `kill -9` and a test can count real sends
 * independently of what the gateway stored. Loaded by the daemon as a user plugin (`plugins:`).
 *
 * @example plugins: { ledger: { path: /abs/test/soak/ledger-plugin.ts } }
 *          providers: { sms: { plugin: ledger, ledger: /tmp/x/sends.jsonl, channels: [sms] } }
 */
const ledgerPlugin: PluginDefinition<LedgerOptions> = {
  name: 'ledger',
  optionsSchema,
  channels: (options) => options.channels,
  create({ ledger, ...mockOptions }, deps) {
    const inner = mockPlugin.create(mockOptions, deps);
    const fd = openSync(ledger, 'a');
    return {
      ...inner,
      send(message, options) {
        const entry: LedgerEntry = { attempt: message.attemptId, message: message.messageId, channel: message.channel, instance: deps.instance, at: Date.now() };
        writeSync(fd, `${JSON.stringify(entry)}\n`);
        return inner.send(message, options);
      },
      async close() {
        await inner.close?.();
        closeSync(fd);
      },
    };
  },
};

export default ledgerPlugin;

/** Reads a ledger; a torn last line (the process died mid-write) is ignored. */
export function readLedger(file: string): LedgerEntry[] {
  const entries: LedgerEntry[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      entries.push(JSON.parse(line) as LedgerEntry);
    } catch {
      // only the tail can be torn, and a torn write never reached the provider's send
    }
  }
  return entries;
}
