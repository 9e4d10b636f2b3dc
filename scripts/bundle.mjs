#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js, from tsc) and the packages it
// imports into one CommonJS file, dist/bundle/netcfg.cjs, which bin/netcfg.js
// (itself CommonJS) runs through vm.Script with a V8 code cache (see there). Node's ES module
// loader costs more than the code it loads when it opens the ~240 compiled
// modules and their packages' files one by one; one script, compiled from a
// cache, starts several times faster. Lazily imported parts (gen, get, the
// discovery and VIP clients…) stay lazy: esbuild wraps each module in a function
// run on first import. The sources and dist/ stay as they are: NETCFG_ENTRY=dist
// runs the plain build.
//
// Left out of the bundle, loaded from node_modules on first use:
//  * @grpc/grpc-js and protobufjs: the discovery and etcd clients', loaded only
//    when discovery or a VIP is configured (tests check that nothing else loads them);
//  * yaml and pino-pretty: required lazily through createRequire (src/util/lazy.ts).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
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
/**
 * zod's fromJSONSchema (JSON Schema → zod), which netcfg never calls: its module
 * copies zod's whole schema and check namespaces into an object at load, ~1–1.7 ms
 * of every start (profiled). In the bundle it is a function that says so.
 */
const zodWithoutFromJsonSchema = {
  name: 'zod-without-from-json-schema',
  setup(b) {
    let used = false;
    b.onLoad({ filter: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]classic[\\/]from-json-schema\.js$/ }, () => {
      used = true;
      return { contents: 'export function fromJSONSchema(){throw new Error("zod\'s fromJSONSchema is left out of netcfg\'s bundle (scripts/bundle.mjs)")}', loader: 'js' };
    });
    b.onEnd(() => {
      if (!used) throw new Error('bundle: zod/v4/classic/from-json-schema.js was not bundled (zod-without-from-json-schema)');
    });
  },
};
/**
 * Modules that pino and sonic-boom load at their own start, for code netcfg
 * never or rarely runs: thread-stream (pino.transport(), which netcfg does not
 * use), node:worker_threads (pino asks whether it runs on the main thread, for
 * asynchronous destinations; netcfg's are synchronous), ~3.4 ms together, and
 * node:assert (sonic-boom checks one thing with it when a destination closes).
 * In the bundle each is loaded on first use.
 */
const lazyDependencies = {
  name: 'lazy-dependencies',
  setup(b) {
    const stands = [
      { importer: /[\\/]node_modules[\\/]pino[\\/]lib[\\/]transport\.js$/, module: 'thread-stream', contents: (real) => `let T;module.exports=function ThreadStream(...a){T??=require(${JSON.stringify(real)});return new T(...a)};` },
      { importer: /[\\/]node_modules[\\/]sonic-boom[\\/]index\.js$/, module: 'assert', contents: () => 'module.exports=function assert(...a){return require("node:assert")(...a)};' },
    ];
    const used = new Set();
    for (const stand of stands) {
      b.onResolve({ filter: new RegExp(`^${stand.module}$`) }, async (args) => {
        if (!stand.importer.test(args.importer) || args.pluginData?.real) return undefined;
        used.add(stand.module);
        const real = stand.module === 'assert' ? 'node:assert' : (await b.resolve(stand.module, { resolveDir: args.resolveDir, kind: 'require-call', pluginData: { real: true } })).path;
        return { path: stand.module, namespace: 'lazy-dependency', pluginData: { contents: stand.contents(real), resolveDir: args.resolveDir } };
      });
    }
    b.onLoad({ filter: /.*/, namespace: 'lazy-dependency' }, (args) => ({ contents: args.pluginData.contents, resolveDir: args.pluginData.resolveDir, loader: 'js' }));
    // pino/lib/tools.js reads worker_threads' isMainThread at its start, for asynchronous destinations only
    // (netcfg's are synchronous): read on first use instead
    b.onLoad({ filter: /[\\/]node_modules[\\/]pino[\\/]lib[\\/]tools\.js$/ }, (args) => {
      const edits = [
        ["const { isMainThread } = require('worker_threads')", 'let isMainThreadValue; const isMainThread = () => (isMainThreadValue ??= require(\'worker_threads\').isMainThread)'],
        ['if (!opts.sync && isMainThread) {', 'if (!opts.sync && isMainThread()) {'],
      ];
      let code = fs.readFileSync(args.path, 'utf8');
      for (const [from, to] of edits) {
        if (code.split(from).length !== 2) throw new Error(`bundle: ${args.path} no longer has \`${from}\` once (lazy-dependencies)`);
        code = code.replace(from, to);
      }
      used.add('worker_threads');
      return { contents: code, loader: 'js' };
    });
    b.onEnd(() => {
      if (!used.has('worker_threads')) throw new Error('bundle: pino/lib/tools.js was not bundled (lazy-dependencies)');
      for (const stand of stands) if (!used.has(stand.module)) throw new Error(`bundle: ${stand.module} is no longer required where scripts/bundle.mjs expects it (lazy-dependencies)`);
    });
  },
};
fs.rmSync(outdir, { recursive: true, force: true });

