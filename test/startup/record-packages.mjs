/**
 * `node --import ./record-packages.mjs …`: appends the name of every npm package the process
 * imports (through ESM resolution) to the file named by `RECORD_PACKAGES_TO`, one per line, so a
 * test can tell which provider SDKs a daemon loaded. CommonJS `require` inside a package is not
 * seen, the package's own entry is.
 */
import { register } from 'node:module';

register('./record-packages-hooks.mjs', import.meta.url, { data: { file: process.env.RECORD_PACKAGES_TO } });
