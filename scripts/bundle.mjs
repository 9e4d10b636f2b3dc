#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js, from tsc) and what it imports into
// dist/bundle/: one file for the start-up path (the daemon, apply, --version…)
// and a chunk per lazily imported part (gen, get, the discovery client…), so that
// node opens a handful of files instead of several hundred (node's ES module
// loader costs more than the code it loads). The sources and dist/ stay as they
// are: bin/netcfg.js runs the bundle, NETCFG_ENTRY=dist runs the plain build.
//
// dist/bundle/ is as deep under the package as dist/cli/, so the paths the code
// resolves against import.meta.url (package.json, bin/, build/Release/) are the
// same in both. Left out of the bundle, loaded from node_modules on first use:
//  * @grpc/grpc-js and protobufjs: the discovery client's, imported only when
//    discovery is enabled (a test checks that nothing else loads them);
//  * yaml and pino-pretty: required lazily through createRequire (src/util/lazy.ts),
//    which a bundler does not follow.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist/bundle');

/**
 * zod's namespace object re-exports every locale (~50 of them): a bundler must
 * keep them all, since `z` is used as a whole. netcfg uses English only (zod's
 * default, set at load): the bundle gets a locales module with just that one.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => (/[\\/]node_modules[\\/]zod[\\/]v4[\\/]/.test(args.importer) ? { path: path.join(path.dirname(args.importer), '../locales/en.js'), namespace: 'zod-locales' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({ contents: `export { default as en } from ${JSON.stringify(args.path)};`, resolveDir: path.dirname(args.path) }));
  },
};
fs.rmSync(outdir, { recursive: true, force: true });

await build({
  absWorkingDir: root,
  // the daemon and the discovery client get names of their own (the rest are chunk-HASH.js)
  entryPoints: { main: 'dist/cli/main.js', daemon: 'dist/cli/daemon.js', discovery: 'dist/operators/discovery/index.js' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@grpc/grpc-js', 'protobufjs', 'protobufjs/*', 'yaml', 'pino-pretty'],
  // CommonJS packages in an ES module bundle call require() for node's own modules
  banner: { js: "import { createRequire as __netcfgCreateRequire } from 'node:module'; const require = __netcfgCreateRequire(import.meta.url);" },
  chunkNames: 'chunk-[hash]',
  legalComments: 'none',
  // no comments and no indentation: plain ASCII, so that V8 keeps the sources
  // (which it holds for the process's life) in one byte per character, not two;
  // names stay as they are (readable stack traces)
  minifyWhitespace: true,
  charset: 'ascii',
  plugins: [zodEnglishOnly],
  logLevel: 'warning',
});