const out = path.join(outdir, 'netcfg.cjs');
const BUILD_ID_PLACEHOLDER = '@netcfg-build-id@';
/** Packages the bundle leaves in node_modules (see the top of this file). */
const EXTERNAL = ['@grpc/grpc-js', 'protobufjs', 'yaml', 'pino-pretty'];
/** Packages the sources load through createRequire (src/util/lazy.ts, src/config/cel/), which esbuild does not see. */
const LOADED_BESIDE = ['@bufbuild/cel'];
await build({
  absWorkingDir: root,
  entryPoints: ['dist/cli/main.js'],
  outfile: out,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: [...EXTERNAL, 'protobufjs/*'],
  // the sources are ES modules: strict, and import.meta.url is the bundle's own URL
  // (dist/bundle/ is as deep as dist/cli/, so the paths resolved against it hold)
  banner: { js: '"use strict";var __netcfgMetaUrl=require("node:url").pathToFileURL(__filename).href;var __nodeModule=(m)=>({__proto__:m,default:m});var __lazyNodeModule=(id)=>{let m;const load=()=>(m??=require(id));return new Proxy({},{get:(_,k)=>(k==="default"?load():load()[k]),has:(_,k)=>k==="default"||k in load()})};' },
  // the build's ID (src/util/build-id.ts) is a hash of the code, filled in below
  define: { 'import.meta.url': '__netcfgMetaUrl', NETCFG_BUILD_ID: JSON.stringify(BUILD_ID_PLACEHOLDER) },
  legalComments: 'none',
  // no comments and no indentation: plain ASCII, so that V8 keeps the source
  // (which it holds for the process's life) in one byte per character, not two;
  // names stay as they are (readable stack traces)
  minifyWhitespace: true,
  charset: 'ascii',
  plugins: [zodEnglishOnly, zodWithoutFromJsonSchema, lazyDependencies],
  logLevel: 'warning',
});

