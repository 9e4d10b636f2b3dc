// The demo test again on the plain build (see daemon-dist.test.ts): demo.test.ts
// runs the bundle that bin/netcfg.js starts by default, this file dist/cli/.
process.env.NETCFG_ENTRY = 'dist';
await import('./demo.test.js');
