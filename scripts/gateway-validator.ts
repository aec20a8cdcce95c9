/**
 * Regenerates `schemas/gateway.schema.validate.cjs` (the gateway schema's validator as code, see
 * src/config/validator-code.ts) after `schemas/gateway.schema.json` changed:
 *   npx tsx scripts/gateway-validator.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { validatorCode } from '../src/config/validator-code.js';

writeFileSync('schemas/gateway.schema.validate.cjs', validatorCode(readFileSync('schemas/gateway.schema.json', 'utf8')));