// The one dynamic import of a package (gRPC, for the VIP's etcd client): a
// script run by bin/netcfg.js through vm.Script has no ES module loader of its
// own (node's would print an ExperimentalWarning), and @grpc/grpc-js is CommonJS.
let code = fs.readFileSync(out, 'utf8');
const grpcImport = 'import("@grpc/grpc-js")';
if (code.split(grpcImport).length !== 2) throw new Error(`bundle: expected one ${grpcImport} in ${out}`);
code = code.replace(grpcImport, 'Promise.resolve().then(()=>require("@grpc/grpc-js"))');
// Node's built-in modules, imported as ES modules, are wrapped by esbuild's
// __toESM: a new object with a getter for each of the module's exports (node:fs
// has ~100), made for each of the ~70 imports of one at start (~6 ms of the
// daemon's start, measured). An object that inherits them gives the same values
// to both forms the bundle reads them in (`m.default.x`, `(0, m.x)`).
//
// Some of them cost more to load than netcfg's use of them at start is worth:
// node:crypto alone loads 36 of node's internal modules (~6 ms), and nothing
// but a command that hashes or draws random bytes needs it; node:fs/promises
// (12, with readline's), node:child_process (35), node:net, node:tls,
// node:http, node:https. Those are imported as a proxy that loads the module on first
// use: `netcfg validate` 174.7 -> 158.9 ms (median of 25, alternated).
const LAZY_BUILTINS = new Set(['node:crypto', 'node:fs/promises', 'node:net', 'node:tls', 'node:http', 'node:https', 'node:dns/promises', 'node:child_process']);
const builtinImport = /__toESM\(require\("(node:[\w/]+)"\)(?:,1)?\)/g;
const builtinImports = code.match(builtinImport)?.length ?? 0;
if (builtinImports < 20) throw new Error(`bundle: expected esbuild's __toESM(require("node:…"),1) for the built-in modules, found ${builtinImports}`);
code = code.replace(builtinImport, (_, name) => (LAZY_BUILTINS.has(name) ? `__lazyNodeModule(${JSON.stringify(name)})` : `__nodeModule(require(${JSON.stringify(name)}))`));
// named imports only: esbuild assigns the module itself (`import_node_crypto2=require("node:crypto")`)
code = code.replace(/(import_node_\w+=)require\("(node:[\w/]+)"\)/g, (all, assign, name) => (LAZY_BUILTINS.has(name) ? `${assign}__lazyNodeModule(${JSON.stringify(name)})` : all));
if (!code.includes('__lazyNodeModule("node:crypto")')) throw new Error('bundle: node:crypto is no longer imported where scripts/bundle.mjs makes it lazy (LAZY_BUILTINS)');
const left = /[^\w$.]import\(/.exec(code);
if (left) throw new Error(`bundle: a dynamic import() is left in ${out}: …${code.slice(left.index - 40, left.index + 60)}…`);
if (/[^\x00-\x7f]/.test(code)) throw new Error(`bundle: ${out} is not plain ASCII`);
// The build's ID: what netcfg keeps keyed by it (the daemon's validated copy of
// its config) is used only by this very code, so another build never takes a
// config that its own schema would read differently.
// The packages left out of the bundle count too (the position-keeping YAML parser
// places a document's issues, the CEL library checks link selectors): their
// versions, as installed now (npm ci runs this script again, `prepare`).
if (!code.includes(JSON.stringify(BUILD_ID_PLACEHOLDER))) throw new Error('bundle: the build ID (src/util/build-id.ts) is no longer in the bundle');
const buildHash = createHash('sha256').update(code);
for (const name of [...EXTERNAL, ...LOADED_BESIDE]) {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8'));
  buildHash.update(`\0${name}@${pkg.version}`);
}
code = code.replaceAll(BUILD_ID_PLACEHOLDER, buildHash.digest('hex').slice(0, 16));
// written as the function node's CommonJS loader would wrap it in, so that
// bin/netcfg.js compiles the file's text as it is: wrapping it there would make
// V8 hold a second, concatenated copy of the whole source
fs.writeFileSync(out, `(function (exports, require, module, __filename, __dirname) {${code}\n})`);

// A first code cache (bin/netcfg.js keeps one per flag set and command) for
// `netcfg validate`, with no flags (the CLI, the tests) and with
// contrib/netcfg.service's NODE_OPTIONS. The daemon writes its own once its
// first config is in the kernel (bin/netcfg.js). Best effort: without them the
// first run of each command compiles and writes one.
const unitOptions = /^Environment=NODE_OPTIONS=(.*)$/m.exec(fs.readFileSync(path.join(root, 'contrib/netcfg.service'), 'utf8'))?.[1];
const warmDir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-bundle-'));
try {
  const config = path.join(warmDir, 'machine.yaml');
  fs.writeFileSync(config, 'machine:\n  network:\n    hostname: warm\n    interfaces:\n      - interface: eth0\n        addresses: [192.0.2.10/24]\n        routes:\n          - network: 0.0.0.0/0\n            gateway: 192.0.2.1\n        dhcp: true\n');
  for (const nodeOptions of [undefined, unitOptions]) {
    const env = { ...process.env, NETCFG_ENTRY: '' };
    if (nodeOptions === undefined) delete env.NODE_OPTIONS;
    else env.NODE_OPTIONS = nodeOptions;
    for (const args of [['validate', config]]) {
      const r = spawnSync(process.execPath, [path.join(root, 'bin/netcfg.js'), ...args], { env, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`bundle: netcfg ${args[0]} (warm-up) failed (${r.status}): ${r.stderr}`);
    }
  }
} finally {
  fs.rmSync(warmDir, { recursive: true, force: true });
}
