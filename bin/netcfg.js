#!/usr/bin/env node
// netcfg entry point. The compiled CLI lives in dist/: dist/bundle/ is it bundled
// into a few files (scripts/bundle.mjs; node starts it several times faster than
// the ~400 modules of dist/cli/), run unless NETCFG_ENTRY=dist asks for the plain
// build (the tests run both and expect the same results).
const entry = process.env.NETCFG_ENTRY === 'dist' ? '../dist/cli/main.js' : '../dist/bundle/main.js';
const { main } = await import(entry);

process.exitCode = await main(process.argv.slice(2));
