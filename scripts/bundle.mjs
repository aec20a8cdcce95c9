#!/usr/bin/env node
/**
 * Bundles the daemon into `dist/daemon/` (or the folder given): `main.js` plus one chunk per
 * lazily loaded part (each built-in plugin, the PostgreSQL store). Node resolves, reads and
 * compiles a few files instead of ~200 modules and their packages' trees: the module loading that
 * was ~450 ms of a start (issue 14).
 *
 * Only the packages every start loads are bundled (CORE, with what they import). The rest stay in
 * node_modules: the providers' SDKs, pg and undici load only when a config uses them, and pino
 * finds its transport workers by path.
 *
 * Usage: node scripts/bundle.mjs [outdir]
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CORE = new Set(['koa', '@koa/router', 'koa-bodyparser', 'ajv', 'ajv-formats', 'yaml', 'prom-client', 'node-cron', 'ipaddr.js', 'ulid', 'lowdb']);

/** `@scope/name/deep/path` → `@scope/name`; `name/deep` → `name`. */
const packageOf = (spec) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

const keepOutside = {
  name: 'keep-outside',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      // What a bundled package imports is bundled with it; our own code names each package.
      if (args.path.startsWith('node:') || args.importer.includes('/node_modules/') || CORE.has(packageOf(args.path))) return undefined;
      return { path: args.path, external: true };
    });
  },
};

async function bundle(outdir = resolve(ROOT, 'dist/daemon')) {
  await build({
    entryPoints: { main: resolve(ROOT, 'src/main.ts') },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    chunkNames: 'chunks/[name]-[hash]',
    // Bundled CommonJS packages call require(); an ES module has none of its own.
    banner: { js: "import { createRequire as __sbCreateRequire } from 'node:module'; const require = __sbCreateRequire(import.meta.url);" },
    plugins: [keepOutside],
    logLevel: 'warning',
  });
  return resolve(outdir, 'main.js');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundle(process.argv[2] ? resolve(process.argv[2]) : undefined);
}
