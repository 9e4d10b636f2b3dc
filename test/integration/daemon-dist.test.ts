// The daemon tests again on the plain build: bin/netcfg.js runs the bundle
// (dist/bundle/, scripts/bundle.mjs) unless NETCFG_ENTRY=dist, so daemon.test.ts
// covers the bundle and this file the same tests on dist/cli/ (every process the
// helpers start inherits the variable). Both must give the same results.
process.env.NETCFG_ENTRY = 'dist';
await import('./daemon.test.js');
