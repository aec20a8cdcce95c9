import { writeFile } from 'node:fs/promises';
import { fullGatewaySchema } from '../config/full-schema.js';
import { allBuiltinPlugins } from '../registry.js';
import { str, type Command } from './client/command.js';
import { CliError } from './client/io.js';

/** The combined schema as shipped: two-space JSON with a final newline. */
export const fullSchemaText = async (): Promise<string> => `${JSON.stringify(fullGatewaySchema(await allBuiltinPlugins()), null, 2)}\n`;

/** `switchboard schema`: the config's JSON Schema with every built-in plugin's options, for editors. */
export const schemaCommand: Command = {
  name: 'schema',
  summary: 'print the config JSON Schema with every plugin\'s options (for editors)',
  help: `usage: switchboard schema [--out FILE]

Prints gateway.yaml's JSON Schema with the options of every built-in plugin under
providers.<name> (picked by plugin:), and \${env|file|cred:…} allowed wherever a value goes.
schemas/gateway.full.schema.json is this output; regenerate it after changing a schema:

  npx switchboard schema --out schemas/gateway.full.schema.json

Editors with yaml-language-server (VS Code's YAML extension, Neovim, Helix…) use it through the
first line of gateway.yaml:  # yaml-language-server: $schema=./schemas/gateway.full.schema.json

options:
  --out FILE   write it to FILE instead of stdout`,
  options: { out: { type: 'string', short: 'o' } },
  async run(inv) {
    const out = str(inv, 'out');
    if (out === undefined) {
      inv.io.out(await fullSchemaText());
      return 0;
    }
    await writeFile(out, await fullSchemaText()).catch((err: NodeJS.ErrnoException) => {
      throw new CliError(`cannot write ${out}: ${err.code ?? err.message}`);
    });
    return 0;
  },
};
