/**
 * Regenerates the validators shipped as code (see src/config/validator-code.ts) after a schema
 * changed: `schemas/gateway.schema.validate.cjs` from `schemas/gateway.schema.json`, and
 * `schemas/plugins/<name>.validate.cjs` from each built-in plugin's options schema.
 *   npx tsx scripts/validator-code.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pluginSchemaText, validatorCode } from '../src/config/validator-code.js';
import { allBuiltinPlugins } from '../src/registry.js';

writeFileSync('schemas/gateway.schema.validate.cjs', validatorCode(readFileSync('schemas/gateway.schema.json', 'utf8')));
for (const [name, plugin] of await allBuiltinPlugins()) {
  writeFileSync(`schemas/plugins/${name}.validate.cjs`, validatorCode(pluginSchemaText(plugin.optionsSchema as object), `the ${name} plugin's options schema`));
}
