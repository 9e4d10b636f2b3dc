#!/usr/bin/env node
// Records raw netlink bytes from the kernel for the codec unit tests.
// Needs root; works in a throw-away network namespace. Run after a build:
//   node scripts/record-fixtures.mjs
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeTransport } from '../dist/netlink/transport.js';
import { NetlinkConnection } from '../dist/netlink/connection.js';
import { NETLINK_ROUTE } from '../dist/netlink/constants.js';
import { dumpLinksRequest } from '../dist/netlink/rtnetlink/link.js';
import { dumpAddressesRequest } from '../dist/netlink/rtnetlink/address.js';
import { dumpRoutesRequest, addRouteRequest } from '../dist/netlink/rtnetlink/route.js';

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '../test/fixtures');
const ns = `ncrec${process.pid}`;
const ip = (...a) => execFileSync('ip', ['-n', ns, ...a]);
execFileSync('ip', ['netns', 'add', ns]);
try {
  ip('link', 'set', 'lo', 'up');
  ip('link', 'add', 'veth0', 'address', '02:00:00:00:00:01', 'type', 'veth', 'peer', 'name', 'veth1', 'address', '02:00:00:00:00:02');
  ip('link', 'set', 'veth0', 'mtu', '1450', 'up');
  ip('link', 'set', 'veth0', 'alias', 'uplink');
  ip('link', 'property', 'add', 'dev', 'veth0', 'altname', 'enx020000000001');
  ip('addr', 'add', '192.0.2.10/24', 'dev', 'veth0');
  ip('addr', 'add', '2001:db8::10/64', 'dev', 'veth0', 'nodad');
  ip('route', 'add', '198.51.100.0/24', 'via', '192.0.2.1', 'dev', 'veth0', 'metric', '100', 'mtu', '1400', 'proto', 'static', 'table', '1000');
  ip('-6', 'route', 'add', '2001:db8:ffff::/48', 'via', '2001:db8::1', 'dev', 'veth0', 'proto', 'static');

  const transport = new NativeTransport(NETLINK_ROUTE, { netns: ns });
  const conn = new NetlinkConnection(transport);
  const received = [];
  const inner = transport.onData;
  transport.onData = (err, data) => {
    if (data) received.push(Buffer.from(data));
    inner(err, data);
  };
  const capture = async (name, fn) => {
    received.length = 0;
    await fn();
    const bytes = Buffer.concat(received);
    fs.writeFileSync(path.join(out, `${name}.hex`), bytes.toString('hex').replace(/(.{64})/g, '$1\n') + '\n');
    console.log(`${name}: ${bytes.length} bytes`);
  };
  await capture('links-dump', () => conn.dump(dumpLinksRequest()));
  await capture('addresses-dump', () => conn.dump(dumpAddressesRequest()));
  await capture('routes-table-1000-dump', () => conn.dump(dumpRoutesRequest({ table: 1000 })));
  await capture('routes-ipv6-main-dump', () => conn.dump(dumpRoutesRequest({ family: 'inet6', table: 254 })));
  await capture('error-invalid-gateway', () =>
    conn.exec(
      addRouteRequest({ family: 'inet4', dst: '10.9.0.0', dstLen: 16, gateway: '203.0.113.9', table: 254, priority: 1024, protocol: 4, scope: 0, type: 1, label: 'route 10.9.0.0/16 via 203.0.113.9' }),
    ).catch(() => {}),
  );
  conn.close();
} finally {
  execFileSync('ip', ['netns', 'del', ns]);
}
