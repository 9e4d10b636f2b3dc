// Which build of netcfg this is, on which node: scripts/bundle.mjs defines
// NETCFG_BUILD_ID in the bundle as a hash of the bundle's code and of the
// versions of the packages it loads from node_modules; node's version is added
// here (its URL parser and Unicode tables take part in validating a config).
// The plain build (dist/, run with NETCFG_ENTRY=dist, and the tests' sources)
// has none: what is keyed by the build (the validated copy of a config the
// daemon and `netcfg apply` keep) is then neither read nor written.
declare const NETCFG_BUILD_ID: string | undefined;

export function buildId(): string | undefined {
  return typeof NETCFG_BUILD_ID === 'string' ? `${NETCFG_BUILD_ID} node ${process.version}` : undefined;
}
